//! HTTP plumbing around the app: request ids and logs, the same-origin check, security
//! headers, error responses, health checks and static files.

pub mod client;
pub mod cookies;
pub mod errors;
pub mod health;
pub mod origin;
pub mod request_id;
pub mod security_headers;
pub mod static_files;
