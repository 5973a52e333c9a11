//! The sections of the account page.

use super::*;

#[component]
pub(super) fn Profile(account: AccountOverview, done: Option<Done>) -> impl IntoView {
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
            <TimeZoneForm chosen=account.time_zone.clone() done />
        </section>
    }
}

/// "Time zone": the one due dates are named by ("Today", "Overdue"); by default the browser's
/// (which only a page with JavaScript can tell; UTC without it).
#[component]
fn TimeZoneForm(chosen: Option<String>, done: Option<Done>) -> impl IntoView {
    let error = post_error::<SetTimeZone>();
    let chosen = chosen.unwrap_or_default();
    let zones = crate::domain::time_zones()
        .into_iter()
        .map(|zone| {
            let selected = zone == chosen;
            view! { <option selected=selected>{zone}</option> }
        })
        .collect_view();
    view! {
        <form action=SetTimeZone::PATH method="post" class="form form--inline">
            <div class="field">
                <label for="time-zone">"Time zone"</label>
                <select id="time-zone" name="time_zone" aria-invalid=invalid(&error, "time_zone")>
                    <option value="" selected=chosen.is_empty()>"Your browser\u{2019}s"</option>
                    {zones}
                </select>
            </div>
            <button type="submit" class="btn btn--secondary">"Save time zone"</button>
        </form>
        <FormError error />
        {done_status(done, Done::TimeZone)}
    }
}

#[component]
pub(super) fn SignInMethods(account: AccountOverview, done: Option<Done>) -> impl IntoView {
    let error = post_error::<UnlinkProvider>();
    let verified = account.email_verified;
    let unlinked: Vec<String> = account
        .providers
        .iter()
        .filter(|p| !p.linked)
        .map(|p| p.provider.name.clone())
        .collect();
    let rows = account
        .providers
        .iter()
        .map(|link| {
            let slug = link.provider.provider.slug().to_owned();
            let label = link.provider.name.clone();
            let detail = if link.linked {
                link.email.clone().map(|e| format!("Linked as {e}")).unwrap_or_else(|| "Linked".into())
            } else {
                "Not linked".into()
            };
            let action = if link.linked {
                view! {
                    <form action=UnlinkProvider::PATH method="post" class="inline-form">
                        <input type="hidden" name="provider" value=slug.clone() />
                        <button type="submit" class="btn btn--quiet btn--small">{format!("Unlink {label}")}</button>
                    </form>
                }
                    .into_any()
            } else if verified {
                view! {
                    <a href=format!("/auth/{slug}?next=%2Faccount") rel="external" class="btn btn--secondary btn--small">
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
                    <span class=format!("provider-logo provider-logo--{slug}") aria-hidden="true"></span>
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
            {(!verified && !unlinked.is_empty()).then(|| view! {
                <div class="notice">
                    <p>{format!("Verify your email address to link {}: open the link we sent you.", either(&unlinked))}</p>
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
pub(super) fn PasswordForm(has_password: bool, changed: bool) -> impl IntoView {
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
pub(super) fn Sessions(sessions: Vec<ActiveSession>, done: Option<Done>) -> impl IntoView {
    let error = post_error::<RevokeSession>();
    let rows = sessions
        .into_iter()
        .map(|s| {
            let kind = match s.kind {
                SessionKind::Browser => "Browser",
                SessionKind::Api => "API client",
            };
            let described = format!("session-{}", s.id.to_string().replace(':', "-"));
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
                        <input type="hidden" name="id" value=s.id.to_string() />
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
pub(super) fn RecentActivity(account: AccountOverview) -> impl IntoView {
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
pub(super) fn DeleteAccountForm(needs_proof: bool) -> impl IntoView {
    let error = post_error::<DeleteAccount>();
    view! {
        <section class="card account__section account__danger" aria-labelledby="delete-title">
            <h2 id="delete-title">"Delete account"</h2>
            <p class="muted">"This deletes your tasks, sessions, tokens and linked accounts. It cannot be undone."</p>
            <FormError error=error.clone() />
            <form action=DeleteAccount::PATH method="post" class="form form--inline">
                <div class="field">
                    <label for="confirm-email">"Confirm your email"</label>
                    <input id="confirm-email" type="email" name="confirm_email" autocomplete="off" required />
                </div>
                <ProofField id="delete-proof" needed=needs_proof error />
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

/// "GitHub", "GitHub or Google", "GitHub, Google or Acme".
fn either(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
