//! Outgoing mail: SMTP through lettre when `SMTP_URL` is set, otherwise `.eml` files in
//! `<data_dir>/outbox/`, so development needs no mail server and tests can read what was sent.
//! Links in messages carry secrets: they are never logged.

use std::path::PathBuf;

use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use super::{background::Background, config::Settings};

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// Sends the app's messages.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    background: Background,
}

/// Mail cannot be set up from the settings.
#[derive(Debug, thiserror::Error)]
#[error("mail: {0}")]
pub struct MailSetupError(String);

/// A message could not be sent; described for the log (never with its body, which may hold
/// a link's secret).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("bad recipient: {0}")]
    Recipient(#[from] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("outbox: {0}")]
    Outbox(#[from] lettre::transport::file::Error),
}

/// A message to one person.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    pub fn new(settings: &Settings, background: Background) -> Result<Mailer, MailSetupError> {
        let from: Mailbox = settings.mail.from.parse().map_err(|e| {
            MailSetupError(format!(
                "MAIL_FROM `{}` is not an address: {e}",
                settings.mail.from
            ))
        })?;
        let transport = match &settings.mail.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| MailSetupError(format!("SMTP_URL is not usable: {e}")))?
                    .timeout(Some(std::time::Duration::from_secs(15)))
                    .build(),
            ),
            None => {
                let dir = settings.data_dir.join("outbox");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| MailSetupError(format!("cannot create {}: {e}", dir.display())))?;
                Transport::Outbox(AsyncFileTransport::new(&dir), dir)
            }
        };
        Ok(Mailer {
            transport,
            from,
            background,
        })
    }

    /// Sends a plain-text message. Errors are described for the log, without the body.
    pub async fn send(&self, mail: Mail) -> Result<(), SendError> {
        let to: Mailbox = mail.to.parse()?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
                tracing::info!(subject = %mail.subject, "sent an email");
            }
            Transport::Outbox(files, dir) => {
                let id = files.send(message).await?;
                tracing::info!(subject = %mail.subject, file = %dir.join(format!("{id}.eml")).display(), "wrote an email to the outbox (no SMTP_URL)");
            }
        }
        Ok(())
    }

    /// Sends in the background: the caller answers at once, in the same time whether or not
    /// there was anything to send (so timing does not reveal which emails have accounts).
    /// A graceful shutdown waits for it.
    pub fn send_later(self: &std::sync::Arc<Self>, mail: Mail) {
        let mailer = self.clone();
        self.background.spawn(async move {
            if let Err(err) = mailer.send(mail).await {
                tracing::error!(error = %err, "could not send an email");
            }
        });
    }
}

/// The message with a link to verify an address.
pub fn verification(to: &str, name: &str, link: &str, valid_for: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Verify your email address for Seamless".into(),
        body: format!(
            "Hello {name},\n\nPlease confirm that this is your email address by opening this link:\n\n{link}\n\n\
             The link works once and for {valid_for}. If you did not create a Seamless account, ignore this message.\n"
        ),
    }
}

/// The message with a link to choose a new password.
pub fn password_reset(to: &str, name: &str, link: &str, valid_for: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Reset your Seamless password".into(),
        body: format!(
            "Hello {name},\n\nSomeone (hopefully you) asked to reset the password of your Seamless account.\n\
             Choose a new password here:\n\n{link}\n\n\
             The link works once and for {valid_for}. Resetting signs you out everywhere.\n\
             If you did not ask for this, ignore this message: your password stays as it is.\n"
        ),
    }
}

/// To the owner of an address someone tried to sign up with. Nothing the other person typed
/// is in it (the name is the one the owner chose).
pub fn sign_up_attempt(to: &str, name: &str, sign_in_link: &str, reset_link: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Someone tried to create a Seamless account with your address".into(),
        body: format!(
            "Hello {name},\n\nSomeone tried to create a Seamless account with this email address, \
             but you already have one, so nothing was changed.\n\n\
             If it was you, sign in here:\n\n{sign_in_link}\n\n\
             Forgot your password? Choose a new one here:\n\n{reset_link}\n\n\
             If it was not you, ignore this message: your account is as it was.\n"
        ),
    }
}
