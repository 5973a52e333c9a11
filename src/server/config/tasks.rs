//! `[tasks]`: what a person may keep.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskSettings {
    /// The most tasks one person may have; adding one more is refused with a message. Env
    /// `TASKS_MAX_PER_USER`. Default 10,000.
    pub max_per_user: u32,
}

impl Default for TaskSettings {
    fn default() -> Self {
        TaskSettings {
            max_per_user: 10_000,
        }
    }
}
