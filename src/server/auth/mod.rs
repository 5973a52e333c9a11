//! Authentication: password hashing, browser sessions, and the keys behind them.

pub mod keys;
pub mod password;
pub mod session;
