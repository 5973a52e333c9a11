//! Stand-ins for the services Seamless talks to, for its tests: GitHub and Google sign-in
//! ([`oauth`]) and an SMTP server ([`smtp`]). Each listens on a local port and speaks the real
//! protocol, so the app under test runs unchanged. Also run on its own by
//! `examples/oauth_standin.rs` for the browser tests.

pub mod oauth;
pub mod passkey;
pub mod smtp;
