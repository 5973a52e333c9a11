//! Fixed-window counters in the database, shared by every instance.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Row;

use super::{internal, Db};
use crate::{domain::AppError, server::config::Limit};

/// Counts one attempt in `bucket`. Over the limit: `RateLimited` with the seconds until the
/// window ends.
pub async fn hit(db: &Db, bucket: &str, limit: Limit) -> Result<(), AppError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let window = limit.window.as_secs().max(1) as i64;
    let window_start = now - now.rem_euclid(window);
    // One statement, atomic on both databases: a new window starts at 1, the current one counts up.
    let row = sqlx::query(
        "insert into rate_limits (bucket, window_start, hits) values ($1, $2, 1) \
         on conflict (bucket) do update set \
           hits = case when rate_limits.window_start = excluded.window_start then rate_limits.hits + 1 else 1 end, \
           window_start = excluded.window_start \
         returning hits",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(db.write())
    .await
    .map_err(internal)?;
    let hits: i64 = row.try_get("hits").map_err(internal)?;
    if hits > i64::from(limit.count) {
        Err(AppError::RateLimited {
            retry_after: (window_start + window - now).max(1) as u64,
        })
    } else {
        Ok(())
    }
}

/// Forgets windows that ended long ago.
pub async fn prune(db: &Db) -> Result<(), sqlx::Error> {
    let day_ago = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64
        - 86_400;
    sqlx::query("delete from rate_limits where window_start < $1")
        .bind(day_ago)
        .execute(db.write())
        .await?;
    Ok(())
}
