//! Sign-up, sign-in and sign-out: the pages and the server functions behind them.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::{
    ui::{invalid, post_error, FormError, PasskeyAnswerFields},
    EnhanceScripts,
};
use crate::domain::{
    AppError, CurrentUser, NamedProvider, PendingLink, ProviderSignInError, EMAIL_MAX_LEN,
    NAME_MAX_CHARS, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS,
};

/// The signed-in user, or `None`.
#[server(name = CurrentUserFn, prefix = "/rpc", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(crate::server::context::auth()?.user().map(|u| u.to_view()))
}

/// The identity providers configured on this server, in display order.
#[server(prefix = "/rpc", endpoint = "auth_providers")]
pub async fn auth_providers() -> Result<Vec<NamedProvider>, AppError> {
    Ok(crate::server::context::state()?.oauth.enabled())
}

/// Signs in with email and password, then goes to `next` (a path on this site) or `/todos`.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    ssr::login(email, password, next).await
}

/// The options of the browser's "sign in with a passkey" dialog, and the token that finishes
/// it (JSON; `crate::enhance` reads it).
#[server(prefix = "/rpc", endpoint = "passkey_sign_in_options")]
pub async fn passkey_sign_in_options() -> Result<String, AppError> {
    use crate::server::{account::passkeys, context};
    passkeys::sign_in_options(&context::state()?, &context::origin()?).await
}

/// "Sign in with a passkey", with the browser's answer to the options of `token`: a passkey is
/// both factors, so this signs in at once, and goes to `next` or `/todos`.
#[server(prefix = "/rpc", endpoint = "sign_in_with_passkey")]
pub async fn sign_in_with_passkey(
    token: String,
    credential: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::{
        domain::safe_next,
        server::{account::passkeys, context},
    };
    let state = context::state()?;
    let origin = context::origin()?;
    let user = passkeys::sign_in(&state, &origin, &token, &credential).await?;
    ssr::start_session(&user, &origin).await?;
    context::remember_device(&context::known_devices()?, &user)?;
    tracing::info!(user_id = %user.id, "signed in with a passkey");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
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
    Ok(provider_link::pending_link(
        &state,
        &context::parts()?.headers,
    ))
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
    use crate::{
        domain::AuditEvent,
        server::{auth::session, context, db::audit},
    };
    let state = context::state()?;
    if let Some(user) = context::auth()?.user() {
        audit::record(
            state.db.write(),
            Some(&user.id),
            AuditEvent::SignOut,
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
pub(super) mod ssr {
    use crate::{
        domain::{safe_next, AppError},
        server::{
            account::{self, PasswordSignIn, SignedUp},
            auth::session,
            context,
            cookies::{self, CookieOptions},
            db::{audit, users::UserRecord},
            http::{provider_link, second_factor},
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
            Ok(PasswordSignIn::Complete(user)) => user,
            Ok(PasswordSignIn::SecondFactor(user)) => {
                return ask_second_factor(&user, "password", &safe_next(next.as_deref())).await;
            }
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
        if let Some(removal) = removal {
            context::set_cookie(removal);
        }
        if account::two_factor::required(&state, &user.id).await? {
            return ask_second_factor(&user, "password", &safe_next(Some(&next))).await;
        }
        start_session(&user, &origin).await?;
        context::remember_device(&devices, &user)?;
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

    /// The first factor was right, and two-factor authentication is on: this browser waits at
    /// `/login/verify` for the second, without a session.
    pub async fn ask_second_factor(
        user: &UserRecord,
        method: &str,
        next: &str,
    ) -> Result<(), AppError> {
        let state = context::state()?;
        if let Some(cookie) = second_factor::begin(&state, user, method, next).await? {
            context::set_cookie(cookie);
        }
        leptos_axum::redirect("/login/verify");
        Ok(())
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

mod pages;
mod verify;

pub use pages::{LinkPage, LoginPage, SignupPage};
pub use verify::{SignInWaiting, VerifyPage, VerifySignIn};
