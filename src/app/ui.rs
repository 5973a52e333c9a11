//! Small shared pieces of UI.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::domain::AppError;

/// An error for the person, announced by screen readers (`role="alert"`). Renders nothing
/// when there is no error.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|err| {
            view! {
                <p role="alert" class="alert alert--error">
                    {err.to_string()}
                </p>
            }
        })
    }
}

/// The error of an action's last run, if it failed.
pub fn error_of<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The message for one field, if the error is about that field.
pub fn field_error(
    error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> bool + Copy + Send + Sync {
    move || error.with(|e| e.as_ref().and_then(AppError::field) == Some(field))
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
