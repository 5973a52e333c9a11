//! Everything that runs only on the server: configuration, start-up, the database, auth,
//! HTTP middleware and telemetry. None of it reaches the wasm bundle.

pub mod account;
pub mod api;
pub mod auth;
pub mod background;
pub mod cli;
pub mod config;
pub mod context;
pub mod cookies;
pub mod crypto;
pub mod db;
pub mod http;
pub mod live;
pub mod mail;
pub mod metrics;
mod router;
pub mod startup;
pub mod state;
pub mod telemetry;
#[cfg(test)]
pub(crate) mod testing;
