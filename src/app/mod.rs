//! Pages and components. This module compiles for the server (SSR) and for the browser (wasm).

mod account;
mod auth;
#[cfg(feature = "ssr")]
mod bundle;
mod home;
mod recovery;
mod todos;
mod ui;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, SsrMode,
};

pub use account::{
    AccountOverviewFn, AddPasskey, BeginTotpSetup, ChangePassword, DeleteAccount, NewRecoveryCodes,
    PasskeyOptions, PasskeyProofOptions, ProveWithPasskey, RemovePasskey, ResendVerification,
    RevokeSession, SignOutEverywhere, TurnOffTwoFactor, TurnOnTwoFactor, UnlinkProvider,
    UpdateProfile,
};
pub use auth::{
    auth_providers, current_user, AuthProviders, CurrentUserFn, LinkAccount, Login, Logout,
    PasskeySignInOptions, PendingLinkFn, SignInWaiting, SignInWithPasskey, Signup, VerifySignIn,
};
pub use recovery::{RequestPasswordReset, ResetPassword, VerifyEmail};
pub use todos::{
    AddTodo, BulkTodos, ClearCompletedTodos, CompleteAllTodos, CompleteTodo, DeleteTodo, ListTodos,
    PlaceTodo, RenameTodo, ReopenTodo, RestoreTodos,
};

use crate::domain::CurrentUser;

/// The HTML document around the app (server only: it reads the bundle's file names). Its
/// scripts carry the nonce of this request's Content-Security-Policy, which the server's
/// security-headers middleware makes and sets.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <bundle::BundleLinks options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The signed-in state every page shares: the current user, for the header.
/// (Server-rendered: a change of who is signed in is a new page. The user is read from the
/// request as the page starts rendering: the session middleware has already loaded it, so
/// there is nothing to wait for, and a resource would make every page an async render.)
#[derive(Clone)]
pub struct SessionContext {
    pub user: Option<CurrentUser>,
}

impl SessionContext {
    fn new() -> Self {
        let user = crate::server::context::auth()
            .ok()
            .and_then(|auth| auth.user().map(|user| user.to_view()));
        SessionContext { user }
    }
}

/// The bundle's preloads and its loader, for a page whose forms it enhances (they go into the
/// head). A page without it references no script at all.
#[component]
pub fn EnhanceScripts() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        bundle::enhance_scripts()
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Seamless".to_owned() } else { format!("{page} · Seamless") } />
        <Router>
            <Layout />
        </Router>
    }
}

#[component]
fn Layout() -> impl IntoView {
    let session = SessionContext::new();
    provide_context(session);
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <Header />
        <main id="main" class="page">
            <Routes fallback=ui::NotFound>
                <Route path=path!("") view=home::HomePage ssr=SsrMode::Async />
                <Route path=path!("login") view=auth::LoginPage ssr=SsrMode::Async />
                <Route path=path!("login/link") view=auth::LinkPage ssr=SsrMode::Async />
                <Route path=path!("login/verify") view=auth::VerifyPage ssr=SsrMode::Async />
                <Route path=path!("signup") view=auth::SignupPage ssr=SsrMode::Async />
                <Route path=path!("todos") view=todos::TodosPage ssr=SsrMode::Async />
                <Route path=path!("account") view=account::AccountPage ssr=SsrMode::Async />
                <Route path=path!("forgot-password") view=recovery::ForgotPasswordPage ssr=SsrMode::Async />
                <Route path=path!("reset-password") view=recovery::ResetPasswordPage ssr=SsrMode::Async />
                <Route path=path!("verify-email") view=recovery::VerifyEmailPage ssr=SsrMode::Async />
            </Routes>
        </main>
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <A href="/" attr:class="brand">
                    <span class="brand__mark" aria-hidden="true"></span>
                    "Seamless"
                </A>
                {session
                    .user
                    .map(|user| {
                        view! {
                            <nav class="account-nav" aria-label="Account">
                                <span class="account-nav__user" title=user.email.clone()>
                                    {user.display_name().to_owned()}
                                </span>
                                <account::AccountLink />
                                <form action=Logout::PATH method="post">
                                    <button type="submit" class="btn btn--quiet">
                                        "Sign out"
                                    </button>
                                </form>
                            </nav>
                        }
                    })}
            </div>
        </header>
    }
}
