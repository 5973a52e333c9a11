//! Fixed-window counters in the database, shared by every instance.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Row;

use super::Db;
use crate::{domain::AppError, server::config::Limit};

/// A count taken in a bucket's current window, which can be given back.
#[derive(Debug, Clone)]
pub struct Taken {
    bucket: String,
    window_start: i64,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64
}

/// Counts one in each bucket (distinct names), or in none: when one is over its limit, every
/// count is given back (a refused attempt is not counted) and the answer is `RateLimited`
/// with the seconds until that bucket's window ends. One statement for all of them, atomic on
/// both databases: a new window starts at 1, the current one counts up.
pub async fn take(db: &Db, buckets: &[(String, Limit)]) -> Result<Vec<Taken>, AppError> {
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    let now = unix_now();
    let window_of = |limit: &Limit| limit.window.as_secs().max(1) as i64;
    let taken: Vec<Taken> = buckets
        .iter()
        .map(|(bucket, limit)| Taken {
            bucket: bucket.clone(),
            window_start: now - now.rem_euclid(window_of(limit)),
        })
        .collect();
    let values = (0..taken.len())
        .map(|i| format!("(${}, ${}, 1)", 2 * i + 1, 2 * i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    // Only placeholders are formatted into the statement, never a value.
    let sql = format!(
        "insert into rate_limits (bucket, window_start, hits) values {values} \
         on conflict (bucket) do update set \
           hits = case when rate_limits.window_start = excluded.window_start then rate_limits.hits + 1 else 1 end, \
           window_start = excluded.window_start \
         returning bucket, hits"
    );
    let mut query = super::query(sqlx::AssertSqlSafe(sql));
    for t in &taken {
        query = query.bind(&t.bucket).bind(t.window_start);
    }
    let rows = query.fetch_all(db.write()).await?;
    let mut retry_after = None;
    for row in &rows {
        let bucket: String = row.try_get("bucket")?;
        let hits: i64 = row.try_get("hits")?;
        let over = buckets
            .iter()
            .zip(&taken)
            .find(|((name, _), _)| *name == bucket)
            .filter(|((_, limit), _)| hits > i64::from(limit.count));
        if let Some(((_, limit), t)) = over {
            crate::server::metrics::rate_limit_refused(&bucket);
            let wait = (t.window_start + window_of(limit) - now).max(1) as u64;
            retry_after = Some(retry_after.map_or(wait, |w: u64| w.max(wait)));
        }
    }
    match retry_after {
        Some(retry_after) => {
            give_back(db, &taken).await;
            Err(AppError::RateLimited { retry_after })
        }
        None => Ok(taken),
    }
}

/// Gives counts back (the attempt turned out not to be a failure, or was refused). A window
/// that has ended meanwhile is left alone. A failure to give back is logged: it only makes a
/// limit stricter.
pub async fn give_back(db: &Db, taken: &[Taken]) {
    if taken.is_empty() {
        return;
    }
    let matches = (0..taken.len())
        .map(|i| {
            format!(
                "(bucket = ${} and window_start = ${})",
                2 * i + 1,
                2 * i + 2
            )
        })
        .collect::<Vec<_>>()
        .join(" or ");
    let sql = format!("update rate_limits set hits = hits - 1 where hits > 0 and ({matches})");
    let mut query = super::query(sqlx::AssertSqlSafe(sql));
    for t in taken {
        query = query.bind(&t.bucket).bind(t.window_start);
    }
    if let Err(err) = query.execute(db.write()).await {
        tracing::warn!(error = %err, "could not give a rate-limit count back");
    }
}

/// Forgets windows that ended long ago.
pub async fn prune(db: &Db) -> Result<(), sqlx::Error> {
    let day_ago = unix_now() - 86_400;
    super::query("delete from rate_limits where window_start < $1")
        .bind(day_ago)
        .execute(db.write())
        .await?;
    Ok(())
}
