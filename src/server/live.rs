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
//! A person may hold a few listeners at once ([`TaskSettings::live_per_user`]); one more is
//! refused (429), and that page falls back to asking again when it is looked at.
//!
//! [`TaskSettings::live_per_user`]: crate::server::config::TaskSettings

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::State,
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
    closing: watch::Sender<bool>,
}

struct Listeners {
    sender: broadcast::Sender<Change>,
    count: usize,
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
            closing: watch::channel(false).0,
        }))
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
        if let Ok(users) = self.0.users.lock() {
            if let Some(listeners) = users.get(user) {
                let _ = listeners.sender.send(change);
            }
        }
    }

    /// Tells every listener here that anything may have changed.
    fn tell_everyone(&self) {
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
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => self.heard(notification.payload()),
                    // The connection was lost (the next call makes it again): whatever was
                    // said meanwhile was missed.
                    Ok(None) => self.tell_everyone(),
                    Err(err) => {
                        tracing::warn!(error = %err, "lost the connection that hears other instances' changes");
                        self.tell_everyone();
                        break;
                    }
                }
            }
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

/// `GET /events`: the signed-in person's changes as server-sent events, `tasks` with the tab
/// that made the change as its data (`*` when anything may have changed). 401 signed out; 429
/// when they listen in too many places already.
pub async fn events(State(state): State<AppState>, auth: Option<Extension<Auth>>) -> Response {
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
    let stream = changes(listening, state.live.closing());
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}

/// How long one stream lasts: then the page's `EventSource` connects again, through the
/// session checks again (a session revoked meanwhile gets no more events).
const STREAM_LIFETIME: Duration = Duration::from_secs(300);

/// The events of `listening`, until shutdown or the end of its lifetime.
fn changes(
    listening: Listening,
    closing: watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let stopped = async move {
        let mut closing = closing;
        tokio::select! {
            _ = closing.wait_for(|closed| *closed) => {}
            () = tokio::time::sleep(STREAM_LIFETIME) => {}
        }
    };
    futures::stream::unfold(listening, |mut listening| async move {
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
        Some((Ok(Event::default().event("tasks").data(data)), listening))
    })
    .take_until(Box::pin(stopped))
}
