//! `[session]`: how long a browser's sign-in lasts.

use std::time::Duration;

use serde::Deserialize;

use super::duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    /// A session unused for this long ends (sliding). Env `SESSION_IDLE_TIMEOUT`. Default `7d`.
    #[serde(deserialize_with = "duration::positive")]
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not. Env `SESSION_ABSOLUTE_TIMEOUT`. Default `30d`.
    #[serde(deserialize_with = "duration::positive")]
    pub absolute_timeout: Duration,
    /// How often a busy session's last-seen time (and idle expiry) is written back.
    /// Env `SESSION_TOUCH_INTERVAL`. Default `60s`.
    #[serde(deserialize_with = "duration::deserialize")]
    pub touch_interval: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_timeout: Duration::from_secs(7 * 86_400),
            absolute_timeout: Duration::from_secs(30 * 86_400),
            touch_interval: Duration::from_secs(60),
        }
    }
}
