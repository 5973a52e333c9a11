//! Small shared pieces of UI.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::domain::AppError;

/// An error for the person, announced by screen readers (`role="alert"`). Renders nothing
/// when there is no error.
#[component]
pub fn FormError(error: Option<AppError>) -> impl IntoView {
    error.map(|err| {
        view! {
            <p role="alert" class="alert alert--error">
                {err.to_string()}
            </p>
        }
    })
}

/// The error a plain form post to the server function `S` came back with, if any. Leptos
/// sends the browser back to the page with it in the address (`?__path=…&__err=…`, also what
/// `crate::enhance` asks for after a refused post), and the router hands it to the page. This
/// is what a `ServerAction`'s value would hold while the page renders, without the reactive
/// action: pages are only ever rendered on the server.
pub fn post_error<S>() -> Option<AppError>
where
    S: leptos::server_fn::ServerFn<Error = AppError>,
{
    use leptos::server_fn::error::ServerFnUrlError;
    let error = use_context::<leptos::server::ServerActionError>()?;
    (error.path() == S::PATH).then(|| ServerFnUrlError::<AppError>::decode_err(error.err()))
}

/// `"true"` when `error` is about `field` (for `aria-invalid`), else `"false"`.
pub fn invalid(error: &Option<AppError>, field: &'static str) -> &'static str {
    if error.as_ref().and_then(AppError::field) == Some(field) {
        "true"
    } else {
        "false"
    }
}

/// What an unknown address shows. (The server answers it with 404: every path that is not a
/// route reaches the router's fallback, which sets the status itself.)
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Title text="Page not found" />
        <section class="card card--narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p>
                <A href="/">"Go to the start page"</A>
            </p>
        </section>
    }
}

/// The "Code" field for the six digits of an authenticator app (`name="code"`).
#[component]
pub fn CodeField(
    id: &'static str,
    /// `aria-invalid`: `"true"` when the last post was refused for this field.
    invalid: &'static str,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Code"</label>
            <input
                id=id
                type="text"
                name="code"
                inputmode="numeric"
                autocomplete="one-time-code"
                pattern="[0-9 ]{6,7}"
                maxlength="7"
                autofocus=autofocus
                required
                aria-invalid=invalid
            />
        </div>
    }
}

/// The two fields `crate::enhance` fills in a passkey form (`data-passkey`) before it posts:
/// the ceremony's token and the browser's answer, named `token` and `credential` (after
/// `prefix`, in a form that has other fields of those names). Empty without JavaScript.
#[component]
pub fn PasskeyAnswerFields(#[prop(optional)] prefix: &'static str) -> impl IntoView {
    view! {
        <input type="hidden" name=format!("{prefix}token") value="" data-passkey-answer="token" />
        <input
            type="hidden"
            name=format!("{prefix}credential")
            value=""
            data-passkey-answer="credential"
        />
    }
}

/// `text` escaped for the inside of a `<textarea>`. Leptos (tachys 0.2) writes a textarea's
/// children as they are, unescaped, as it does a `<script>`'s; but a textarea's content is
/// HTML text that ends at the first `</textarea>`, so text a person wrote could close it and
/// inject markup. Escaped here, the browser shows the very text (a test checks both).
pub fn textarea_text(text: &str) -> String {
    crate::server::http::errors::escape(text)
}
