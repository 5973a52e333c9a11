//! Durations as settings write them: `90`, `90s`, `15m`, `12h`, `7d` and `500ms`.

use std::time::Duration;

use serde::{de::Error as _, Deserialize, Deserializer};

/// Parses `90`, `90s`, `15m`, `12h`, `7d` (and `500ms`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let secs = match unit.trim() {
        "ms" => return Some(Duration::from_millis(n)),
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

/// A duration setting; `0s` is allowed.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).ok_or_else(|| not_a_duration(&text))
}

fn not_a_duration<E: serde::de::Error>(text: &str) -> E {
    E::custom(format!(
        "must be a duration like `30s`, `15m`, `12h` or `7d`, not `{text}`"
    ))
}

/// A duration setting that must be longer than zero.
pub(super) fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    match parse_duration(&text) {
        Some(duration) if duration.is_zero() => Err(D::Error::custom(format!(
            "must be longer than zero, not `{text}`"
        ))),
        Some(duration) => Ok(duration),
        None => Err(not_a_duration(&text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_the_usual_units() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("7 weeks"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn spaces_around_and_before_the_unit_are_allowed_but_fractions_and_signs_are_not() {
        assert_eq!(parse_duration(" 15 m "), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("1.5h"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("300000000000000d"), None, "overflow");
    }
}
