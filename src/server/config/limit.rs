//! Rate limits as settings write them: `10/15m`, ten attempts per fifteen minutes.

use std::{str::FromStr, time::Duration};

use serde::{Deserialize, Deserializer};

use super::duration::parse_duration;

/// A limit: at most `count` attempts per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window: Duration,
}

/// Parses `10/15m`: 10 attempts per 15 minutes. Neither may be zero (nor the window under a
/// second).
pub fn parse_limit(text: &str) -> Option<Limit> {
    let (count, window) = text.split_once('/')?;
    let count: u32 = count.trim().parse().ok()?;
    let window = parse_duration(window)?;
    (count > 0 && window.as_secs() > 0).then_some(Limit { count, window })
}

impl FromStr for Limit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        parse_limit(text)
            .ok_or_else(|| format!("must look like `10/15m` (attempts per window), not `{text}`"))
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::layers::from_str(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_attempts_per_window() {
        assert_eq!(
            parse_limit("10/15m"),
            Some(Limit {
                count: 10,
                window: Duration::from_secs(900)
            })
        );
        assert_eq!(parse_limit(" 10 / 15m "), parse_limit("10/15m"));
        assert_eq!(parse_limit("0/1m"), None);
        assert_eq!(parse_limit("1/0s"), None);
        assert_eq!(parse_limit("1/500ms"), None, "a window under a second");
        assert_eq!(parse_limit("ten/1m"), None);
        assert_eq!(parse_limit("10/15m/2"), None);
    }
}
