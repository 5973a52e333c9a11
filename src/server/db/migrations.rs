//! The migrations, embedded in the binary (from `migrations/`) so it runs anywhere.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

/// The migrations, embedded in the binary so it runs anywhere. A unit test checks that this
/// list and the files in `migrations/` agree.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        20261122000001,
        "users sessions todos",
        include_str!("../../../migrations/20261122000001_users_sessions_todos.sql"),
    ),
    (
        20261122000002,
        "accounts",
        include_str!("../../../migrations/20261122000002_accounts.sql"),
    ),
    (
        20261122000003,
        "refresh tokens",
        include_str!("../../../migrations/20261122000003_refresh_tokens.sql"),
    ),
    (
        20261122000004,
        "account security",
        include_str!("../../../migrations/20261122000004_account_security.sql"),
    ),
    (
        20261201000005,
        "credential versions",
        include_str!("../../../migrations/20261201000005_credential_versions.sql"),
    ),
    (
        20261201000006,
        "todos counts index",
        include_str!("../../../migrations/20261201000006_todos_counts_index.sql"),
    ),
    (
        20261202000007,
        "todo counts",
        include_str!("../../../migrations/20261202000007_todo_counts.sql"),
    ),
    (
        20261207000008,
        "two factor",
        include_str!("../../../migrations/20261207000008_two_factor.sql"),
    ),
    (
        20261207000009,
        "passkeys",
        include_str!("../../../migrations/20261207000009_passkeys.sql"),
    ),
    (
        20261207000010,
        "todo notes",
        include_str!("../../../migrations/20261207000010_todo_notes.sql"),
    ),
    (
        20261207000011,
        "todo search",
        include_str!("../../../migrations/20261207000011_todo_search.sql"),
    ),
    (
        20261207000012,
        "todo versions",
        include_str!("../../../migrations/20261207000012_todo_versions.sql"),
    ),
    (
        20261207000013,
        "todo due dates",
        include_str!("../../../migrations/20261207000013_todo_due_dates.sql"),
    ),
    (
        20261207000014,
        "todo positions",
        include_str!("../../../migrations/20261207000014_todo_positions.sql"),
    ),
    (
        20261207000015,
        "deleted todos",
        include_str!("../../../migrations/20261207000015_deleted_todos.sql"),
    ),
    (
        20261207000016,
        "user time zones",
        include_str!("../../../migrations/20261207000016_user_time_zones.sql"),
    ),
];

/// The embedded migrations as a sqlx `Migrator`.
pub fn migrator() -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                sqlx::SqlSafeStr::into_sql_str(*sql),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        let mut files: Vec<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, d, _)| format!("{v}_{}.sql", d.replace(' ', "_")))
            .collect();
        assert_eq!(files, embedded);
    }
}
