//! Integration tests: the real server on a random port, a fresh SQLite file per test, and
//! cookie-keeping HTTP clients.

mod api;
mod auth;
mod helpers;
mod oauth;
#[path = "../support/oauth_standin.rs"]
mod oauth_standin;
mod operations;
mod postgres;
mod security;
mod todos;
