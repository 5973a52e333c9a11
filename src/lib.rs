//! Seamless: a task manager in one Rust process. Leptos renders pages on the server and
//! hydrates them in the browser; server functions replace the HTTP API between the two;
//! sign-in, sessions and data access run in-process.
#![deny(unsafe_code)]

pub mod app;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the wasm bundle: attaches the browser to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panics in the browser console while developing; release builds abort on panic
    // and leave the hook (and its formatting code) out of the bundle.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets tests (and curious people) tell a hydrated page from server-rendered HTML alone.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "");
    }
}
