//! The sign-in, sign-up and link pages.

use super::*;

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
    let providers = Resource::new(|| (), |_| auth_providers());
    // Named as the configured provider with that slug; anything else in the URL is not shown.
    let provider_error = move || {
        let q = query.read();
        let reason = ProviderSignInError::from_code(&q.get("error")?)?;
        let slug = q.get("provider");
        let list = providers.get().and_then(Result::ok).unwrap_or_default();
        let name = list
            .into_iter()
            .find(|p| Some(p.provider.slug()) == slug.as_deref())
            .map(|p| p.name);
        Some(reason.message(name.as_deref()))
    };
    let error = post_error::<Login>();
    // The passkey button needs the bundle (the browser's passkey dialog is a script API); every
    // other form here is a plain post.
    let passkey_error = post_error::<SignInWithPasskey>();
    let signup_href = move || match next.get() {
        n if n.is_empty() => "/signup".to_owned(),
        n => format!("/signup?next={}", urlencode(&n)),
    };
    let email_invalid = invalid(&error, "email");
    view! {
        <Title text="Sign in" />
        <EnhanceScripts />
        <section class="card card--narrow auth">
            <h1>"Sign in"</h1>
            <p class="muted">"Welcome back. Sign in to see your tasks."</p>
            <Show when=expired>
                <p role="status" class="alert alert--info">
                    "Your session has expired. Please sign in again."
                </p>
            </Show>
            {move || notice().map(|text| view! { <p role="status" class="alert alert--info">{text}</p> })}
            <Suspense fallback=|| ()>
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
            </Suspense>
            <FormError error />
            <FormError error=passkey_error />
            <ProviderLinks next providers />
            <form
                action=SignInWithPasskey::PATH
                method="post"
                class="form form--passkey"
                data-passkey="get"
                data-options=PasskeySignInOptions::PATH
                data-passkey-autofill=""
            >
                <input type="hidden" name="next" value=next />
                <PasskeyAnswerFields />
                <button type="submit" class="btn btn--secondary btn--block">"Sign in with a passkey"</button>
            </form>
            <form action=Login::PATH method="post" class="form">
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="login-email">"Email"</label>
                    <input
                        id="login-email"
                        type="email"
                        name="email"
                        value=typed_email
                        autocomplete="username webauthn"
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
            <ProviderLinks next providers=Resource::new(|| (), |_| auth_providers()) />
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
                                let label = provider.name;
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

/// "Continue with GitHub", "Continue with Google", "Continue with <name>" of each `[[oidc]]`
/// provider: the providers configured. These are real navigations (`rel="external"`): the
/// flow leaves the app for the provider's page.
#[component]
fn ProviderLinks(
    next: Signal<String>,
    providers: Resource<Result<Vec<NamedProvider>, AppError>>,
) -> impl IntoView {
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
                            .map(|NamedProvider { provider, name }| {
                                let slug = provider.slug().to_owned();
                                let class = format!("btn btn--secondary btn--block btn--provider btn--{slug}");
                                let href = move || match next.get() {
                                    n if n.is_empty() => format!("/auth/{slug}"),
                                    n => format!("/auth/{slug}?next={}", urlencode(&n)),
                                };
                                view! {
                                    <a href=href rel="external" class=class>
                                        <span class="provider-logo" aria-hidden="true"></span>
                                        {format!("Continue with {name}")}
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
