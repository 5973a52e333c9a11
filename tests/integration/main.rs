//! Integration tests: the real server on a random port, a fresh SQLite file per test, and
//! cookie-keeping HTTP clients.

mod account;
mod api;
mod auth;
mod connections;
mod helpers;
mod oauth;
#[path = "../support/oauth_standin.rs"]
mod oauth_standin;
mod operations;
mod pages;
mod paging;
mod postgres;
mod security;
#[path = "../support/smtp.rs"]
mod smtp;
mod takeover;
mod throttling;
mod todos;
