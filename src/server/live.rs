//! Live updates: every open task page of a person hears when their tasks change (in another
//! tab, on another device, through the API), and shows the change within a moment.
//!
//! A page listens on `GET /events` (server-sent events, [`events`]); each change of a person's
//! tasks, once committed, is told to their listeners on this instance ([`Live::changed`]), and
//! on PostgreSQL to every other instance too, through `NOTIFY` on one channel, which each
//! instance `LISTEN`s to over a direct connection of its own ([`Live::listen`]; a transaction-mode
//! pooler cannot carry `LISTEN`). An event says only that something changed (and which tab
//! changed it, so that tab, which shows the change already, skips it): the page then asks for
//! itself again, through the same checks as any request.
//!
//! A page that starts listening some time after it was rendered would not hear a change made
//! in between; nor would a stream the browser opens again after a break. So the page carries
//! when its tasks were read (a [`Stamp`]: `since`, and each event's `id`, which the browser
//! sends back as `Last-Event-ID` when it reconnects), this instance remembers when it last
//! heard of each person's change, and a stream whose stamp is older than that begins with a
//! change ([`Live::missed`]).
//!
//! A person may hold a few listeners at once ([`TaskSettings::live_per_user`]); one more is
//! refused (429), and that page falls back to asking again when it is looked at.
//!
//! [`TaskSettings::live_per_user`]: crate::server::config::TaskSettings

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{
        atomic::{AtomicI64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Extension,
};
use futures::{Stream, StreamExt};
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

use super::{auth::session::Auth, db::Db, state::AppState};
use crate::domain::{AppError, UserId};

/// The PostgreSQL channel every instance listens on.
const CHANNEL: &str = "seamless_tasks";

/// A change as a listener hears it: the tab that made it (its `x-seamless-tab`, empty when
/// not a page's), or `None` for "anything may have changed" (this instance missed
/// notifications while its listening connection was down).
type Change = Option<Arc<str>>;

/// The listeners of this instance, by person, and what tells them to stop at shutdown.
#[derive(Clone)]
pub struct Live(Arc<Inner>);

struct Inner {
    /// This instance's own id, in its notifications, so it skips its own when they come back.
    instance: String,
    per_user: usize,
    users: Mutex<HashMap<String, Listeners>>,
    /// When this instance last heard of a change of each person's tasks (microseconds since
    /// the epoch, its clock), kept for [`REMEMBERED`].
    recent: Mutex<Recent>,
    /// Changes before this time (microseconds) may have gone unheard: this instance was not
    /// yet running, or not yet listening to the others.
    deaf_until: AtomicI64,
    closing: watch::Sender<bool>,
}

/// How long this instance remembers a person's last change: a stamp older than that is
/// answered with a change.
const REMEMBERED: i64 = 10 * 60 * 1_000_000;

/// How far the clocks of two instances may differ (microseconds): a stamp made by another
/// instance is compared with that much to spare.
const CLOCK_SKEW: i64 = 1_000_000;

/// When a page's tasks were read, or its stream's last event was sent: the instance that
/// says so and the time by its clock (`<instance>.<microseconds>`: fine enough that a change
/// and a page read one after the other are never at the same moment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    instance: String,
    at: i64,
}

impl Stamp {
    /// A stamp as the page or the browser sends it back, or `None` when it is not one.
    pub fn parse(text: &str) -> Option<Stamp> {
        let (instance, at) = text.split_once('.')?;
        let valid = !instance.is_empty()
            && instance.len() <= 32
            && instance.bytes().all(|b| b.is_ascii_alphanumeric());
        Some(Stamp {
            instance: valid.then(|| instance.to_owned())?,
            at: at.parse().ok()?,
        })
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.instance, self.at)
    }
}

/// Now, in microseconds since the epoch.
fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

struct Listeners {
    sender: broadcast::Sender<Change>,
    count: usize,
}

/// When each person's last change was heard, and how many people it may hold before what is
/// too old to matter is forgotten (twice as many as are left then, so forgetting costs a pass
/// over the map now and then, not with every change).
struct Recent {
    changed: HashMap<String, i64>,
    forget_at: usize,
}

/// One more listener than a person may hold.
#[derive(Debug)]
pub struct TooMany;

/// A listener's place: gives it up when dropped (the page went away).
pub struct Listening {
    live: Live,
    user: String,
    pub changes: broadcast::Receiver<Change>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        let Ok(mut users) = self.live.0.users.lock() else {
            return;
        };
        if let Some(listeners) = users.get_mut(&self.user) {
            listeners.count = listeners.count.saturating_sub(1);
            if listeners.count == 0 {
                users.remove(&self.user);
            }
        }
    }
}

impl Live {
    /// Listeners for an instance whose people may each hold `per_user` at once.
    pub fn new(per_user: usize) -> Live {
        Live(Arc::new(Inner {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            per_user,
            users: Mutex::new(HashMap::new()),
            recent: Mutex::new(Recent {
                changed: HashMap::new(),
                forget_at: 1024,
            }),
            deaf_until: AtomicI64::new(now_us()),
            closing: watch::channel(false).0,
        }))
    }

    /// Now, as this instance stamps it: what a page shows was read after this.
    pub fn stamp(&self) -> Stamp {
        Stamp {
            instance: self.0.instance.clone(),
            at: now_us(),
        }
    }

    /// Whether `user`'s tasks may have changed after `since` (then a page read at `since` is
    /// behind): this instance heard of a change after it (or at the same moment), or cannot
    /// tell (it was not listening then, or has forgotten).
    pub fn missed(&self, user: &UserId, since: &Stamp) -> bool {
        // Another instance's clock: a change heard a little before its stamp may be after it.
        let spare = if since.instance == self.0.instance {
            0
        } else {
            CLOCK_SKEW
        };
        // The earliest moment, by this instance's clock, that `since` may be.
        let since = since.at.saturating_sub(spare);
        if since <= self.0.deaf_until.load(Ordering::Relaxed) || since < now_us() - REMEMBERED {
            return true;
        }
        let Ok(recent) = self.0.recent.lock() else {
            return true;
        };
        recent
            .changed
            .get(user.as_str())
            .is_some_and(|&changed| changed >= since)
    }

    /// Remembers that `user`'s tasks changed now (and forgets what is too old to matter, now
    /// and then).
    fn remember(&self, user: &str) {
        let now = now_us();
        if let Ok(mut recent) = self.0.recent.lock() {
            if recent.changed.len() >= recent.forget_at {
                recent
                    .changed
                    .retain(|_, changed| *changed >= now - REMEMBERED);
                recent.forget_at = (recent.changed.len() * 2).max(1024);
            }
            recent.changed.insert(user.to_owned(), now);
        }
    }

    /// A new listener for `user`, unless they hold as many as they may.
    pub fn listen_to(&self, user: &UserId) -> Result<Listening, TooMany> {
        let mut users = self.0.users.lock().map_err(|_| TooMany)?;
        let listeners = users
            .entry(user.as_str().to_owned())
            .or_insert_with(|| Listeners {
                sender: broadcast::channel(16).0,
                count: 0,
            });
        if listeners.count >= self.0.per_user {
            return Err(TooMany);
        }
        listeners.count += 1;
        Ok(Listening {
            live: self.clone(),
            user: user.as_str().to_owned(),
            changes: listeners.sender.subscribe(),
        })
    }

    /// Open streams on this instance (for the metrics).
    pub fn streams(&self) -> usize {
        self.0
            .users
            .lock()
            .map_or(0, |users| users.values().map(|l| l.count).sum())
    }

    /// Tells `user`'s listeners here that their tasks changed (by the tab `tab`).
    fn tell(&self, user: &str, change: Change) {
        self.remember(user);
        if let Ok(users) = self.0.users.lock() {
            if let Some(listeners) = users.get(user) {
                let _ = listeners.sender.send(change);
            }
        }
    }

    /// Tells every listener here that anything may have changed, and the ones to come that
    /// anything may have changed until now.
    fn tell_everyone(&self) {
        self.0.deaf_until.store(now_us(), Ordering::Relaxed);
        if let Ok(users) = self.0.users.lock() {
            for listeners in users.values() {
                let _ = listeners.sender.send(None);
            }
        }
    }

    /// `user`'s tasks changed (committed), from the tab `tab` when a page's script says which
    /// (see [`tab_of`]): their listeners here hear it at once, and on PostgreSQL those of every
    /// other instance. Best effort: a notification that cannot be sent is logged, and the
    /// pages catch up when they are next looked at.
    pub async fn changed(&self, db: &Db, user: &UserId, tab: Option<&str>) {
        let tab = tab.unwrap_or_default();
        self.tell(user.as_str(), Some(Arc::from(tab)));
        if db.backend() != super::db::Backend::Postgres {
            return;
        }
        let payload = format!("{} {} {tab}", self.0.instance, user.as_str());
        let sent = crate::server::db::query("select pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(db.write())
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, "could not tell the other instances about a change");
        }
    }

    /// Ends every listener's stream (shutdown: they would otherwise hold it up).
    pub fn close(&self) {
        let _ = self.0.closing.send(true);
    }

    fn closing(&self) -> watch::Receiver<bool> {
        self.0.closing.subscribe()
    }

    /// On PostgreSQL, hears the other instances' changes (`LISTEN` on a connection of its own,
    /// to `url`, which must reach the server directly, not through a transaction-mode pooler)
    /// and tells the listeners here; after its connection was lost and is back, tells them
    /// all to catch up. Returns once it listens (so no change made after start-up is missed),
    /// or could not yet (it keeps trying), and runs until shutdown.
    pub async fn spawn_listener(&self, url: String) {
        // Start-up has just reached the database; a server that stopped answering since does
        // not hold it up for long.
        let first = tokio::time::timeout(Duration::from_secs(10), connect(&url))
            .await
            .ok()
            .flatten();
        let live = self.clone();
        let mut closing = self.closing();
        tokio::spawn(async move {
            tokio::select! {
                () = live.listen(&url, first) => {}
                _ = closing.wait_for(|closed| *closed) => {}
            }
        });
    }

    async fn listen(&self, url: &str, mut connected: Option<PgListener>) {
        loop {
            let Some(mut listener) = connected.take() else {
                tokio::time::sleep(Duration::from_secs(2)).await;
                connected = connect(url).await;
                continue;
            };
            // Listening from now on: whatever was said before may have been missed.
            self.tell_everyone();
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => self.heard(notification.payload()),
                    // The connection was lost. (`try_recv` would connect again on its next
                    // call, without saying when it listens again: a new connection does.)
                    Ok(None) => {
                        tracing::warn!("lost the connection that hears other instances' changes");
                        break;
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "lost the connection that hears other instances' changes");
                        break;
                    }
                }
            }
            connected = connect(url).await;
        }
    }

    /// A notification: `instance user tab`.
    fn heard(&self, payload: &str) {
        let mut parts = payload.splitn(3, ' ');
        let (Some(instance), Some(user)) = (parts.next(), parts.next()) else {
            return;
        };
        if instance != self.0.instance {
            self.tell(user, Some(Arc::from(parts.next().unwrap_or_default())));
        }
    }
}

/// After a committed change of the caller's tasks in a server function: tells their
/// listeners, the calling tab's as its own ([`Live::changed`]).
pub async fn tell(state: &AppState, user: &UserId) {
    let parts = super::context::parts().ok();
    let tab = parts.as_ref().and_then(|parts| tab_of(&parts.headers));
    state.live.changed(&state.db, user, tab).await;
}

/// A connection listening on [`CHANNEL`], or `None` (logged) when there is none yet.
async fn connect(url: &str) -> Option<PgListener> {
    let listening = async {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match listening.await {
        Ok(listener) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for other instances' changes yet");
            None
        }
    }
}

/// The tab a page's script says a request comes from (`x-seamless-tab`: letters and digits,
/// at most 32), to tell the change to that tab's listener as its own.
pub fn tab_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-seamless-tab")
        .and_then(|v| v.to_str().ok())
        .filter(|tab| !tab.is_empty() && tab.len() <= 32)
        .filter(|tab| tab.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// How often a quiet stream says it is still there (proxies close idle connections).
const KEEP_ALIVE: Duration = Duration::from_secs(20);

/// Where a stream picks up (`GET /events?since=`): the stamp of when the page's tasks were
/// read.
#[derive(Debug, serde::Deserialize)]
pub struct Since {
    since: Option<String>,
}

/// `GET /events`: the signed-in person's changes as server-sent events, `tasks` with the tab
/// that made the change as its data (`*` when anything may have changed), each with the
/// stamp of when it was sent as its id. A stream that picks up from a stamp (`Last-Event-ID`,
/// which the browser sends when it connects again, or else `?since=`) begins with a `tasks`
/// event when a change may have come after it, and with a `live` event otherwise. 401 signed
/// out; 429 when they listen in too many places already.
pub async fn events(
    State(state): State<AppState>,
    auth: Option<Extension<Auth>>,
    headers: HeaderMap,
    Query(query): Query<Since>,
) -> Response {
    let Some(user) = auth.as_ref().and_then(|Extension(auth)| auth.user()) else {
        return AppError::Unauthorized.into_response();
    };
    let Ok(listening) = state.live.listen_to(&user.id) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "60")],
            "Too many open task pages: this one shows changes when you come back to it.",
        )
            .into_response();
    };
    // Asked once listening, so a change made meanwhile is either missed here or heard.
    let since = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query.since.as_deref())
        .filter(|since| !since.is_empty());
    let first = since.map(|since| {
        let event = match Stamp::parse(since) {
            Some(since) if !state.live.missed(&user.id, &since) => {
                Event::default().event("live").data("listening")
            }
            // A stamp that is not one: anything may have changed.
            _ => Event::default().event("tasks").data("*"),
        };
        Ok(event.id(state.live.stamp().to_string()))
    });
    let stream = futures::stream::iter(first).chain(changes(listening, state.live.clone()));
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// How long one stream lasts: then the page's `EventSource` connects again, through the
/// session checks again (a session revoked meanwhile gets no more events).
const STREAM_LIFETIME: Duration = Duration::from_secs(300);

/// The events of `listening`, until shutdown or the end of its lifetime.
fn changes(listening: Listening, live: Live) -> impl Stream<Item = Result<Event, Infallible>> {
    let closing = live.closing();
    let stopped = async move {
        let mut closing = closing;
        tokio::select! {
            _ = closing.wait_for(|closed| *closed) => {}
            () = tokio::time::sleep(STREAM_LIFETIME) => {}
        }
    };
    futures::stream::unfold(listening, move |mut listening| {
        let live = live.clone();
        async move {
            let change = match listening.changes.recv().await {
                Ok(change) => change,
                // Fell behind: more happened than it kept, so anything may have changed.
                Err(broadcast::error::RecvError::Lagged(_)) => None,
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            let data = match &change {
                Some(tab) if !tab.is_empty() => tab.to_string(),
                _ => "*".to_owned(),
            };
            let event = Event::default()
                .event("tasks")
                .data(data)
                .id(live.stamp().to_string());
            Some((Ok(event), listening))
        }
    })
    .take_until(Box::pin(stopped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> UserId {
        UserId::from_verified("ada".to_owned())
    }

    fn at(live: &Live, instance: &str, at: i64) -> bool {
        let since = Stamp {
            instance: instance.to_owned(),
            at,
        };
        live.missed(&ada(), &since)
    }

    #[test]
    fn a_stamp_is_behind_a_change_heard_after_it_and_the_clocks_of_others_get_a_margin() {
        let live = Live::new(10);
        let me = live.0.instance.clone();
        let read = live.0.deaf_until.load(Ordering::Relaxed) + 1;
        assert!(!at(&live, &me, read), "nothing heard since");
        live.tell("bob", Some(Arc::from("")));
        assert!(!at(&live, &me, read), "Bob's change is not Ada's");
        live.tell("ada", Some(Arc::from("")));
        let changed = live.0.recent.lock().unwrap().changed["ada"];
        assert!(at(&live, &me, changed - 1));
        assert!(at(&live, &me, changed), "the same moment may be either");
        // Read after the change, by this instance's clock: not behind.
        assert!(!at(&live, &me, changed + 1));
        // By another instance's clock, a stamp a little after the change may be before it.
        assert!(at(&live, "other", changed + CLOCK_SKEW / 2));
        assert!(!at(&live, "other", changed + CLOCK_SKEW + 1));
    }

    #[test]
    fn what_this_instance_did_not_hear_or_has_forgotten_is_behind() {
        let live = Live::new(10);
        let me = live.0.instance.clone();
        let started = live.0.deaf_until.load(Ordering::Relaxed);
        assert!(
            at(&live, &me, started - 1),
            "read before this instance started"
        );
        assert!(!at(&live, &me, started + 1));
        assert!(
            at(&live, &me, now_us() - REMEMBERED - 1),
            "too long ago to tell"
        );
        // The connection to the other instances was lost and is back: what was read before
        // may have missed what they said meanwhile.
        live.tell_everyone();
        let back = live.0.deaf_until.load(Ordering::Relaxed);
        assert!(back >= started);
        assert!(at(&live, &me, back));
        assert!(!at(&live, &me, back + 1));
    }

    #[test]
    fn what_is_too_old_to_matter_is_forgotten_now_and_then() {
        let live = Live::new(10);
        for n in 0..1024 {
            live.remember(&format!("user{n}"));
        }
        // Made old, as if ten minutes had passed.
        for changed in live.0.recent.lock().unwrap().changed.values_mut() {
            *changed -= REMEMBERED + 1;
        }
        live.remember("ada");
        let recent = live.0.recent.lock().unwrap();
        assert_eq!(recent.changed.len(), 1, "only Ada's is left");
        assert_eq!(recent.forget_at, 1024);
    }

    #[test]
    fn a_stamp_is_read_back_as_written_and_anything_else_is_none() {
        let live = Live::new(10);
        let stamp = live.stamp();
        assert_eq!(Stamp::parse(&stamp.to_string()), Some(stamp));
        for bad in [
            "",
            "nonsense",
            ".12",
            "abc.",
            "abc.x",
            "a b.12",
            &format!("{}.1", "a".repeat(33)),
        ] {
            assert_eq!(Stamp::parse(bad), None, "{bad}");
        }
    }
}
