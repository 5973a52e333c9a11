//! Seamless: a task manager in one Rust process. Leptos renders pages on the server as HTML;
//! in the browser a small wasm module posts their forms with `fetch` and swaps in the server's
//! new rendering; server functions replace the HTTP API between the two; sign-in, sessions
//! and data access run in-process.
#![deny(unsafe_code)]

pub mod app;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;

/// The wasm bundle: progressive enhancement of the server-rendered pages (no Leptos in the
/// browser; see `enhance`).
#[cfg(feature = "hydrate")]
pub mod enhance;
