//! `[tasks]`: what a person may keep.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskSettings {
    /// The most tasks one person may have; adding one more is refused with a message. Env
    /// `TASKS_MAX_PER_USER`. Default 10,000.
    pub max_per_user: u32,
    /// How many pages (tabs, devices) of one person may listen for live updates at once;
    /// one more is refused and catches up when looked at instead. Env
    /// `TASKS_LIVE_PER_USER`. Default 10.
    pub live_per_user: usize,
}

impl Default for TaskSettings {
    fn default() -> Self {
        TaskSettings {
            max_per_user: 10_000,
            live_per_user: 10,
        }
    }
}
