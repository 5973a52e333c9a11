//! `[mail]`: outgoing mail.

use serde::Deserialize;

use super::Secret;

/// Outgoing mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://user:pass@host:25`, `smtp://…:587?tls=required` (STARTTLS) or `smtps://…:465`.
    /// Env `SMTP_URL` (environment only: it holds the password). Unset: messages are written as
    /// `.eml` files to `<data_dir>/outbox/`.
    #[serde(skip)]
    pub smtp_url: Option<Secret>,
    /// Sender. Env `MAIL_FROM`. Default `Seamless <no-reply@HOST>` with the host of `APP_URL`.
    pub from: String,
}

/// The section's own defaults. `from`'s depends on the public URL: `Settings::load` fills it
/// in when neither the file nor the environment gives one.
impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: String::new(),
        }
    }
}
