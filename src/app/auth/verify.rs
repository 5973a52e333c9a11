//! `/login/verify`: a sign-in whose first factor was right (a password, GitHub, Google or an
//! `[[oidc]]` provider) waits here for its second, a code from the authenticator app or one of
//! the recovery codes, before it becomes a session. The waiting sign-in is in this browser's
//! cookie (`server::http::second_factor`); a plain form post completes it.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::super::ui::{invalid, post_error, CodeField, FormError};
use crate::domain::{AppError, Message};

/// Whether a sign-in waits for its second factor in this browser.
#[server(prefix = "/rpc", endpoint = "sign_in_waiting")]
pub async fn sign_in_waiting() -> Result<bool, AppError> {
    use crate::server::{
        account::two_factor, context, db::second_factor::ChallengeKind, http::second_factor,
    };
    let state = context::state()?;
    let Some(token) = second_factor::token(&state, &context::parts()?.headers) else {
        return Ok(false);
    };
    Ok(two_factor::pending(&state, &token, ChallengeKind::Browser)
        .await?
        .is_some())
}

/// Completes the sign-in waiting in this browser with a code from the app (`code`) or a
/// recovery code (`recovery_code`), then goes where the person was going.
#[server(prefix = "/rpc", endpoint = "verify_sign_in")]
pub async fn verify_sign_in(
    code: Option<String>,
    recovery_code: Option<String>,
) -> Result<(), AppError> {
    use crate::{
        domain::safe_next,
        server::{
            account::two_factor::{self, SecondFactor},
            context,
            db::second_factor::ChallengeKind,
            http::second_factor,
        },
    };
    let state = context::state()?;
    let origin = context::origin()?;
    let devices = context::known_devices()?;
    let gone = || AppError::Validation {
        field: None,
        message: Message::TwoFactorExpired,
    };
    let token = second_factor::token(&state, &context::parts()?.headers).ok_or_else(gone)?;
    let answer = SecondFactor::from_form(code, recovery_code);
    let outcome = two_factor::complete(
        &state,
        &origin,
        &token,
        ChallengeKind::Browser,
        answer,
        &devices,
    )
    .await;
    let (user, challenge) = match outcome {
        Ok(done) => done,
        Err(err) => {
            if matches!(
                err.message(),
                Some(Message::TwoFactorExpired | Message::TwoFactorAttemptsUsed)
            ) {
                if let Some(removal) = second_factor::removal(&state) {
                    context::set_cookie(removal);
                }
            }
            return Err(err);
        }
    };
    if let Some(removal) = second_factor::removal(&state) {
        context::set_cookie(removal);
    }
    super::ssr::start_session(&user, &origin).await?;
    context::remember_device(&devices, &user)?;
    tracing::info!(user_id = %user.id, "signed in with a second factor");
    leptos_axum::redirect(&safe_next(challenge.next.as_deref()));
    Ok(())
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let waiting = Resource::new(|| (), |_| sign_in_waiting());
    let query = use_query_map();
    let error = post_error::<VerifySignIn>();
    let recovery = query.read_untracked().get("recovery").is_some()
        || error.as_ref().and_then(AppError::field) == Some("recovery_code");
    let ended = matches!(
        error.as_ref().and_then(AppError::message),
        Some(Message::TwoFactorExpired | Message::TwoFactorAttemptsUsed)
    );
    view! {
        <Title text="Two-factor authentication" />
        <section class="card card--narrow auth">
            <h1>"Two-factor authentication"</h1>
            <Suspense fallback=|| ()>
                {move || {
                    let error = error.clone();
                    waiting
                        .get()
                        .map(|found| match found {
                            Ok(true) if !ended => form(recovery, error).into_any(),
                            Ok(_) => {
                                view! {
                                    <p role="alert" class="alert alert--error">
                                        {error
                                            .and_then(|e| e.message())
                                            .unwrap_or(Message::TwoFactorExpired)
                                            .to_string()}
                                    </p>
                                    <p class="auth__switch">
                                        <A href="/login">"Sign in again"</A>
                                    </p>
                                }
                                    .into_any()
                            }
                            Err(err) => {
                                view! { <p role="alert" class="alert alert--error">{err.to_string()}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
}

/// The form: a code from the app, or (`recovery`) one of the recovery codes.
fn form(recovery: bool, error: Option<AppError>) -> impl IntoView {
    let code_invalid = invalid(&error, "code");
    let recovery_invalid = invalid(&error, "recovery_code");
    let field = if recovery {
        view! {
            <p class="muted">"Enter one of the recovery codes you saved. Each works once."</p>
            <FormError error />
            <form action=VerifySignIn::PATH method="post" class="form">
                <div class="field">
                    <label for="verify-recovery">"Recovery code"</label>
                    <input
                        id="verify-recovery"
                        type="text"
                        name="recovery_code"
                        autocomplete="off"
                        autocapitalize="none"
                        spellcheck="false"
                        maxlength="32"
                        required
                        aria-invalid=recovery_invalid
                    />
                </div>
                <button type="submit" class="btn btn--primary btn--block">"Verify"</button>
            </form>
            <p class="auth__switch">
                <A href="/login/verify">"Use a code from your app"</A>
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="muted">"Enter the 6-digit code from your authenticator app."</p>
            <FormError error />
            <form action=VerifySignIn::PATH method="post" class="form">
                <CodeField id="verify-code" invalid=code_invalid autofocus=true />
                <button type="submit" class="btn btn--primary btn--block">"Verify"</button>
            </form>
            <p class="auth__switch">
                <A href="/login/verify?recovery=1">"Use a recovery code"</A>
            </p>
        }
        .into_any()
    };
    view! {
        {field}
        <p class="auth__switch">
            <A href="/login">"Cancel and sign in again"</A>
        </p>
    }
}
