//! Integration tests: the real server on a random port, a fresh SQLite file per test, and
//! cookie-keeping HTTP clients.

mod account;
mod api;
mod auth;
mod bulk;
mod conflicts;
mod connections;
mod due_dates;
mod filters;
mod helpers;
mod live;
mod metrics;
mod notes;
mod oauth;
mod operations;
mod order;
mod pages;
mod paging;
mod passkeys;
mod postgres;
mod security;
mod takeover;
mod throttling;
mod todos;
mod tracing;
mod two_factor;
mod undo;
