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

impl Events {
    async fn open(browser: &TestClient) -> Events {
        let res = browser
            .http
            .get(browser.url("/events"))
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

    /// The next event's data (keep-alive comments skipped); fails after a few seconds of
    /// nothing, well past the two seconds a change may take to show.
    async fn next(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if event.starts_with(':') {
                    continue;
                }
                assert!(event.contains("event: tasks\n"), "{event:?}");
                let data = event
                    .lines()
                    .find_map(|line| line.strip_prefix("data: "))
                    .expect("data");
                return data.to_owned();
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
