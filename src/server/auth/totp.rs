//! Authenticator-app codes (TOTP, RFC 6238) as the apps implement them: HMAC-SHA-1, 6 digits,
//! 30-second steps, one step of drift either way; computed by `totp-rs`. Which step was last
//! accepted (each is accepted once) and where the secret is kept are `account::two_factor`'s.

use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Digits of a code.
pub const DIGITS: usize = 6;
/// Seconds per time step.
pub const STEP: u64 = 30;
/// Bytes of a new secret: 160 bits, the size of an HMAC-SHA-1 key (RFC 4226 §4).
const SECRET_BYTES: usize = 20;
/// The name apps show beside the account.
pub const ISSUER: &str = "Seamless";

/// A new random secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], account: &str) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(secret.to_vec())
        .with_issuer(Some(ISSUER))
        .with_account_name(account.replace(':', ""))
        .build()
        .ok()
}

/// The time step a code is valid for at `unix_time`, if it is one of the codes of the step
/// before, this one or the next (the phone's clock may be a little off). Spaces and dashes
/// people type between the digits are ignored.
pub fn check(secret: &[u8], code: &str, unix_time: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret, "")?.check(&code, unix_time)
}

/// The code of the step `unix_time` falls in (what an app shows then).
pub fn code_at(secret: &[u8], unix_time: u64) -> Option<String> {
    Some(totp(secret, "")?.generate(unix_time).to_string())
}

/// The secret in base32 (what people type into an app by hand), in groups of four.
pub fn display_secret(secret: &[u8]) -> String {
    let base32 = Secret::from(secret.to_vec()).to_base32();
    base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://totp/…` link an app reads (from the QR code, or tapped on a phone).
pub fn otpauth_url(secret: &[u8], account: &str) -> Option<String> {
    totp(secret, account)?.to_url().ok()
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 test vectors (8 digits there; the last 6 here).
    #[test]
    fn codes_are_rfc_6238s() {
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ] {
            assert_eq!(code_at(secret, time).as_deref(), Some(code), "{time}");
            assert_eq!(check(secret, code, time), Some(time / STEP), "{time}");
        }
    }

    #[test]
    fn one_step_of_drift_either_way_and_no_more() {
        let secret = new_secret();
        let t = 1_800_000_000;
        let code = code_at(&secret, t).unwrap();
        assert_eq!(
            check(&secret, &code, t - STEP),
            Some(t / STEP),
            "the phone is ahead"
        );
        assert_eq!(
            check(&secret, &code, t + STEP),
            Some(t / STEP),
            "the phone is behind"
        );
        assert_eq!(check(&secret, &code, t + 2 * STEP), None);
        assert_eq!(check(&secret, &code, t - 2 * STEP), None);
    }

    #[test]
    fn typed_codes_are_read_as_people_type_them() {
        let secret = new_secret();
        let t = 1_800_000_000;
        let code = code_at(&secret, t).unwrap();
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(check(&secret, &spaced, t), Some(t / STEP));
        for bad in ["", "12345", "1234567", "abcdef", "12345٦"] {
            assert_eq!(check(&secret, bad, t), None, "{bad:?}");
        }
    }

    #[test]
    fn the_link_and_the_secret_read_back() {
        let secret = b"12345678901234567890";
        assert_eq!(
            display_secret(secret),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
        let url = otpauth_url(secret, "ada@example.com").unwrap();
        assert!(
            url.starts_with("otpauth://totp/Seamless:ada%40example.com?"),
            "{url}"
        );
        assert!(
            url.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{url}"
        );
        assert!(url.contains("issuer=Seamless"), "{url}");
    }
}
