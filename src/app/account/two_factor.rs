//! The account page's "Two-factor authentication" section and its server functions: set up an
//! authenticator app (its secret as text, as an `otpauth://` link and as a QR code drawn on
//! the server), turn it on with a first code, see the recovery codes once, make new ones, turn
//! it off. Everything is a plain form post; the last two ask for a fresh proof in place when
//! this session's is older than `AUTH_RECENT_SIGN_IN`.

use super::*;
use crate::domain::TwoFactor;

/// "Set up authenticator app": a new secret for the page to show.
#[server(prefix = "/rpc", endpoint = "begin_totp_setup")]
pub async fn begin_totp_setup() -> Result<(), AppError> {
    let (state, user) = crate::server::context::caller()?;
    crate::server::account::two_factor::begin_setup(&state, &user).await?;
    leptos_axum::redirect("/account#two-factor-title");
    Ok(())
}

/// "Turn on", with the first code from the app; the recovery codes are shown next, once.
#[server(prefix = "/rpc", endpoint = "turn_on_two_factor")]
pub async fn turn_on_two_factor(code: String) -> Result<(), AppError> {
    use crate::server::{account::two_factor, context};
    let (state, user) = context::caller()?;
    let codes = two_factor::turn_on(
        &state,
        &context::origin()?,
        &context::session()?,
        &user,
        &code,
    )
    .await?;
    ssr::show_recovery_codes(&state, &user, &codes);
    leptos_axum::redirect(&done_url(Done::TwoFactorOn));
    Ok(())
}

/// "Turn off two-factor authentication", after a fresh proof.
#[server(prefix = "/rpc", endpoint = "turn_off_two_factor")]
pub async fn turn_off_two_factor(proof: Option<String>) -> Result<(), AppError> {
    let (state, user, origin) = ssr::proven_caller(proof).await?;
    crate::server::account::two_factor::turn_off(&state, &origin, &user).await?;
    leptos_axum::redirect(&done_url(Done::TwoFactorOff));
    Ok(())
}

/// "New recovery codes", after a fresh proof: the old ones stop working.
#[server(prefix = "/rpc", endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes(proof: Option<String>) -> Result<(), AppError> {
    let (state, user, origin) = ssr::proven_caller(proof).await?;
    let codes =
        crate::server::account::two_factor::new_recovery_codes(&state, &origin, &user).await?;
    ssr::show_recovery_codes(&state, &user, &codes);
    leptos_axum::redirect(&done_url(Done::RecoveryCodes));
    Ok(())
}

#[cfg(feature = "ssr")]
pub(super) mod ssr {
    use crate::domain::AppError;
    use crate::server::{
        account::two_factor,
        context,
        cookies::{self, CookieOptions},
        db::{audit::Origin, users::UserRecord},
        state::AppState,
    };

    /// The signed-in caller of a sensitive action, once it is proven to be them (a recent
    /// sign-in or proof, or `proof` now: see `two_factor::confirm_it_is_them`).
    pub async fn proven_caller(
        proof: Option<String>,
    ) -> Result<(AppState, std::sync::Arc<UserRecord>, Origin), AppError> {
        let (state, user) = context::caller()?;
        let origin = context::origin()?;
        two_factor::confirm_it_is_them(
            &state,
            &origin,
            &context::session()?,
            &user,
            proof.as_deref(),
        )
        .await?;
        Ok((state, user, origin))
    }

    const COOKIE: &str = "seamless_recovery_codes";

    fn options(state: &AppState) -> CookieOptions {
        CookieOptions {
            path: "/",
            // Long enough to reach the page that shows them, no longer.
            max_age: std::time::Duration::from_secs(120),
            secure: state.settings.is_https(),
            same_site: tower_sessions::cookie::SameSite::Strict,
        }
    }

    fn context_of(user: &UserRecord) -> String {
        format!("recovery-codes:{}", user.id)
    }

    /// Carries new recovery codes to the page that shows them, encrypted (the browser cannot
    /// read them from its cookie store) and bound to this user.
    pub fn show_recovery_codes(state: &AppState, user: &UserRecord, codes: &[String]) {
        let options = options(state);
        let json = serde_json::to_vec(codes).unwrap_or_default();
        let sealed = state.keys.at_rest.seal(&context_of(user), &json);
        if let Some(cookie) = cookies::set(&cookies::name(COOKIE, options), &sealed, options) {
            context::set_cookie(cookie);
        }
    }

    /// The recovery codes waiting to be shown, once: the cookie is removed as they are read.
    pub fn take_recovery_codes(state: &AppState, user: &UserRecord) -> Vec<String> {
        let options = options(state);
        let name = cookies::name(COOKIE, options);
        let Some(sealed) = context::parts()
            .ok()
            .and_then(|parts| cookies::read(&parts.headers, &name))
        else {
            return Vec::new();
        };
        if let Some(removal) = cookies::remove(&name, options) {
            context::set_cookie(removal);
        }
        state
            .keys
            .at_rest
            .open(&context_of(user), &sealed)
            .and_then(|json| serde_json::from_slice(&json).ok())
            .unwrap_or_default()
    }
}

/// A field for a fresh proof, shown in a sensitive action's form when this session's proof is
/// old (the server asks for it then).
#[component]
pub(super) fn ProofField(
    #[prop(into)] id: String,
    needed: bool,
    error: Option<AppError>,
) -> impl IntoView {
    let wrong = invalid(&error, "proof");
    needed.then(|| {
        view! {
            <div class="field">
                <label for=id.clone()>"Password or code"</label>
                <input
                    id=id.clone()
                    type="password"
                    name="proof"
                    autocomplete="current-password"
                    aria-describedby=format!("{id}-hint")
                    aria-invalid=wrong
                    required
                />
                <p id=format!("{id}-hint") class="field__hint">
                    "Confirm it is you: your password, or a code from your authenticator app."
                </p>
            </div>
        }
    })
}

#[component]
pub(super) fn TwoFactorSection(two_factor: TwoFactor, done: Option<Done>) -> impl IntoView {
    let begin_error = post_error::<BeginTotpSetup>();
    let on_error = post_error::<TurnOnTwoFactor>();
    let off_error = post_error::<TurnOffTwoFactor>();
    let codes_error = post_error::<NewRecoveryCodes>();
    let code_invalid = invalid(&on_error, "code");
    let needs_proof = !two_factor.proven_recently;
    let body = if !two_factor.new_recovery_codes.is_empty() {
        let codes = two_factor.new_recovery_codes.clone();
        let text = format!(
            "Seamless recovery codes\r\nEach one signs you in once, if you cannot use your authenticator app.\r\n\r\n{}\r\n",
            codes.join("\r\n")
        );
        let href = format!("data:text/plain;charset=utf-8,{}", percent_encode(&text));
        view! {
            <div class="notice notice--codes">
                <h3>"Save your recovery codes"</h3>
                <p>
                    "If you lose your phone, each of these codes signs you in once. Keep them somewhere safe: they are shown only now."
                </p>
                <ol class="codes">
                    {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ol>
                <p class="actions">
                    <a class="btn btn--secondary" href=href download="seamless-recovery-codes.txt">"Download"</a>
                    <a class="btn btn--primary" href="/account">"I have saved them"</a>
                </p>
            </div>
        }
        .into_any()
    } else if two_factor.enabled {
        let left = two_factor.recovery_codes_left;
        view! {
            <p>
                <span class="badge badge--ok">"On"</span>
                " Signing in asks for a code from your authenticator app. "
                {format!("{left} recovery code{} left.", if left == 1 { "" } else { "s" })}
            </p>
            <FormError error=codes_error.clone() />
            <form action=NewRecoveryCodes::PATH method="post" class="form form--inline">
                <ProofField id="codes-proof" needed=needs_proof error=codes_error />
                <button type="submit" class="btn btn--secondary">"New recovery codes"</button>
            </form>
            <FormError error=off_error.clone() />
            <form action=TurnOffTwoFactor::PATH method="post" class="form form--inline">
                <ProofField id="off-proof" needed=needs_proof error=off_error />
                <button type="submit" class="btn btn--danger">"Turn off two-factor authentication"</button>
            </form>
        }
        .into_any()
    } else if let Some(setup) = two_factor.setup.clone() {
        view! {
            <ol class="steps">
                <li>
                    "Scan this QR code with your authenticator app (or, on this phone, "
                    <a href=setup.otpauth_url.clone()>"open it in your authenticator app"</a>
                    "):"
                    <div class="qr" inner_html=setup.qr_svg.clone()></div>
                    "Or type this key into the app: "
                    <code class="secret">{setup.secret.clone()}</code>
                </li>
                <li>"Enter the 6-digit code the app shows:"</li>
            </ol>
            <FormError error=on_error />
            <form action=TurnOnTwoFactor::PATH method="post" class="form form--inline">
                <CodeField id="totp-code" invalid=code_invalid />
                <button type="submit" class="btn btn--primary">"Turn on"</button>
            </form>
        }
        .into_any()
    } else {
        view! {
            <p class="muted">
                "Protect your account with a second step at sign-in: a code from an authenticator app on your phone."
            </p>
            <FormError error=begin_error />
            <form action=BeginTotpSetup::PATH method="post">
                <button type="submit" class="btn btn--secondary">"Set up authenticator app"</button>
            </form>
        }
        .into_any()
    };
    view! {
        <section class="card account__section" aria-labelledby="two-factor-title">
            <h2 id="two-factor-title">"Two-factor authentication"</h2>
            {done_status(done, Done::TwoFactorOn)}
            {done_status(done, Done::TwoFactorOff)}
            {done_status(done, Done::RecoveryCodes)}
            {body}
        </section>
    }
}

/// `text` for a `data:` URL.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
