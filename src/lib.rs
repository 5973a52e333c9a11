//! Seamless: a task manager in one Rust process. Leptos renders pages on the server as HTML
//! and hydrates only their interactive parts (islands) in the browser; server functions
//! replace the HTTP API between the two; sign-in, sessions and data access run in-process.
#![deny(unsafe_code)]

pub mod app;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the wasm bundle. Pages are plain HTML from the server; only their
/// interactive parts (`#[island]`s) hydrate. This sets up the reactive root the islands share;
/// the loader script in the page then hydrates each `<leptos-island>` (see `app::bundle`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panics in the browser console while developing; release builds abort on panic
    // and leave the hook (and its formatting code) out of the bundle.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
