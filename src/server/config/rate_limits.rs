//! `[rate_limits]`: attempts per window, counted in the database so all instances share them.

use std::time::Duration;

use serde::Deserialize;

use super::Limit;

/// Rate limits, counted in the database so all instances share them.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Env `RATE_LIMITS_ENABLED`. Default true. (Turn off only to benchmark password hashing.)
    pub enabled: bool,
    /// Failed sign-ins (pages and `/api/v1/auth/token`) per account and client IP (IPv6: per
    /// /64). Env `RATE_LIMIT_SIGN_IN_ACCOUNT_IP`. Default `10/15m`.
    pub sign_in_account_ip: Limit,
    /// Failed sign-ins per client IP, whatever the account. Env `RATE_LIMIT_SIGN_IN_IP`. Default `50/15m`.
    pub sign_in_ip: Limit,
    /// Failed sign-ins per account from browsers it does not know (and API clients), from
    /// every IP together: bounds guessing spread over many addresses.
    /// Env `RATE_LIMIT_SIGN_IN_ACCOUNT`. Default `100/1h`.
    pub sign_in_account: Limit,
    /// Failed sign-ins per known browser (one with a device cookie of the account), which no
    /// other limit holds back. Env `RATE_LIMIT_SIGN_IN_DEVICE`. Default `10/15m`.
    pub sign_in_device: Limit,
    /// Sign-ins started with GitHub or Google per client IP. Env `RATE_LIMIT_PROVIDER_START_IP`. Default `30/15m`.
    pub provider_start_ip: Limit,
    /// Sign-ups per client IP. Env `RATE_LIMIT_SIGN_UP_IP`. Default `20/1h`.
    pub sign_up_ip: Limit,
    /// Token refreshes per client IP. Env `RATE_LIMIT_REFRESH_IP`. Default `120/15m`.
    pub refresh_ip: Limit,
    /// Password reset requests per account. Env `RATE_LIMIT_RESET_ACCOUNT`. Default `3/1h`.
    pub reset_account: Limit,
    /// Password reset requests per client IP. Env `RATE_LIMIT_RESET_IP`. Default `20/1h`.
    pub reset_ip: Limit,
    /// New passwords submitted from reset links, per client IP. Env `RATE_LIMIT_RESET_SUBMIT_IP`. Default `20/15m`.
    pub reset_submit_ip: Limit,
    /// Password changes (each checks the current password) per account.
    /// Env `RATE_LIMIT_PASSWORD_CHANGE_ACCOUNT`. Default `10/15m`.
    pub password_change_account: Limit,
    /// Verification emails per account. Env `RATE_LIMIT_VERIFICATION_ACCOUNT`. Default `3/1h`.
    pub verification_account: Limit,
}

/// `count` attempts per `minutes`.
fn per(count: u32, minutes: u64) -> Limit {
    Limit {
        count,
        window: Duration::from_secs(minutes * 60),
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            enabled: true,
            sign_in_account_ip: per(10, 15),
            sign_in_ip: per(50, 15),
            sign_in_account: per(100, 60),
            sign_in_device: per(10, 15),
            provider_start_ip: per(30, 15),
            sign_up_ip: per(20, 60),
            refresh_ip: per(120, 15),
            reset_account: per(3, 60),
            reset_ip: per(20, 60),
            reset_submit_ip: per(20, 15),
            password_change_account: per(10, 15),
            verification_account: per(3, 60),
        }
    }
}
