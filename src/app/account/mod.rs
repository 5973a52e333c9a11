//! `/account`: profile, sign-in methods, password, active sessions, recent activity, and
//! deleting the account. Every form is a plain POST that works without JavaScript; with it,
//! the forms post in place (`crate::enhance`).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    ui::{invalid, post_error, CodeField, FormError, PasskeyAnswerFields},
    EnhanceScripts,
};
use crate::domain::{
    AccountOverview, ActiveSession, AppError, ProviderSignInError, SessionKind, NAME_MAX_CHARS,
    PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS,
};

#[server(name = AccountOverviewFn, prefix = "/rpc", endpoint = "account_overview")]
pub async fn account_overview() -> Result<AccountOverview, AppError> {
    let (state, user) = crate::server::context::caller()?;
    let mut overview =
        crate::server::account::overview(&state, &user, &crate::server::context::session()?)
            .await?;
    overview.two_factor.new_recovery_codes = two_factor::ssr::take_recovery_codes(&state, &user);
    Ok(overview)
}

#[server(prefix = "/rpc", endpoint = "update_profile")]
pub async fn update_profile(name: String) -> Result<(), AppError> {
    let (state, user) = crate::server::context::caller()?;
    crate::server::account::update_name(&state, &crate::server::context::origin()?, &user, &name)
        .await?;
    leptos_axum::redirect(&done_url(Done::Name));
    Ok(())
}

/// Saves the time zone the task page names due dates by (blank: the browser's).
#[server(prefix = "/rpc", endpoint = "set_time_zone")]
pub async fn set_time_zone(time_zone: Option<String>) -> Result<(), AppError> {
    let (state, user) = crate::server::context::caller()?;
    let zone =
        crate::domain::parse_time_zone(time_zone.as_deref().unwrap_or_default(), "time_zone")?;
    crate::server::db::users::set_time_zone(&state.db, &user.id, zone.as_deref()).await?;
    leptos_axum::redirect(&done_url(Done::TimeZone));
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    let (state, user) = crate::server::context::caller()?;
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
    let (state, user) = crate::server::context::caller()?;
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
    let (state, user) = crate::server::context::caller()?;
    let session = crate::server::context::session()?;
    let own = crate::server::account::revoke_session(
        &state,
        &crate::server::context::origin()?,
        &user,
        &session,
        &id.parse()?,
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
    let (state, user) = crate::server::context::caller()?;
    let session = crate::server::context::session()?;
    crate::server::account::sign_out_everywhere(&state, &crate::server::context::origin()?, &user)
        .await?;
    crate::server::auth::session::end(&session).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "unlink_provider")]
pub async fn unlink_provider(provider: String) -> Result<(), AppError> {
    let (state, user) = crate::server::context::caller()?;
    let provider = crate::domain::Provider::parse(&provider).ok_or(AppError::NotFound)?;
    crate::server::account::unlink_provider(
        &state,
        &crate::server::context::origin()?,
        &user,
        &provider,
    )
    .await?;
    leptos_axum::redirect(&done_url(Done::Unlinked));
    Ok(())
}

/// Deletes the account and everything in it; the person confirms by typing their email (and,
/// when this session's last proof is old, their password or a code).
#[server(prefix = "/rpc", endpoint = "delete_account")]
pub async fn delete_account(confirm_email: String, proof: Option<String>) -> Result<(), AppError> {
    let (state, user, _) = two_factor::ssr::proven_caller(proof).await?;
    crate::server::account::delete_account(&state, &user, &confirm_email).await?;
    crate::server::auth::session::end(&crate::server::context::session()?).await?;
    leptos_axum::redirect("/?deleted=1");
    Ok(())
}

/// What went through on the account page: its forms come back to `/account?done=…` (a new
/// page load, with or without JavaScript), and the section says so.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Done {
    Name,
    Resent,
    Password,
    TimeZone,
    Revoked,
    Unlinked,
    TwoFactorOn,
    TwoFactorOff,
    RecoveryCodes,
    PasskeyAdded,
    PasskeyRemoved,
    Proven,
}

impl Done {
    const ALL: [Done; 12] = [
        Done::Name,
        Done::Resent,
        Done::Password,
        Done::TimeZone,
        Done::Revoked,
        Done::Unlinked,
        Done::TwoFactorOn,
        Done::TwoFactorOff,
        Done::RecoveryCodes,
        Done::PasskeyAdded,
        Done::PasskeyRemoved,
        Done::Proven,
    ];

    fn code(self) -> &'static str {
        match self {
            Done::Name => "name",
            Done::Resent => "resent",
            Done::Password => "password",
            Done::TimeZone => "time_zone",
            Done::Revoked => "revoked",
            Done::Unlinked => "unlinked",
            Done::TwoFactorOn => "two_factor_on",
            Done::TwoFactorOff => "two_factor_off",
            Done::RecoveryCodes => "recovery_codes",
            Done::PasskeyAdded => "passkey_added",
            Done::PasskeyRemoved => "passkey_removed",
            Done::Proven => "proven",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Done::Name => "Your name is saved.",
            Done::Resent => "We sent you a new verification link.",
            Done::Password => "Your password is changed. Other sessions were signed out.",
            Done::TimeZone => "Your time zone is saved.",
            Done::Revoked => "The session is revoked.",
            Done::Unlinked => "The sign-in method is unlinked.",
            Done::TwoFactorOn => "Two-factor authentication is on.",
            Done::TwoFactorOff => "Two-factor authentication is off.",
            Done::RecoveryCodes => "New recovery codes are made: the old ones no longer work.",
            Done::PasskeyAdded => "The passkey is added.",
            Done::PasskeyRemoved => "The passkey is removed.",
            Done::Proven => "Thank you: for the next minutes, changes here ask for nothing more.",
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
    // A provider link that did not go through comes back here with a known code, naming a
    // provider the account page lists.
    let link_error = move || {
        let q = query.read();
        let reason = ProviderSignInError::from_code(&q.get("error")?)?;
        let slug = q.get("provider");
        let account = overview.get().and_then(Result::ok);
        let name = account.and_then(|a| {
            a.providers
                .into_iter()
                .find(|link| Some(link.provider.provider.slug()) == slug.as_deref())
                .map(|link| link.provider.name)
        });
        Some(reason.message(name.as_deref()))
    };

    view! {
        <Title text="Your account" />
        <EnhanceScripts />
        <div class="account">
            <h1>"Your account"</h1>
            <Show when=verified_now>
                <p role="status" class="alert alert--info">"Your email address is verified. Thank you."</p>
            </Show>
            <Suspense fallback=|| ()>
                {move || link_error().map(|message| view! { <p role="alert" class="alert alert--error">{message}</p> })}
            </Suspense>
            <Transition fallback=|| view! { <p class="muted">"Loading your account…"</p> }>
                {move || {
                    overview
                        .get()
                        .map(|result| match result {
                            Ok(account) => {
                                let confirm = !account.two_factor.proven_recently
                                    && account.passkeys_available
                                    && !account.passkeys.is_empty();
                                view! {
                                    {done_status(done, Done::Proven)}
                                    {confirm.then(|| view! { <ConfirmWithPasskey /> })}
                                    <Profile account=account.clone() done />
                                    <SignInMethods account=account.clone() done />
                                    <TwoFactorSection two_factor=account.two_factor.clone() done />
                                    <PasskeysSection
                                        passkeys=account.passkeys.clone()
                                        available=account.passkeys_available
                                        needs_proof=!account.two_factor.proven_recently
                                        done
                                    />
                                    <PasswordForm has_password=account.has_password changed=done == Some(Done::Password) />
                                    <Sessions sessions=account.sessions.clone() done />
                                    <RecentActivity account=account.clone() />
                                    <DeleteAccountForm needs_proof=!account.two_factor.proven_recently />
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

mod passkeys;
mod sections;
mod two_factor;

pub use self::passkeys::{
    AddPasskey, PasskeyOptions, PasskeyProofOptions, ProveWithPasskey, RemovePasskey,
};
use self::passkeys::{ConfirmWithPasskey, PasskeysSection};
pub use self::sections::AccountLink;
use self::sections::*;
pub use self::two_factor::{BeginTotpSetup, NewRecoveryCodes, TurnOffTwoFactor, TurnOnTwoFactor};
use self::two_factor::{ProofField, TwoFactorSection};
