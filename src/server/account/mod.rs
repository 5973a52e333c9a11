//! What accounts can do, for the pages and the JSON API alike: sign up and sign in (rate
//! limited and audited), verify an email, reset or change a password, list and end sessions,
//! unlink providers, delete the account. Server functions and handlers stay thin wrappers.

mod credentials;
pub mod identities;
pub mod passkeys;
mod profile;
mod recovery;
mod sessions;
pub mod two_factor;

pub use self::{
    credentials::{change_password, sign_in, sign_up, PasswordSignIn, SignedUp},
    profile::{delete_account, overview, unlink_provider, update_name},
    recovery::{
        request_password_reset, resend_verification, reset_passkey_options, reset_password,
        reset_second_factor, send_verification, verify_email,
    },
    sessions::{revoke_session, sign_out_everywhere},
};

use tower_sessions::Session;

use super::{
    auth::password_rules::{
        common_password_error, contains_context_word, context_password_error, is_common,
    },
    db::audit::Origin,
    state::AppState,
};
use crate::domain::{AppError, Password};

/// Runs `work` after the answer has gone out (mail, and writes whose timing must not tell
/// whether an address has an account); a failure is logged.
fn in_background<F, Fut>(state: &AppState, origin: &Origin, what: &'static str, work: F)
where
    F: FnOnce(AppState, Origin) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + Send + 'static,
{
    let (background, state, origin) = (state.background.clone(), state.clone(), origin.clone());
    background.spawn(async move {
        if let Err(err) = work(state, origin).await {
            tracing::error!(error = ?err, what, "background work failed");
        }
    });
}

/// A new password that satisfies the rules, is not a common one, and is not built on the
/// site's name or the person's own name or email.
fn new_password(
    input: String,
    field: &str,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<Password, AppError> {
    let password = Password::parse_new(input, field)?;
    if is_common(password.expose()) {
        return Err(common_password_error(field));
    }
    if contains_context_word(password.expose(), name, email) {
        return Err(context_password_error(field));
    }
    Ok(password)
}

/// The address of one of our pages, for mail.
fn page_link(state: &AppState, path: &str) -> String {
    page_url(state, path).to_string()
}

/// The address of a page that redeems `token`, for mail.
fn link(state: &AppState, path: &str, token: &str) -> String {
    let mut url = page_url(state, path);
    url.set_query(Some(&format!("token={token}")));
    url.to_string()
}

fn page_url(state: &AppState, path: &str) -> url::Url {
    let mut url = state.settings.app_url.clone();
    url.set_path(path);
    url
}

fn human(duration: std::time::Duration) -> String {
    let minutes = duration.as_secs() / 60;
    match minutes {
        m if m >= 120 && m % 60 == 0 => format!("{} hours", m / 60),
        60 => "1 hour".into(),
        m => format!("{m} minutes"),
    }
}

/// This browser's session, as the sessions table stores its id (to keep it when the others
/// end).
fn stored_id(state: &AppState, session: &Session) -> Option<String> {
    session.id().map(|id| state.sessions.hash(&id))
}

#[cfg(test)]
mod tests;
