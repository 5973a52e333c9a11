//! Rate limits on the endpoints attackers hammer, counted in the database so every instance
//! enforces the same budget. Accounts are counted by a keyed hash of their email (the table
//! holds no addresses, and unknown addresses count exactly like known ones), clients by their
//! IP, IPv6 clients by their /64 (one customer's network, which can hold more addresses than
//! anyone could count).
//!
//! Sign-in counts failures, not attempts, in the way OWASP's "device cookies" describe: a
//! browser that signed in to the account before is held back only by its own failures, so
//! nobody can keep the real person out by guessing wrong on purpose; everyone else is counted
//! per account and IP, per IP, and, with a higher limit, per account across every IP.

use std::{net::IpAddr, sync::Arc};

use crate::{
    domain::{AppError, Email},
    server::{
        config::{Limit, RateLimitSettings},
        crypto::TokenKey,
        db::{
            rate_limits::{self, Taken},
            Db,
        },
    },
};

/// What the limits are counted with: the database every instance shares, the limits, and the
/// key that turns an account's email or id into the name of its bucket. Cloning is cheap.
#[derive(Clone)]
pub struct Limiter {
    db: Db,
    limits: Arc<RateLimitSettings>,
    buckets: Arc<TokenKey>,
}

/// Actions limited by attempts (every try counts).
#[derive(Debug, Clone, Copy)]
pub enum Action {
    SignUp,
    Refresh,
    PasswordReset,
    Verification,
    /// A new password submitted from a reset link.
    ResetSubmit,
    /// A password change on the account page.
    PasswordChange,
    /// `GET /auth/{provider}`.
    ProviderStart,
    /// "Someone tried to sign up with your address" mails, per account (as often as
    /// verification emails, counted apart so they never use up the owner's own resends).
    SignUpNotice,
}

impl Limiter {
    pub fn new(db: Db, limits: RateLimitSettings, buckets: TokenKey) -> Limiter {
        Limiter {
            db,
            limits: Arc::new(limits),
            buckets: Arc::new(buckets),
        }
    }

    /// Counts one attempt of `action` from `ip` on `account` (a normalised email or a user id)
    /// against each limit that applies; the first one exceeded answers `RateLimited`.
    pub async fn check(
        &self,
        action: Action,
        ip: Option<&str>,
        account: Option<&str>,
    ) -> Result<(), AppError> {
        let rl = &self.limits;
        if !rl.enabled {
            return Ok(());
        }
        let (name, per_ip, per_account): (&str, Option<Limit>, Option<Limit>) = match action {
            Action::SignUp => ("sign_up", Some(rl.sign_up_ip), None),
            Action::Refresh => ("refresh", Some(rl.refresh_ip), None),
            Action::PasswordReset => ("reset", Some(rl.reset_ip), Some(rl.reset_account)),
            Action::Verification => ("verification", None, Some(rl.verification_account)),
            Action::ResetSubmit => ("reset_submit", Some(rl.reset_submit_ip), None),
            Action::PasswordChange => ("password_change", None, Some(rl.password_change_account)),
            Action::ProviderStart => ("provider_start", Some(rl.provider_start_ip), None),
            Action::SignUpNotice => ("sign_up_notice", None, Some(rl.verification_account)),
        };
        let mut buckets = Vec::with_capacity(2);
        if let (Some(limit), Some(ip)) = (per_ip, ip) {
            buckets.push((format!("{name}:ip:{}", ip_bucket(ip)), limit));
        }
        if let (Some(limit), Some(account)) = (per_account, account) {
            buckets.push((
                format!("{name}:account:{}", self.account_key(account)),
                limit,
            ));
        }
        rate_limits::take(&self.db, &buckets).await.map(drop)
    }

    fn account_key(&self, account: &str) -> String {
        self.buckets.hash_token(account.as_bytes())
    }
}

/// A sign-in attempt counted as a failure before the password is checked, so that any number
/// of attempts sent at once cannot get past the limits; [`SignInThrottle::succeeded`] gives the
/// counts back when the password was right.
#[must_use = "a successful sign-in must give its counts back"]
pub struct SignInThrottle {
    taken: Vec<Taken>,
}

impl SignInThrottle {
    /// Counts a sign-in to `email` from `ip`. `known_device` is this browser's device nonce when
    /// it carries a valid device cookie for the account: then only that device's own failures
    /// count.
    pub async fn begin(
        limiter: &Limiter,
        email: &Email,
        ip: Option<&str>,
        known_device: Option<&str>,
    ) -> Result<SignInThrottle, AppError> {
        let rl = &limiter.limits;
        if !rl.enabled {
            return Ok(SignInThrottle { taken: Vec::new() });
        }
        let account = limiter.account_key(email.as_str());
        let buckets = match known_device {
            Some(nonce) => vec![(format!("sign_in_fail:device:{nonce}"), rl.sign_in_device)],
            None => {
                let mut buckets = Vec::with_capacity(3);
                if let Some(ip) = ip.map(ip_bucket) {
                    buckets.push((
                        format!("sign_in_fail:account_ip:{account}:{ip}"),
                        rl.sign_in_account_ip,
                    ));
                    buckets.push((format!("sign_in_fail:ip:{ip}"), rl.sign_in_ip));
                }
                buckets.push((
                    format!("sign_in_fail:account:{account}"),
                    rl.sign_in_account,
                ));
                buckets
            }
        };
        Ok(SignInThrottle {
            taken: rate_limits::take(&limiter.db, &buckets).await?,
        })
    }

    /// The password was right (or it was never checked): this attempt was no failure.
    pub async fn succeeded(self, limiter: &Limiter) {
        rate_limits::give_back(&limiter.db, &self.taken).await;
    }
}

/// The key a client IP is counted under: an IPv4 address as it is (also when written as an
/// IPv4-mapped IPv6 address), an IPv6 address by its /64 network. Anything else as it is.
pub fn ip_bucket(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing;

    fn retry_after(result: Result<(), AppError>) -> Option<u64> {
        match result {
            Err(AppError::RateLimited { retry_after }) => Some(retry_after),
            Ok(()) => None,
            Err(other) => panic!("not a rate limit: {other:?}"),
        }
    }

    #[tokio::test]
    async fn attempts_past_the_limit_are_refused_with_the_wait_and_other_clients_still_pass() {
        let state = testing::state_with(&[("RATE_LIMIT_SIGN_UP_IP", "2/1h")]).await;
        let limiter = &state.limiter;
        let ip = Some("203.0.113.5");

        assert_eq!(
            retry_after(limiter.check(Action::SignUp, ip, None).await),
            None
        );
        assert_eq!(
            retry_after(limiter.check(Action::SignUp, ip, None).await),
            None
        );
        let wait = retry_after(limiter.check(Action::SignUp, ip, None).await)
            .expect("the third sign-up from one IP is refused");
        // Windows are fixed (aligned to the clock): the wait is what is left of this one.
        assert!(
            (1..=3600).contains(&wait),
            "wait for the window's end: {wait}"
        );

        let other = Some("203.0.113.6");
        assert_eq!(
            retry_after(limiter.check(Action::SignUp, other, None).await),
            None
        );
        // Other actions keep their own counts.
        assert_eq!(
            retry_after(limiter.check(Action::Refresh, ip, None).await),
            None
        );
    }

    #[tokio::test]
    async fn one_ipv6_network_is_one_client_and_accounts_count_across_ips() {
        let state = testing::state_with(&[
            ("RATE_LIMIT_SIGN_UP_IP", "1/1h"),
            ("RATE_LIMIT_VERIFICATION_ACCOUNT", "1/1h"),
        ])
        .await;
        let limiter = &state.limiter;
        assert_eq!(
            retry_after(
                limiter
                    .check(Action::SignUp, Some("2001:db8:1:2::1"), None)
                    .await
            ),
            None
        );
        assert!(retry_after(
            limiter
                .check(Action::SignUp, Some("2001:db8:1:2::ffff"), None)
                .await
        )
        .is_some());

        let account = Some("user-1");
        let first = limiter.check(Action::Verification, Some("198.51.100.1"), account);
        assert_eq!(retry_after(first.await), None);
        let second = limiter.check(Action::Verification, Some("198.51.100.2"), account);
        assert!(
            retry_after(second.await).is_some(),
            "a new IP is the same account"
        );
    }

    #[tokio::test]
    async fn a_sign_in_that_succeeds_gives_back_what_it_counted() {
        let state = testing::state_with(&[("RATE_LIMIT_SIGN_IN_ACCOUNT", "2/1h")]).await;
        let limiter = &state.limiter;
        let email = Email::parse("ada@example.com").unwrap();
        for _ in 0..5 {
            let throttle = SignInThrottle::begin(limiter, &email, None, None)
                .await
                .expect("right passwords are never held back");
            throttle.succeeded(limiter).await;
        }
        for _ in 0..2 {
            // Failures: the counts stay taken.
            let _failed = SignInThrottle::begin(limiter, &email, None, None)
                .await
                .unwrap();
        }
        let refused = SignInThrottle::begin(limiter, &email, None, None).await;
        assert!(matches!(refused, Err(AppError::RateLimited { .. })));
    }

    #[tokio::test]
    async fn limits_switched_off_count_nothing() {
        let state = testing::state_with(&[
            ("RATE_LIMITS_ENABLED", "false"),
            ("RATE_LIMIT_SIGN_UP_IP", "1/1h"),
        ])
        .await;
        for _ in 0..3 {
            let ip = Some("203.0.113.5");
            assert_eq!(
                retry_after(state.limiter.check(Action::SignUp, ip, None).await),
                None
            );
        }
    }

    #[test]
    fn ipv6_clients_count_by_their_64_network() {
        assert_eq!(ip_bucket("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            ip_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            ip_bucket("2001:db8:1:2::9"),
            "one /64, one bucket"
        );
        assert_ne!(ip_bucket("2001:db8:1:3::1"), ip_bucket("2001:db8:1:2::1"));
        assert_eq!(ip_bucket("198.51.100.7"), "198.51.100.7");
        assert_eq!(ip_bucket("::ffff:198.51.100.7"), "198.51.100.7");
    }
}
