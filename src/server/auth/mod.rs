//! Authentication: password hashing, browser sessions, sign-in with GitHub and Google, and
//! the keys behind them.

pub mod devices;
pub mod jwt;
pub mod keys;
pub mod limits;
pub mod oauth;
pub mod passkeys;
pub mod password;
pub mod password_rules;
pub mod qr;
pub mod session;
pub mod totp;
