//! The landing page for signed-out visitors (signed-in ones are sent to their tasks).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::{components::A, hooks::use_query_map};

use super::SessionContext;

#[component]
pub fn HomePage() -> impl IntoView {
    // The server sends signed-in visitors straight to their tasks; this page can still be
    // reached by client-side navigation, so it offers the way there instead of a sign-in.
    let session = expect_context::<SessionContext>();
    let signed_in = session.user.is_some();
    let query = use_query_map();
    let deleted = move || query.read().get("deleted").is_some();
    view! {
        <Title text="" />
        // The front page is the one a search engine shows; a signed-in page has no use for it.
        <Meta name="description" content="Seamless: your tasks, signed in and in sync." />
        <Show when=deleted>
            <p role="status" class="alert alert--info hero__notice">
                "Your account and everything in it have been deleted."
            </p>
        </Show>
        <section class="hero">
            <h1 class="hero__title">"Your tasks, in one place."</h1>
            <p class="hero__lead">
                "Seamless keeps a simple list of what needs doing. Sign in from any browser and it is there, rendered on the server the moment you arrive."
            </p>
            <div class="hero__actions">
                {if signed_in {
                    view! {
                        <A href="/todos" attr:class="btn btn--primary">
                            "Open your tasks"
                        </A>
                    }
                        .into_any()
                } else {
                    view! {
                        <A href="/login" attr:class="btn btn--primary">
                            "Sign in"
                        </A>
                        <A href="/signup" attr:class="btn btn--secondary">
                            "Create account"
                        </A>
                    }
                        .into_any()
                }}
            </div>
        </section>
    }
}
