//! The account page's "Passkeys" section: "Add a passkey" (the browser's dialog; it needs
//! JavaScript by nature, and the section says so when it is off), the list with when each was
//! added and last used, and "Remove" (after a fresh proof).

use super::*;
use crate::domain::PasskeyView;

/// The options of the browser's "create a passkey" dialog, and the token that finishes it
/// (JSON; `crate::enhance` reads it).
#[server(prefix = "/rpc", endpoint = "passkey_options")]
pub async fn passkey_options() -> Result<String, AppError> {
    let (state, user) = crate::server::context::caller()?;
    crate::server::account::passkeys::register_options(&state, &user).await
}

/// "Add a passkey", with the browser's answer (`credential`) to the options of `token`.
#[server(prefix = "/rpc", endpoint = "add_passkey")]
pub async fn add_passkey(
    token: String,
    credential: String,
    name: Option<String>,
) -> Result<(), AppError> {
    use crate::server::context;
    let (state, user) = context::caller()?;
    crate::server::account::passkeys::register(
        &state,
        &context::origin()?,
        &user,
        &token,
        &credential,
        name.as_deref().unwrap_or_default(),
    )
    .await?;
    leptos_axum::redirect(&done_url(Done::PasskeyAdded));
    Ok(())
}

/// "Remove" a passkey, after a fresh proof.
#[server(prefix = "/rpc", endpoint = "remove_passkey")]
pub async fn remove_passkey(id: String, proof: Option<String>) -> Result<(), AppError> {
    let (state, user, origin) = two_factor::ssr::proven_caller(proof).await?;
    crate::server::account::passkeys::remove(&state, &origin, &user, &id).await?;
    leptos_axum::redirect(&done_url(Done::PasskeyRemoved));
    Ok(())
}

/// The options of the browser's passkey dialog for a fresh proof (the account's own
/// passkeys), and the token that finishes it.
#[server(prefix = "/rpc", endpoint = "passkey_proof_options")]
pub async fn passkey_proof_options() -> Result<String, AppError> {
    let (state, user) = crate::server::context::caller()?;
    crate::server::account::passkeys::proof_options(&state, &user).await
}

/// "Confirm with a passkey": a fresh proof for the sensitive actions of the next minutes.
#[server(prefix = "/rpc", endpoint = "prove_with_passkey")]
pub async fn prove_with_passkey(token: String, credential: String) -> Result<(), AppError> {
    use crate::server::{auth::session, context};
    let (state, user) = context::caller()?;
    crate::server::account::passkeys::prove(&state, &user, &token, &credential).await?;
    session::mark_proven(&context::session()?).await?;
    leptos_axum::redirect(&done_url(Done::Proven));
    Ok(())
}

/// For a session whose last proof is old, with passkeys: one button that proves it is them
/// (the sensitive actions below then ask for nothing).
#[component]
pub(super) fn ConfirmWithPasskey() -> impl IntoView {
    let error = post_error::<ProveWithPasskey>();
    view! {
        <div class="notice">
            <p>"Some changes on this page ask you to confirm it is you first."</p>
            <form
                action=ProveWithPasskey::PATH
                method="post"
                class="inline-form"
                data-passkey="get"
                data-options=PasskeyProofOptions::PATH
            >
                <PasskeyAnswerFields />
                <button type="submit" class="btn btn--secondary btn--small">"Confirm with a passkey"</button>
            </form>
        </div>
        <FormError error />
    }
}

#[component]
pub(super) fn PasskeysSection(
    passkeys: Vec<PasskeyView>,
    available: bool,
    needs_proof: bool,
    done: Option<Done>,
) -> impl IntoView {
    let add_error = post_error::<AddPasskey>();
    let remove_error = post_error::<RemovePasskey>();
    let rows = passkeys
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let used = p
                .last_used_at
                .as_deref()
                .map(|at| format!("last used {}", when(at)))
                .unwrap_or_else(|| "not used yet".to_owned());
            view! {
                <li class="row">
                    <span class="row__main">
                        <strong>{p.name.clone()}</strong>
                        <span class="muted">{format!("Added {}, {used}", when(&p.created_at))}</span>
                    </span>
                    <form action=RemovePasskey::PATH method="post" class="inline-form">
                        <input type="hidden" name="id" value=p.id.clone() />
                        <ProofField id=format!("passkey-proof-{i}") needed=needs_proof error=None />
                        <button type="submit" class="btn btn--quiet btn--small">"Remove"</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card account__section" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">"Passkeys"</h2>
            {done_status(done, Done::PasskeyAdded)}
            {done_status(done, Done::PasskeyRemoved)}
            <FormError error=remove_error />
            <ul class="rows">{rows}</ul>
            {if available {
                view! {
                    <p class="muted">
                        "Sign in with your fingerprint, face or screen lock instead of a password and a code."
                    </p>
                    <FormError error=add_error />
                    <form
                        action=AddPasskey::PATH
                        method="post"
                        class="form form--inline"
                        data-passkey="create"
                        data-options=PasskeyOptions::PATH
                    >
                        <PasskeyAnswerFields />
                        <div class="field">
                            <label for="passkey-name">"Device"</label>
                            <input id="passkey-name" type="text" name="name" maxlength="60" autocomplete="off" placeholder="This phone" />
                        </div>
                        <button type="submit" class="btn btn--secondary">"Add a passkey"</button>
                    </form>
                    <noscript>
                        <p class="muted">"Passkeys need JavaScript, which is off in this browser."</p>
                    </noscript>
                }
                    .into_any()
            } else {
                view! {
                    <p class="muted">{crate::domain::Message::PasskeysUnavailable.to_string()}</p>
                }
                    .into_any()
            }}
        </section>
    }
}
