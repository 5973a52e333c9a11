//! Live updates (`GET /events`): every open task page of a person hears when their tasks
//! change, from another tab, the API or another instance (on PostgreSQL, through
//! `LISTEN`/`NOTIFY`), and nobody else's; a person may listen in a few places at once.

use std::time::Duration;

use reqwest::{header, Response, StatusCode};

use crate::helpers::*;

const ADA: &str = "ada@example.com";

/// An open task page's event stream.
struct Events {
    res: Response,
    buffer: String,
}

/// An event as a stream sent it: its name, its data and its id.
struct Sent {
    event: String,
    data: String,
    id: Option<String>,
}

impl Events {
    async fn open(browser: &TestClient) -> Events {
        Events::open_at(browser, "/events", None).await
    }

    /// A stream opened at `path` (`/events?since=`), with the `Last-Event-ID` a browser sends
    /// when it connects again.
    async fn open_at(browser: &TestClient, path: &str, last_event_id: Option<&str>) -> Events {
        let mut req = browser.http.get(browser.url(path));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let res = req
            .header(header::ACCEPT, "text/event-stream")
            // As a browser asks: a compressed stream would sit in the encoder's buffer.
            .header(header::ACCEPT_ENCODING, "br, gzip")
            .send()
            .await
            .expect("GET /events");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        assert!(!res.headers().contains_key(header::CONTENT_ENCODING));
        Events {
            res,
            buffer: String::new(),
        }
    }

    /// The next `tasks` event's data.
    async fn next(&mut self) -> String {
        let sent = self.next_sent().await;
        assert_eq!(sent.event, "tasks", "{}", sent.data);
        sent.data
    }

    /// The next event (keep-alive comments skipped); fails after a few seconds of nothing,
    /// well past the two seconds a change may take to show.
    async fn next_sent(&mut self) -> Sent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if event.starts_with(':') {
                    continue;
                }
                let field = |name: &str| {
                    event
                        .lines()
                        .find_map(|line| line.strip_prefix(name))
                        .map(str::to_owned)
                };
                return Sent {
                    event: field("event: ").expect("a name"),
                    data: field("data: ").expect("data"),
                    id: field("id: "),
                };
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.res.chunk())
                .await
                .expect("an event within 5 s")
                .expect("the stream")
                .expect("still open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// Adds a task from the page whose script calls itself `tab`.
async fn add_from_tab(browser: &TestClient, tab: &str, title: &str) {
    let res = browser
        .http
        .post(browser.url("/rpc/add_todo"))
        .header(header::ORIGIN, &browser.base)
        .header(header::ACCEPT, "application/json")
        .header("x-seamless-tab", tab)
        .form(&[("title", title)])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_open_page_of_the_person_hears_their_changes_and_only_theirs() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let bob = app.signed_up_client("bob@example.com").await;
    let mut first = Events::open(&ada).await;
    let mut second = Events::open(&ada).await;

    // From a tab: every page hears which tab it was (that tab shows it already).
    add_from_tab(&ada, "tab1", "From the first tab").await;
    assert_eq!(first.next().await, "tab1");
    assert_eq!(second.next().await, "tab1");

    // Bob's changes are not Ada's business: her next event is her own next change.
    bob.added("Bob's").await;
    add_from_tab(&ada, "tab2", "From the second tab").await;
    assert_eq!(first.next().await, "tab2");
    assert_eq!(second.next().await, "tab2");
    // The API's changes are nobody's tab.
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    api.created(&token, "From the API").await;
    assert_eq!(first.next().await, "*");
    assert_eq!(second.next().await, "*");

    // A delete, its undo, a move: each is heard.
    let id = ada.added("Gone and back").await;
    assert_eq!(first.next().await, "*");
    let res = ada.rpc("delete_todo", &[("id", id.as_str())]).await;
    assert_eq!(first.next().await, "*");
    let to = location(&res).unwrap();
    let undo = to.split_once("undo=").unwrap().1;
    ada.restore_todos(undo).await;
    assert_eq!(first.next().await, "*");

    // A tab id that is not one is read as none.
    add_from_tab(&ada, "not a tab!", "Odd").await;
    assert_eq!(first.next().await, "*");
}

/// The stamp of when the task page's tasks were read, as the page carries it.
async fn page_stamp(browser: &TestClient) -> String {
    let html = browser.get("/todos").await.text().await.unwrap();
    let (_, rest) = html.split_once("data-live-since=\"").expect("a stamp");
    rest.split('"').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_page_that_listens_late_hears_what_changed_after_it_was_read() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let bob = app.signed_up_client("bob@example.com").await;
    ada.added("First").await;
    let since = page_stamp(&ada).await;
    let late = format!("/events?since={since}");

    // Nothing changed since the page was read (Bob's change is not Ada's): the stream says
    // it listens.
    bob.added("Bob's").await;
    let hello = Events::open_at(&ada, &late, None).await.next_sent().await;
    assert_eq!(
        (hello.event.as_str(), hello.data.as_str()),
        ("live", "listening")
    );

    // A change from another tab before this page listens: its stream begins with it.
    ada.added("Second").await;
    let first = Events::open_at(&ada, &late, None).await.next_sent().await;
    assert_eq!((first.event.as_str(), first.data.as_str()), ("tasks", "*"));

    // Connecting again, the browser says the last event it had (`Last-Event-ID`), which
    // counts over the page's stamp: nothing since that one...
    let id = first.id.expect("each event has an id");
    let again = Events::open_at(&ada, &late, Some(&id))
        .await
        .next_sent()
        .await;
    assert_eq!(again.event, "live", "nothing changed after the last event");
    // ...then a change made while it was away.
    ada.added("While away").await;
    let mut back = Events::open_at(&ada, "/events", Some(&id)).await;
    assert_eq!(back.next().await, "*");
    // Its events go on, each with an id of its own.
    add_from_tab(&ada, "tab3", "Next").await;
    let next = back.next_sent().await;
    assert_eq!(next.data, "tab3");
    assert!(next.id.is_some_and(|next| next != id));

    // A stamp that is not one, or too old to tell: anything may have changed.
    let instance = since.split('.').next().unwrap_or_default();
    for stale in ["nonsense", "abc.12", &format!("{instance}.0")] {
        let path = format!("/events?since={stale}");
        assert_eq!(
            Events::open_at(&ada, &path, None).await.next().await,
            "*",
            "{stale}"
        );
    }
    // Without a stamp (an older page), no first event: the next is the next change.
    let mut plain = Events::open(&ada).await;
    ada.added("Last").await;
    assert_eq!(plain.next().await, "*");
}

#[tokio::test]
async fn listening_needs_a_session_and_is_limited_per_person() {
    let app = TestApp::builder()
        .env("TASKS_LIVE_PER_USER", "2")
        .spawn()
        .await;
    let stranger = app.client();
    let res = stranger.get("/events").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let ada = app.signed_up_client(ADA).await;
    let bob = app.signed_up_client("bob@example.com").await;
    let _one = Events::open(&ada).await;
    let mut two = Events::open(&ada).await;
    let res = ada.get("/events").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    // The limit is Ada's: Bob still listens, and Ada's open pages still hear.
    let _bobs = Events::open(&bob).await;
    ada.added("Still heard").await;
    assert_eq!(two.next().await, "*");

    // Signed out: the page's next connection is refused.
    ada.logout().await;
    assert_eq!(ada.get("/events").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn on_postgresql_a_change_on_one_instance_reaches_pages_on_another() {
    let one = TestApp::builder().postgres().spawn().await;
    let two = TestApp::builder().sharing(&one).spawn().await;
    let on_one = one.signed_up_client(ADA).await;
    let on_two = two.client();
    assert_eq!(on_two.login(ADA, PASSWORD).await.status(), StatusCode::OK);
    let bob = two.signed_up_client("bob@example.com").await;
    let mut there = Events::open(&on_two).await;
    let mut here = Events::open(&on_one).await;

    add_from_tab(&on_one, "tab7", "Made on one").await;
    assert_eq!(here.next().await, "tab7");
    assert_eq!(there.next().await, "tab7");
    // And back; Bob's change on two reaches nobody of Ada's.
    bob.added("Bob's").await;
    on_two.added("Made on two").await;
    assert_eq!(here.next().await, "*");
    assert_eq!(there.next().await, "*");
    add_from_tab(&on_one, "tab8", "Once more").await;
    assert_eq!(
        there.next().await,
        "tab8",
        "no second event for the change made on two"
    );
    assert_eq!(here.next().await, "tab8");
}
