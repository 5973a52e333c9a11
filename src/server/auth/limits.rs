//! Rate limits on the endpoints attackers hammer: sign-in (pages and API), sign-up, token
//! refresh, password-reset requests and verification emails. Counted per client IP and per
//! account (keyed hash of the email, so the table holds no addresses), in the database, so
//! every instance enforces the same budget.

use crate::{
    domain::AppError,
    server::{config::Limit, db::rate_limits, state::AppState},
};

#[derive(Debug, Clone, Copy)]
pub enum Action {
    SignIn,
    SignUp,
    Refresh,
    PasswordReset,
    Verification,
}

/// Counts one attempt of `action` from `ip` on `account` (a normalised email or a user id)
/// against each limit that applies; the first one exceeded answers `RateLimited`.
pub async fn check(
    state: &AppState,
    action: Action,
    ip: Option<&str>,
    account: Option<&str>,
) -> Result<(), AppError> {
    let rl = &state.settings.rate_limits;
    if !rl.enabled {
        return Ok(());
    }
    let (name, per_ip, per_account): (&str, Option<Limit>, Option<Limit>) = match action {
        Action::SignIn => ("sign_in", Some(rl.sign_in_ip), Some(rl.sign_in_account)),
        Action::SignUp => ("sign_up", Some(rl.sign_up_ip), None),
        Action::Refresh => ("refresh", Some(rl.refresh_ip), None),
        Action::PasswordReset => ("reset", Some(rl.reset_ip), Some(rl.reset_account)),
        Action::Verification => ("verification", None, Some(rl.verification_account)),
    };
    if let (Some(limit), Some(ip)) = (per_ip, ip) {
        rate_limits::hit(&state.db, &format!("{name}:ip:{ip}"), limit).await?;
    }
    if let (Some(limit), Some(account)) = (per_account, account) {
        let key = state.keys.buckets.hash_token(account.as_bytes());
        rate_limits::hit(&state.db, &format!("{name}:account:{key}"), limit).await?;
    }
    Ok(())
}
