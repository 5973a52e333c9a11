//! The WebAuthn relying party for passkeys (`webauthn-rs`): its id and origin come from
//! `APP_URL`. Browsers refuse an IP address as a relying-party id, so with an `APP_URL` like
//! `http://127.0.0.1:3000` there are no passkeys (development and tests use
//! `http://localhost:PORT`). What a passkey may do is `account::passkeys`'.

use webauthn_rs::{Webauthn, WebauthnBuilder};

use std::time::Duration;

use crate::server::config::Settings;

/// How long the browser has between asking for a ceremony's challenge and answering it: the
/// server keeps the ceremony this long, and the browser's dialog times out with it.
pub const CEREMONY_TTL: Duration = Duration::from_secs(120);

/// The relying party of this site, or `None` (and a log line saying why) when `APP_URL` cannot
/// be one.
pub fn relying_party(settings: &Settings) -> Option<Webauthn> {
    let url = &settings.app_url;
    let Some(rp_id) = url.domain() else {
        tracing::info!(
            app_url = %url,
            "passkeys are off: browsers refuse an IP address as the relying-party id; open the site by name (http://localhost:PORT)"
        );
        return None;
    };
    match WebauthnBuilder::new(rp_id, url)
        .and_then(|b| b.rp_name("Seamless").timeout(CEREMONY_TTL).build())
    {
        Ok(webauthn) => Some(webauthn),
        Err(err) => {
            tracing::warn!(app_url = %url, error = %err, "passkeys are off: APP_URL cannot be a relying party");
            None
        }
    }
}
