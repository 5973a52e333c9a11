//! Email links: verifying an address, and resetting a forgotten password. The pages that
//! receive a token are sent with `Referrer-Policy: no-referrer` (the server's security-headers
//! middleware knows them by path), so the token never leaks to another site, and they change
//! nothing on GET: the person confirms with a button (a form POST).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    ui::{invalid, post_error, FormError, PasskeyAnswerFields},
    EnhanceScripts,
};
use crate::domain::{
    AppError, ResetFactors, EMAIL_MAX_LEN, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS,
};

/// Asks for a reset link. The answer is the same whether or not the address has an account.
#[server(prefix = "/rpc", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::{account, context};
    account::request_password_reset(&context::state()?, &context::origin()?, &email).await?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Sets a new password from a reset link, then sends the person to sign in with it. The
/// browser that reset is one the account knows from then on (its device cookie). With
/// two-factor authentication on, the form also gives a `code` (or recovery code), or, with
/// `second_factor=passkey`, the browser's answer (`passkey_credential`) to the passkey
/// ceremony `passkey_token`.
#[server(prefix = "/rpc", endpoint = "reset_password")]
pub async fn reset_password(
    token: String,
    new_password: String,
    code: Option<String>,
    second_factor: Option<String>,
    passkey_token: Option<String>,
    passkey_credential: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{account, account::two_factor::ResetProof, context};
    let proof = match second_factor.as_deref() {
        Some("passkey") => ResetProof::Passkey {
            token: passkey_token.as_deref().unwrap_or_default(),
            credential: passkey_credential.as_deref().unwrap_or_default(),
        },
        _ => ResetProof::Typed(code.as_deref()),
    };
    let outcome = account::reset_password(
        &context::state()?,
        &context::origin()?,
        &token,
        new_password,
        proof,
    )
    .await;
    match outcome {
        Ok(user) => {
            context::remember_device(&context::known_devices()?, &user)?;
            leptos_axum::redirect("/login?reset=1");
            Ok(())
        }
        Err(err) => Err(ssr::back_without_referrer::<ResetPassword>(
            &format!("/reset-password?token={}", ssr::encode(&token)),
            err,
        )),
    }
}

/// What the form of the reset link `token` asks for besides the new password (with
/// two-factor authentication on: a code, or a passkey).
#[server(prefix = "/rpc", endpoint = "reset_second_factor")]
pub async fn reset_second_factor(token: String) -> Result<ResetFactors, AppError> {
    use crate::server::{account, context};
    Ok(account::reset_second_factor(&context::state()?, &token)
        .await?
        .unwrap_or_default())
}

/// The options of the browser's passkey dialog for the reset link `token`'s account, and the
/// token that finishes it (JSON; `crate::enhance` reads it).
#[server(prefix = "/rpc", endpoint = "reset_passkey_options")]
pub async fn reset_passkey_options(token: String) -> Result<String, AppError> {
    use crate::server::{account, context};
    account::reset_passkey_options(&context::state()?, &context::origin()?, &token).await
}

/// Confirms an email address from its verification link.
#[server(prefix = "/rpc", endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use crate::server::{account, context};
    let state = context::state()?;
    let auth = context::auth()?;
    let session = context::session()?;
    let current = auth.user().map(|user| (user.as_ref(), &session));
    match account::verify_email(&state, &context::origin()?, &token, current).await {
        Ok(user_id) => {
            let signed_in_as_them = auth.user().is_some_and(|u| u.id == user_id);
            leptos_axum::redirect(if signed_in_as_them {
                "/account?verified=1"
            } else {
                "/login?verified=1"
            });
            Ok(())
        }
        Err(err) => Err(ssr::back_without_referrer::<VerifyEmail>(
            &format!("/verify-email?token={}", ssr::encode(&token)),
            err,
        )),
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::server_fn::{error::ServerFnUrlError, ServerFn};

    use crate::{domain::AppError, server::context};

    pub fn encode(value: &str) -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }

    /// Pages with `Referrer-Policy: no-referrer` post forms without a `Referer`, so a form post
    /// without JavaScript would not find its way back to show an error. This sends it back to
    /// `path` with the error in the URL, the way Leptos does when it has a `Referer`.
    pub fn back_without_referrer<S: ServerFn>(path: &str, err: AppError) -> AppError {
        if context::is_plain_form() {
            if let Ok(state) = context::state() {
                if let Ok(base) = state.settings.app_url.join(path) {
                    if let Ok(url) =
                        ServerFnUrlError::new(S::PATH, err.clone()).to_url(base.as_str())
                    {
                        let local = url[url::Position::BeforePath..].to_owned();
                        leptos_axum::redirect(&local);
                    }
                }
            }
        }
        err
    }
}

fn token_param() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("token").unwrap_or_default())
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    let error = post_error::<RequestPasswordReset>();
    let email_invalid = invalid(&error, "email");
    view! {
        <Title text="Reset your password" />
        <section class="card card--narrow auth">
            <h1>"Reset your password"</h1>
            <p class="muted">"Enter the email address of your account and we will send you a link to choose a new password."</p>
            <Show when=sent>
                <p role="status" class="alert alert--info">
                    "If an account exists for that address, we have sent it a link to reset the password. The link works for one hour. Check your inbox (and your spam folder)."
                </p>
            </Show>
            <FormError error />
            <form action=RequestPasswordReset::PATH method="post" class="form">
                <div class="field">
                    <label for="forgot-email">"Email"</label>
                    <input
                        id="forgot-email"
                        type="email"
                        name="email"
                        autocomplete="username"
                        inputmode="email"
                        maxlength=EMAIL_MAX_LEN
                        required
                        aria-invalid=email_invalid
                    />
                </div>
                <button type="submit" class="btn btn--primary btn--block">"Send reset link"</button>
            </form>
            <p class="auth__switch">
                "Remembered it? " <A href="/login">"Back to sign in"</A>
            </p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = token_param();
    let error = post_error::<ResetPassword>();
    let password_invalid = invalid(&error, "new_password");
    let code_invalid = invalid(&error, "code");
    let second_factor = Resource::new(move || token.get(), reset_second_factor);
    let token_invalid = invalid(&error, "token") == "true";
    view! {
        <Title text="Choose a new password" />
        <section class="card card--narrow auth">
            <h1>"Choose a new password"</h1>
            <p class="muted">"After this, you are signed out everywhere and sign in with the new password."</p>
            <FormError error />
            {token_invalid
                .then(|| {
                    view! {
                        <p class="auth__switch">
                            <A href="/forgot-password">"Ask for a new link"</A>
                        </p>
                    }
                })}
            <form action=ResetPassword::PATH method="post" class="form">
                <input type="hidden" name="token" value=token />
                <div class="field">
                    <label for="reset-password">"New password"</label>
                    <input
                        id="reset-password"
                        type="password"
                        name="new_password"
                        autocomplete="new-password"
                        minlength=PASSWORD_MIN_CHARS
                        maxlength=PASSWORD_MAX_CHARS
                        required
                        aria-invalid=password_invalid
                    />
                </div>
                <Suspense fallback=|| ()>
                    {move || {
                        let asks = second_factor.get().and_then(Result::ok).unwrap_or_default();
                        asks.code.then(|| view! { <ResetCodeField passkey=asks.passkey invalid=code_invalid /> })
                    }}
                </Suspense>
                <button type="submit" class="btn btn--primary btn--block">"Reset password"</button>
                <Suspense fallback=|| ()>
                    {move || {
                        let asks = second_factor.get().and_then(Result::ok).unwrap_or_default();
                        asks.passkey.then(|| view! { <ResetWithPasskey /> })
                    }}
                </Suspense>
            </form>
        </section>
    }
}

/// The reset form's "Code" field, for an account with two-factor authentication on; not
/// required when a passkey can be used instead.
#[component]
fn ResetCodeField(passkey: bool, invalid: &'static str) -> impl IntoView {
    let hint = if passkey {
        "Two-factor authentication is on: the code from your authenticator app or a recovery code, or reset with a passkey below."
    } else {
        "Two-factor authentication is on: the code from your authenticator app, or a recovery code."
    };
    view! {
        <div class="field">
            <label for="reset-code">"Code"</label>
            <input
                id="reset-code"
                type="text"
                name="code"
                autocomplete="one-time-code"
                autocapitalize="none"
                spellcheck="false"
                maxlength="32"
                required=!passkey
                aria-describedby="reset-code-hint"
                aria-invalid=invalid
            />
            <p id="reset-code-hint" class="field__hint">
                {hint}
            </p>
        </div>
    }
}

/// "Reset with a passkey": the second step given by one of the account's passkeys (the
/// browser's dialog, so it needs JavaScript, and says so when it is off). Only then does the
/// page load the bundle.
#[component]
fn ResetWithPasskey() -> impl IntoView {
    view! {
        <EnhanceScripts />
        <PasskeyAnswerFields prefix="passkey_" />
        <button
            type="submit"
            name="second_factor"
            value="passkey"
            class="btn btn--secondary btn--block"
            data-passkey="get"
            data-options=ResetPasskeyOptions::PATH
            data-options-fields="token"
        >
            "Reset with a passkey"
        </button>
        <noscript>
            <p class="muted">{crate::domain::Message::PasskeysNeedJavaScript.to_string()}</p>
        </noscript>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let token = token_param();
    let error = post_error::<VerifyEmail>();
    view! {
        <Title text="Verify your email address" />
        <section class="card card--narrow auth">
            <h1>"Verify your email address"</h1>
            <p class="muted">"Confirm that this address is yours to finish setting up your account."</p>
            <FormError error />
            <form action=VerifyEmail::PATH method="post" class="form">
                <input type="hidden" name="token" value=token />
                <button type="submit" class="btn btn--primary btn--block">"Verify email"</button>
            </form>
        </section>
    }
}
