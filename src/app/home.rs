//! The landing page for signed-out visitors (signed-in ones are sent to their tasks).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_navigate, NavigateOptions};

use super::SessionContext;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = expect_context::<SessionContext>();
    // The server redirects signed-in visitors; after client-side navigation, do it here.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(Some(_))) = session.user.get() {
            navigate("/todos", NavigateOptions { replace: true, ..Default::default() });
        }
    });
    view! {
        <Title text="" />
        <section class="hero">
            <h1 class="hero__title">"Your tasks, in one place."</h1>
            <p class="hero__lead">
                "Seamless keeps a simple list of what needs doing. Sign in from any browser and it is there, rendered on the server the moment you arrive."
            </p>
            <div class="hero__actions">
                <A href="/login" attr:class="btn btn--primary">
                    "Sign in"
                </A>
                <A href="/signup" attr:class="btn btn--secondary">
                    "Create account"
                </A>
            </div>
        </section>
    }
}
