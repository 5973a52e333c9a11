//! HTTP plumbing around the app: the connection loop and its timeouts, request ids and logs,
//! request targets and bodies, the same-origin check, security headers, who is signed in,
//! error responses, health checks and static files.

pub mod authenticate;
pub mod body;
pub mod errors;
pub mod health;
pub mod oauth;
pub mod provider_link;
pub mod request_id;
pub mod request_origin;
pub mod same_origin;
pub mod second_factor;
pub mod security_headers;
pub mod serve;
pub mod static_files;
pub mod target;
