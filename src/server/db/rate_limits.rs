//! Fixed-window counters in the database, shared by every instance.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Row;

use super::{internal, Db};
use crate::{domain::AppError, server::config::Limit};

/// Counts one attempt in `bucket` and returns the start of its window. Over the limit:
/// `RateLimited` with the seconds until the window ends.
pub async fn hit(db: &Db, bucket: &str, limit: Limit) -> Result<i64, AppError> {
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
        Ok(window_start)
    }
}

/// A count taken in a bucket's current window, which can be given back.
#[derive(Debug, Clone)]
pub struct Taken {
    bucket: String,
    window_start: i64,
}

/// Counts one in each bucket, or in none: when one is over its limit, the ones already counted
/// are given back and the answer is `RateLimited`.
pub async fn take(db: &Db, buckets: &[(String, Limit)]) -> Result<Vec<Taken>, AppError> {
    let mut taken = Vec::with_capacity(buckets.len());
    for (bucket, limit) in buckets {
        match hit(db, bucket, *limit).await {
            Ok(window_start) => taken.push(Taken {
                bucket: bucket.clone(),
                window_start,
            }),
            Err(err) => {
                give_back(db, &taken).await;
                return Err(err);
            }
        }
    }
    Ok(taken)
}

/// Gives counts back (the attempt turned out not to be a failure). A window that has ended
/// meanwhile is left alone. A failure to give back is logged: it only makes a limit stricter.
pub async fn give_back(db: &Db, taken: &[Taken]) {
    for t in taken {
        let result = sqlx::query(
            "update rate_limits set hits = hits - 1 \
             where bucket = $1 and window_start = $2 and hits > 0",
        )
        .bind(&t.bucket)
        .bind(t.window_start)
        .execute(db.write())
        .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "could not give a rate-limit count back");
        }
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
