//! Seamless: a task manager in one Rust process. Leptos renders pages on the server as HTML;
//! in the browser a small wasm module posts their forms with `fetch` and swaps in the server's
//! new rendering; server functions replace the HTTP API between the two; sign-in, sessions
//! and data access run in-process.
#![deny(unsafe_code)]

#[cfg(feature = "ssr")]
pub mod app;
#[cfg(feature = "ssr")]
pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;

/// The wasm bundle: progressive enhancement of the server-rendered pages. It is the only
/// module the browser build compiles: no Leptos, none of the pages, none of the domain.
#[cfg(feature = "hydrate")]
pub mod enhance;
