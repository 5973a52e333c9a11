//! Integration tests: the real server on a random port, a fresh SQLite file per test, and
//! cookie-keeping HTTP clients.

mod auth;
mod helpers;
mod operations;
mod security;
mod todos;
