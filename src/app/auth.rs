//! Sign-up, sign-in and sign-out: the pages and the server functions behind them.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::ui::{invalid, post_error, FormError};
use crate::domain::{
    AppError, CurrentUser, PendingLink, Provider, ProviderSignInError, EMAIL_MAX_LEN,
    NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS,
};

/// The signed-in user, or `None`.
#[server(name = CurrentUserFn, prefix = "/rpc", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(crate::server::context::auth()?.user().map(|u| u.to_view()))
}

/// The identity providers configured on this server, in display order.
#[server(prefix = "/rpc", endpoint = "auth_providers")]
pub async fn auth_providers() -> Result<Vec<Provider>, AppError> {
    Ok(crate::server::context::state()?.oauth.enabled())
}

/// Signs in with email and password, then goes to `next` (a path on this site) or `/todos`.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    ssr::login(email, password, next).await
}

/// Creates an account, signs it in, and goes to `next` or `/todos`. An address that has an
/// account already gets the same answer (without a session); its owner is told by mail.
#[server(prefix = "/rpc", endpoint = "signup")]
pub async fn signup(
    name: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    ssr::signup(name, email, password, next).await
}

/// The provider sign-in waiting in this browser for an existing account's password.
#[server(name = PendingLinkFn, prefix = "/rpc", endpoint = "pending_link")]
pub async fn pending_link() -> Result<Option<PendingLink>, AppError> {
    use crate::server::{context, http::provider_link};
    let state = context::state()?;
    Ok(
        provider_link::pending_link(&state, &context::parts()?.headers)
            .map(|(provider, email)| PendingLink { provider, email }),
    )
}

/// Links the waiting provider identity to its account with that account's password, signs
/// in, and goes on to where the person was going.
#[server(prefix = "/rpc", endpoint = "link_account")]
pub async fn link_account(password: String) -> Result<(), AppError> {
    ssr::link_account(password).await
}

/// Signs out: the session is deleted on the server, then the start page.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{auth::session, context, db::audit};
    let state = context::state()?;
    if let Some(user) = context::auth()?.user() {
        audit::record(
            &state.db,
            Some(&user.id),
            "sign_out",
            None,
            &context::origin()?,
        )
        .await;
    }
    session::end(&context::session()?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::{
        domain::{safe_next, AppError},
        server::{
            account::{self, SignedUp},
            auth::session,
            context,
            db::{audit, users::UserRecord},
            http::{
                cookies::{self, CookieOptions},
                provider_link,
            },
        },
    };

    pub async fn login(
        email: String,
        password: String,
        next: Option<String>,
    ) -> Result<(), AppError> {
        let state = context::state()?;
        let origin = context::origin()?;
        let devices = context::known_devices()?;
        let user = match account::sign_in(&state, &origin, &email, password, &devices).await {
            Ok(user) => user,
            Err(err) => {
                keep_typed(&Typed {
                    email,
                    name: String::new(),
                });
                return Err(err);
            }
        };
        start_session(&user, &origin).await?;
        context::remember_device(&devices, &user)?;
        tracing::info!(user_id = %user.id, "signed in");
        leptos_axum::redirect(&safe_next(next.as_deref()));
        Ok(())
    }

    pub async fn signup(
        name: String,
        email: String,
        password: String,
        next: Option<String>,
    ) -> Result<(), AppError> {
        let state = context::state()?;
        let origin = context::origin()?;
        let outcome = match account::sign_up(&state, &origin, &name, &email, password).await {
            Ok(outcome) => outcome,
            Err(err) => {
                keep_typed(&Typed { email, name });
                return Err(err);
            }
        };
        // Without a session until the address is proven, the answer is the same either way.
        let to = if state.settings.auth.require_verified_email {
            "/login?verify=1".to_owned()
        } else {
            safe_next(next.as_deref())
        };
        if let SignedUp::Created(user) = outcome {
            tracing::info!(user_id = %user.id, "signed up");
            if !state.settings.auth.require_verified_email {
                start_session(&user, &origin).await?;
                context::remember_device(&context::known_devices()?, &user)?;
            }
        }
        leptos_axum::redirect(&to);
        Ok(())
    }

    pub async fn link_account(password: String) -> Result<(), AppError> {
        let state = context::state()?;
        let origin = context::origin()?;
        let devices = context::known_devices()?;
        let (user, next, removal) = provider_link::finish_link(
            &state,
            &origin,
            &context::parts()?.headers,
            password,
            &devices,
        )
        .await?;
        start_session(&user, &origin).await?;
        context::remember_device(&devices, &user)?;
        if let Some(removal) = removal {
            context::set_cookie(removal);
        }
        tracing::info!(user_id = %user.id, "linked a provider with the account's password");
        leptos_axum::redirect(&safe_next(Some(&next)));
        Ok(())
    }

    /// What a person typed into the sign-in or sign-up form, never the password. A refused
    /// form post comes back to its page as a new page load (the error in the URL); the page
    /// fills the fields in again from this.
    #[derive(Default, serde::Serialize, serde::Deserialize)]
    pub struct Typed {
        pub email: String,
        pub name: String,
    }

    const TYPED_PURPOSE: &str = "typed";
    const TYPED_COOKIE: &str = "seamless_typed";

    fn typed_cookie() -> Result<CookieOptions, AppError> {
        Ok(CookieOptions {
            path: "/",
            // Long enough for the redirect back to the form, no longer.
            max_age: std::time::Duration::from_secs(60),
            secure: context::state()?.settings.is_https(),
            same_site: tower_sessions::cookie::SameSite::Strict,
        })
    }

    /// Keeps `typed` for the form's page, in a signed cookie that lives a minute.
    fn keep_typed(typed: &Typed) {
        let Ok((state, options)) = context::state().and_then(|s| Ok((s, typed_cookie()?))) else {
            return;
        };
        let sealed = cookies::seal(&state.keys.cookies, TYPED_PURPOSE, typed, options.max_age);
        if let Some(cookie) = cookies::set(&cookies::name(TYPED_COOKIE, options), &sealed, options)
        {
            context::set_cookie(cookie);
        }
    }

    /// What the last refused sign-in or sign-up form held, once: the cookie is removed.
    pub fn take_typed() -> Typed {
        let found = (|| {
            let (state, options) = (context::state().ok()?, typed_cookie().ok()?);
            let name = cookies::name(TYPED_COOKIE, options);
            let sealed = cookies::read(&context::parts().ok()?.headers, &name)?;
            if let Some(removal) = cookies::remove(&name, options) {
                context::set_cookie(removal);
            }
            cookies::open(&state.keys.cookies, TYPED_PURPOSE, &sealed)
        })();
        found.unwrap_or_default()
    }

    pub async fn start_session(user: &UserRecord, origin: &audit::Origin) -> Result<(), AppError> {
        session::start(
            &context::session()?,
            user,
            origin.user_agent.as_deref(),
            origin.ip.as_deref(),
        )
        .await
    }
}

/// `next` from the query string, for the hidden field that carries it through the form.
fn next_param() -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("next").unwrap_or_default())
}

/// The email and name of the last refused form post on this page (filled in again).
fn typed_back() -> (String, String) {
    #[cfg(feature = "ssr")]
    {
        let typed = ssr::take_typed();
        (typed.email, typed.name)
    }
    #[cfg(not(feature = "ssr"))]
    {
        Default::default()
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let (typed_email, _) = typed_back();
    let query = use_query_map();
    let next = next_param();
    let expired = move || query.read().get("reason").as_deref() == Some("expired");
    let notice = move || {
        let q = query.read();
        if q.get("reset").is_some() {
            Some("Your password has been reset. Sign in with your new password.")
        } else if q.get("verified").is_some() {
            Some("Your email address is verified. You can sign in.")
        } else if q.get("verify").is_some() {
            Some("We sent you a link to verify your email address. Open it, then sign in.")
        } else {
            None
        }
    };
    let provider_error = move || {
        let q = query.read();
        let reason = ProviderSignInError::from_code(&q.get("error")?)?;
        let provider = q.get("provider").and_then(|p| Provider::from_slug(&p));
        Some(reason.message(provider))
    };
    let error = post_error::<Login>();
    let signup_href = move || match next.get() {
        n if n.is_empty() => "/signup".to_owned(),
        n => format!("/signup?next={}", urlencode(&n)),
    };
    let email_invalid = invalid(&error, "email");
    view! {
        <Title text="Sign in" />
        <section class="card card--narrow auth">
            <h1>"Sign in"</h1>
            <p class="muted">"Welcome back. Sign in to see your tasks."</p>
            <Show when=expired>
                <p role="status" class="alert alert--info">
                    "Your session has expired. Please sign in again."
                </p>
            </Show>
            {move || notice().map(|text| view! { <p role="status" class="alert alert--info">{text}</p> })}
            {move || {
                provider_error()
                    .map(|message| {
                        view! {
                            <p role="alert" class="alert alert--error">
                                {message}
                            </p>
                        }
                    })
            }}
            <FormError error />
            <ProviderLinks next />
            <form action=Login::PATH method="post" class="form">
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="login-email">"Email"</label>
                    <input
                        id="login-email"
                        type="email"
                        name="email"
                        value=typed_email
                        autocomplete="username"
                        inputmode="email"
                        maxlength=EMAIL_MAX_LEN
                        required
                        aria-invalid=email_invalid
                    />
                </div>
                <CurrentPasswordField id="login-password" />
                <button type="submit" class="btn btn--primary btn--block">
                    "Sign in"
                </button>
            </form>
            <p class="auth__switch auth__switch--first">
                <A href="/forgot-password">"Forgot your password?"</A>
            </p>
            <p class="auth__switch">"New to Seamless? " <A href=signup_href>"Create account"</A></p>
        </section>
    }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let (typed_email, typed_name) = typed_back();
    let next = next_param();
    let error = post_error::<Signup>();
    let login_href = move || match next.get() {
        n if n.is_empty() => "/login".to_owned(),
        n => format!("/login?next={}", urlencode(&n)),
    };
    let name_invalid = invalid(&error, "name");
    let email_invalid = invalid(&error, "email");
    let password_invalid = invalid(&error, "password");
    view! {
        <Title text="Create account" />
        <section class="card card--narrow auth">
            <h1>"Create your account"</h1>
            <p class="muted">"It takes a few seconds. No credit card, no spam."</p>
            <FormError error />
            <ProviderLinks next />
            <form action=Signup::PATH method="post" class="form">
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="signup-name">"Name"</label>
                    <input
                        id="signup-name"
                        type="text"
                        name="name"
                        value=typed_name
                        autocomplete="name"
                        maxlength=NAME_MAX_CHARS
                        required
                        aria-invalid=name_invalid
                    />
                </div>
                <div class="field">
                    <label for="signup-email">"Email"</label>
                    <input
                        id="signup-email"
                        type="email"
                        name="email"
                        value=typed_email
                        autocomplete="email"
                        inputmode="email"
                        maxlength=EMAIL_MAX_LEN
                        required
                        aria-invalid=email_invalid
                    />
                </div>
                <div class="field">
                    <label for="signup-password">"Password"</label>
                    <input
                        id="signup-password"
                        type="password"
                        name="password"
                        autocomplete="new-password"
                        minlength=PASSWORD_MIN_CHARS
                        maxlength=PASSWORD_MAX_CHARS
                        required
                        aria-describedby="signup-password-hint"
                        aria-invalid=password_invalid
                    />
                    <p id="signup-password-hint" class="field__hint">
                        {format!("At least {PASSWORD_MIN_CHARS} characters. A few unrelated words make a strong password.")}
                    </p>
                </div>
                <button type="submit" class="btn btn--primary btn--block">
                    "Create account"
                </button>
            </form>
            <p class="auth__switch">"Already have an account? " <A href=login_href>"Sign in"</A></p>
        </section>
    }
}

/// `/login/link`: a provider vouched for the address of an account that has a password; its
/// password is asked for once before the provider is linked (or the person resets it).
#[component]
pub fn LinkPage() -> impl IntoView {
    let waiting = Resource::new(|| (), |_| pending_link());
    let error = post_error::<LinkAccount>();
    view! {
        <Title text="Link your account" />
        <section class="card card--narrow auth">
            <Suspense fallback=|| ()>
                {move || {
                    waiting
                        .get()
                        .map(|found| match found {
                            Ok(Some(PendingLink { provider, email })) => {
                                let label = provider.label();
                                view! {
                                    <h1>{format!("Link {label} to your account")}</h1>
                                    <p class="muted">
                                        "An account with " <strong>{email.clone()}</strong>
                                        {format!(" already exists. Enter its password once to link {label} to it; after that, {label} signs you in directly.")}
                                    </p>
                                    <FormError error=error.clone() />
                                    <form action=LinkAccount::PATH method="post" class="form">
                                        <input type="hidden" name="username" autocomplete="username" value=email />
                                        <CurrentPasswordField id="link-password" />
                                        <button type="submit" class="btn btn--primary btn--block">
                                            "Link and sign in"
                                        </button>
                                    </form>
                                    <p class="auth__switch">
                                        "Not your password, or forgotten it? " <A href="/forgot-password">"Reset the password"</A>
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(None) => {
                                view! {
                                    <h1>"Link your account"</h1>
                                    <p role="alert" class="alert alert--error">
                                        {crate::domain::Message::LinkExpired.to_string()}
                                    </p>
                                    <p class="auth__switch">
                                        <A href="/login">"Back to sign in"</A>
                                    </p>
                                }
                                    .into_any()
                            }
                            Err(err) => {
                                view! {
                                    <p role="alert" class="alert alert--error">{err.to_string()}</p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
    }
}

/// The "Password" field of a form that signs in with an account's existing password.
#[component]
fn CurrentPasswordField(id: &'static str) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Password"</label>
            <input
                id=id
                type="password"
                name="password"
                autocomplete="current-password"
                maxlength=PASSWORD_MAX_CHARS
                required
            />
        </div>
    }
}

/// "Continue with GitHub" / "Continue with Google", for the providers configured. These are
/// real navigations (`rel="external"`): the flow leaves the app for the provider's page.
#[component]
fn ProviderLinks(next: Signal<String>) -> impl IntoView {
    let providers = Resource::new(|| (), |_| auth_providers());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                providers
                    .get()
                    .and_then(Result::ok)
                    .filter(|list| !list.is_empty())
                    .map(|list| {
                        let links = list
                            .into_iter()
                            .map(|provider| {
                                let href = move || match next.get() {
                                    n if n.is_empty() => format!("/auth/{}", provider.slug()),
                                    n => format!("/auth/{}?next={}", provider.slug(), urlencode(&n)),
                                };
                                view! {
                                    <a
                                        href=href
                                        rel="external"
                                        class=format!("btn btn--secondary btn--block btn--provider btn--{}", provider.slug())
                                    >
                                        <span class="provider-logo" aria-hidden="true"></span>
                                        {format!("Continue with {}", provider.label())}
                                    </a>
                                }
                            })
                            .collect_view();
                        view! {
                            <div class="providers">{links}</div>
                            <p class="divider">
                                <span>"or with your email"</span>
                            </p>
                        }
                    })
            }}
        </Suspense>
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
