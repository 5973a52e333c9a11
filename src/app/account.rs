//! `/account`: profile, sign-in methods, password, active sessions, recent activity, and
//! deleting the account. Every form is a plain POST that works without JavaScript; with it,
//! the forms post in place (`crate::enhance`).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    ui::{invalid, post_error, FormError},
    EnhanceScripts,
};
use crate::domain::{
    AccountOverview, ActiveSession, AppError, Provider, ProviderSignInError, SessionKind,
    NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS,
};

#[server(name = AccountOverviewFn, prefix = "/rpc", endpoint = "account_overview")]
pub async fn account_overview() -> Result<AccountOverview, AppError> {
    let (state, user) = ssr::caller()?;
    crate::server::account::overview(&state, &user, &crate::server::context::session()?).await
}

#[server(prefix = "/rpc", endpoint = "update_profile")]
pub async fn update_profile(name: String) -> Result<(), AppError> {
    let (state, user) = ssr::caller()?;
    crate::server::account::update_name(&state, &crate::server::context::origin()?, &user, &name)
        .await?;
    leptos_axum::redirect(&done_url(Done::Name));
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    let (state, user) = ssr::caller()?;
    crate::server::account::resend_verification(&state, &user).await?;
    leptos_axum::redirect(&done_url(Done::Resent));
    Ok(())
}

/// Changes the password (or sets one, for accounts that only sign in with a provider).
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(
    current_password: Option<String>,
    new_password: String,
) -> Result<(), AppError> {
    use crate::server::context;
    let (state, user) = ssr::caller()?;
    let session = context::session()?;
    let changed = crate::server::account::change_password(
        &state,
        &context::origin()?,
        &user,
        &session,
        current_password.filter(|p| !p.is_empty()),
        new_password,
    )
    .await?;
    // The change voided this browser's device cookie with the others: renew it.
    context::remember_device(&context::known_devices()?, &changed)?;
    leptos_axum::redirect(&done_url(Done::Password));
    Ok(())
}

/// Ends one session. Ending this browser's own session signs it out.
#[server(prefix = "/rpc", endpoint = "revoke_session")]
pub async fn revoke_session(id: String) -> Result<(), AppError> {
    let (state, user) = ssr::caller()?;
    let session = crate::server::context::session()?;
    let own = crate::server::account::revoke_session(
        &state,
        &crate::server::context::origin()?,
        &user,
        &session,
        &id,
    )
    .await?;
    if own {
        crate::server::auth::session::end(&session).await?;
        leptos_axum::redirect("/login");
    } else {
        leptos_axum::redirect(&done_url(Done::Revoked));
    }
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let (state, user) = ssr::caller()?;
    let session = crate::server::context::session()?;
    crate::server::account::sign_out_everywhere(&state, &crate::server::context::origin()?, &user)
        .await?;
    crate::server::auth::session::end(&session).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "unlink_provider")]
pub async fn unlink_provider(provider: String) -> Result<(), AppError> {
    let (state, user) = ssr::caller()?;
    let provider = crate::domain::Provider::from_slug(&provider).ok_or(AppError::NotFound)?;
    crate::server::account::unlink_provider(
        &state,
        &crate::server::context::origin()?,
        &user,
        provider,
    )
    .await?;
    leptos_axum::redirect(&done_url(Done::Unlinked));
    Ok(())
}

/// Deletes the account and everything in it; the person confirms by typing their email.
#[server(prefix = "/rpc", endpoint = "delete_account")]
pub async fn delete_account(confirm_email: String) -> Result<(), AppError> {
    let (state, user) = ssr::caller()?;
    crate::server::account::delete_account(&state, &user, &confirm_email).await?;
    crate::server::auth::session::end(&crate::server::context::session()?).await?;
    leptos_axum::redirect("/?deleted=1");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::Arc;

    use crate::{
        domain::AppError,
        server::{context, db::users::UserRecord, state::AppState},
    };

    pub fn caller() -> Result<(AppState, Arc<UserRecord>), AppError> {
        Ok((context::state()?, context::require_user()?))
    }
}

/// What went through on the account page: its forms come back to `/account?done=…` (a new
/// page load, with or without JavaScript), and the section says so.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Done {
    Name,
    Resent,
    Password,
    Revoked,
    Unlinked,
}

impl Done {
    const ALL: [Done; 5] = [
        Done::Name,
        Done::Resent,
        Done::Password,
        Done::Revoked,
        Done::Unlinked,
    ];

    fn code(self) -> &'static str {
        match self {
            Done::Name => "name",
            Done::Resent => "resent",
            Done::Password => "password",
            Done::Revoked => "revoked",
            Done::Unlinked => "unlinked",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Done::Name => "Your name is saved.",
            Done::Resent => "We sent you a new verification link.",
            Done::Password => "Your password is changed. Other sessions were signed out.",
            Done::Revoked => "The session is revoked.",
            Done::Unlinked => "The sign-in method is unlinked.",
        }
    }

    /// The `done` of the page's address, unless a later form post on it was refused.
    fn from_query(done: Option<String>, refused: bool) -> Option<Done> {
        let done = done.filter(|_| !refused)?;
        Done::ALL.into_iter().find(|d| d.code() == done)
    }
}

#[cfg(feature = "ssr")]
fn done_url(done: Done) -> String {
    format!("/account?done={}", done.code())
}

/// The status line of one section, when its form has just gone through.
fn done_status(done: Option<Done>, what: Done) -> impl IntoView {
    (done == Some(what))
        .then(|| view! { <p role="status" class="alert alert--info">{what.message()}</p> })
}

/// A short, readable form of a stored timestamp: "2026-11-22 15:04 UTC".
fn when(ts: &str) -> String {
    let date = ts.get(..10).unwrap_or(ts);
    let time = ts.get(11..16).unwrap_or("");
    format!("{date} {time} UTC")
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| account_overview());
    let query = use_query_map();
    let done = query.with_untracked(|q| Done::from_query(q.get("done"), q.get("__err").is_some()));
    let verified_now = move || query.read().get("verified").is_some();
    // A provider link that did not go through comes back here with a known code.
    let link_error = move || {
        let q = query.read();
        let reason = ProviderSignInError::from_code(&q.get("error")?)?;
        let provider = q.get("provider").and_then(|p| Provider::from_slug(&p));
        Some(reason.message(provider))
    };

    view! {
        <Title text="Your account" />
        <EnhanceScripts />
        <div class="account">
            <h1>"Your account"</h1>
            <Show when=verified_now>
                <p role="status" class="alert alert--info">"Your email address is verified. Thank you."</p>
            </Show>
            {move || link_error().map(|message| view! { <p role="alert" class="alert alert--error">{message}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading your account…"</p> }>
                {move || {
                    overview
                        .get()
                        .map(|result| match result {
                            Ok(account) => {
                                view! {
                                    <Profile account=account.clone() done />
                                    <SignInMethods account=account.clone() done />
                                    <PasswordForm has_password=account.has_password changed=done == Some(Done::Password) />
                                    <Sessions sessions=account.sessions.clone() done />
                                    <RecentActivity account=account.clone() />
                                    <DeleteAccountForm />
                                }
                                    .into_any()
                            }
                            Err(AppError::Unauthorized) => ().into_any(),
                            Err(err) => {
                                view! {
                                    <p role="alert" class="alert alert--error">
                                        {err.to_string()}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </div>
    }
}

#[component]
fn Profile(account: AccountOverview, done: Option<Done>) -> impl IntoView {
    let error = post_error::<UpdateProfile>();
    let name_invalid = invalid(&error, "name");
    let resend_error = post_error::<ResendVerification>();
    view! {
        <section class="card account__section" aria-labelledby="profile-title">
            <h2 id="profile-title">"Profile"</h2>
            <FormError error />
            {done_status(done, Done::Name)}
            <form action=UpdateProfile::PATH method="post" class="form form--inline">
                <div class="field">
                    <label for="profile-name">"Name"</label>
                    <input
                        id="profile-name"
                        type="text"
                        name="name"
                        value=account.name.clone()
                        autocomplete="name"
                        maxlength=NAME_MAX_CHARS
                        required
                        aria-invalid=name_invalid
                    />
                </div>
                <button type="submit" class="btn btn--secondary">"Save name"</button>
            </form>
            <div class="account__email">
                <span class="muted">"Email"</span>
                <strong>{account.email.clone()}</strong>
                {if account.email_verified {
                    view! { <span class="badge badge--ok">"Verified"</span> }.into_any()
                } else {
                    view! {
                        <span class="badge badge--warn">"Not verified"</span>
                        <form action=ResendVerification::PATH method="post" class="inline-form">
                            <button type="submit" class="btn btn--quiet btn--small">"Resend verification email"</button>
                        </form>
                    }
                        .into_any()
                }}
            </div>
            <FormError error=resend_error />
            {done_status(done, Done::Resent)}
        </section>
    }
}

#[component]
fn SignInMethods(account: AccountOverview, done: Option<Done>) -> impl IntoView {
    let error = post_error::<UnlinkProvider>();
    let verified = account.email_verified;
    let rows = account
        .providers
        .iter()
        .map(|link| {
            let provider = link.provider;
            let label = provider.label();
            let detail = if link.linked {
                link.email.clone().map(|e| format!("Linked as {e}")).unwrap_or_else(|| "Linked".into())
            } else {
                "Not linked".into()
            };
            let action = if link.linked {
                view! {
                    <form action=UnlinkProvider::PATH method="post" class="inline-form">
                        <input type="hidden" name="provider" value=provider.slug() />
                        <button type="submit" class="btn btn--quiet btn--small">{format!("Unlink {label}")}</button>
                    </form>
                }
                    .into_any()
            } else if verified {
                view! {
                    <a href=format!("/auth/{}?next=%2Faccount", provider.slug()) rel="external" class="btn btn--secondary btn--small">
                        {format!("Link {label}")}
                    </a>
                }
                    .into_any()
            } else {
                // Until the address is proven, the account may be someone else's: no links.
                view! { <span class="muted row__note">"After you verify your email"</span> }.into_any()
            };
            view! {
                <li class="row">
                    <span class=format!("provider-logo provider-logo--{}", provider.slug()) aria-hidden="true"></span>
                    <span class="row__main">
                        <strong>{label}</strong>
                        <span class="muted">{detail}</span>
                    </span>
                    {action}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card account__section" aria-labelledby="methods-title">
            <h2 id="methods-title">"Sign-in methods"</h2>
            <FormError error />
            {done_status(done, Done::Unlinked)}
            {(!verified && !account.providers.iter().all(|p| p.linked)).then(|| view! {
                <div class="notice">
                    <p>"Verify your email address to link GitHub or Google: open the link we sent you."</p>
                    <form action=ResendVerification::PATH method="post" class="inline-form">
                        <button type="submit" class="btn btn--secondary btn--small">"Resend"</button>
                    </form>
                </div>
            })}
            <ul class="rows">
                <li class="row">
                    <span class="row__main">
                        <strong>"Password"</strong>
                        <span class="muted">{if account.has_password { "Set" } else { "Not set" }}</span>
                    </span>
                </li>
                {rows}
            </ul>
        </section>
    }
}

/// With JavaScript, a refused change (a mistyped current password) comes back in place with
/// the new password still typed (`crate::enhance` keeps the fields' text); once it goes
/// through, `change_password`'s redirect loads the page again, with the sessions it signed out
/// gone.
#[component]
fn PasswordForm(has_password: bool, changed: bool) -> impl IntoView {
    let error = post_error::<ChangePassword>();
    let current_invalid = invalid(&error, "current_password");
    let new_invalid = invalid(&error, "new_password");
    let (title, button) = if has_password {
        ("Change password", "Change password")
    } else {
        ("Set a password", "Set password")
    };
    view! {
        <section class="card account__section" aria-labelledby="password-title">
            <h2 id="password-title">{title}</h2>
            <p class="muted">"Changing your password signs you out on every other device and API client."</p>
            <FormError error />
            {done_status(changed.then_some(Done::Password), Done::Password)}
            <form action=ChangePassword::PATH method="post" class="form">
                {has_password.then(|| view! {
                    <div class="field">
                        <label for="current-password">"Current password"</label>
                        <input
                            id="current-password"
                            type="password"
                            name="current_password"
                            autocomplete="current-password"
                            maxlength=PASSWORD_MAX_CHARS
                            required
                            aria-invalid=current_invalid
                        />
                    </div>
                })}
                <div class="field">
                    <label for="new-password">"New password"</label>
                    <input
                        id="new-password"
                        type="password"
                        name="new_password"
                        autocomplete="new-password"
                        minlength=PASSWORD_MIN_CHARS
                        maxlength=PASSWORD_MAX_CHARS
                        required
                        aria-invalid=new_invalid
                    />
                </div>
                <button type="submit" class="btn btn--primary">{button}</button>
            </form>
        </section>
    }
}

#[component]
fn Sessions(sessions: Vec<ActiveSession>, done: Option<Done>) -> impl IntoView {
    let error = post_error::<RevokeSession>();
    let rows = sessions
        .into_iter()
        .map(|s| {
            let kind = match s.kind {
                SessionKind::Browser => "Browser",
                SessionKind::Api => "API client",
            };
            let described = format!("session-{}", s.id.replace(':', "-"));
            let described_by = described.clone();
            view! {
                <li class="row" aria-describedby=described_by>
                    <span class="row__main" id=described>
                        <strong>
                            {s.device.clone()}
                            {s.current.then(|| view! { <span class="badge badge--ok">"This device"</span> })}
                        </strong>
                        <span class="muted">
                            {format!(
                                "{kind} · {} · signed in {} · last active {}",
                                s.ip.clone().unwrap_or_else(|| "unknown IP".into()),
                                when(&s.created_at),
                                when(&s.last_seen_at),
                            )}
                        </span>
                    </span>
                    <form action=RevokeSession::PATH method="post" class="inline-form">
                        <input type="hidden" name="id" value=s.id.clone() />
                        <button type="submit" class="btn btn--quiet btn--small">"Revoke"</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card account__section" aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Active sessions"</h2>
            <FormError error />
            {done_status(done, Done::Revoked)}
            <ul class="rows" aria-label="Active sessions">{rows}</ul>
            <form action=SignOutEverywhere::PATH method="post" class="form--end">
                <button type="submit" class="btn btn--danger">"Sign out everywhere"</button>
            </form>
        </section>
    }
}

#[component]
fn RecentActivity(account: AccountOverview) -> impl IntoView {
    let rows = account
        .activity
        .into_iter()
        .map(|a| {
            view! {
                <li class="row">
                    <span class="row__main">
                        <strong>{a.what}</strong>
                        <span class="muted">
                            {format!("{} · {} · {}", when(&a.at), a.device, a.ip.unwrap_or_else(|| "unknown IP".into()))}
                        </span>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card account__section" aria-labelledby="activity-title">
            <h2 id="activity-title">"Recent activity"</h2>
            <ul class="rows">{rows}</ul>
        </section>
    }
}

#[component]
fn DeleteAccountForm() -> impl IntoView {
    let error = post_error::<DeleteAccount>();
    view! {
        <section class="card account__section account__danger" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete account"</h2>
            <p class="muted">"This deletes your tasks, sessions, tokens and linked accounts. It cannot be undone."</p>
            <FormError error />
            <form action=DeleteAccount::PATH method="post" class="form form--inline">
                <div class="field">
                    <label for="confirm-email">"Confirm your email"</label>
                    <input id="confirm-email" type="email" name="confirm_email" autocomplete="off" required />
                </div>
                <button type="submit" class="btn btn--danger">"Delete account"</button>
            </form>
        </section>
    }
}

/// The way to the account page from the header.
#[component]
pub fn AccountLink() -> impl IntoView {
    view! { <A href="/account" attr:class="account-nav__link">"Account"</A> }
}
