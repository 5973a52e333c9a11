//! PostgreSQL-specific behaviour: start-up against an unreachable server, statement timeouts,
//! and a database that goes away while the app runs and comes back.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use reqwest::StatusCode;
use seamless::server::{config::Settings, startup::Application};
use tokio::{net::TcpListener, sync::Notify};

use crate::helpers::*;

#[tokio::test]
async fn start_up_fails_with_a_clear_message_when_the_database_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let settings = Settings::from_toml(
        "",
        &[
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
            ("APP_DATA_DIR", data),
            ("DATABASE_URL", "postgres://app:secret@127.0.0.1:1/nowhere"),
            ("DATABASE_CONNECT_TIMEOUT", "3s"),
        ],
    )
    .unwrap();

    let err = Application::build(settings)
        .await
        .err()
        .expect("start-up refuses");

    let message = err.to_string();
    assert!(
        message.contains("cannot open the database") || message.contains("did not answer"),
        "{message}"
    );
    assert!(
        message.contains("127.0.0.1:1") && !message.contains("secret"),
        "{message}"
    );
}

#[tokio::test]
async fn runaway_statements_are_stopped_by_the_statement_timeout() {
    let app = TestApp::builder()
        .postgres()
        .env("DATABASE_STATEMENT_TIMEOUT", "200ms")
        .spawn()
        .await;

    let result = seamless::server::db::query("select pg_sleep(2)")
        .execute(app.db.write())
        .await;

    let err = result.expect_err("cancelled");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    assert!(
        seamless::server::db::query("select 1")
            .execute(app.db.write())
            .await
            .is_ok(),
        "the pool still works"
    );
}

/// A TCP proxy between the app and PostgreSQL that can cut every connection and refuse new
/// ones, like a database host going away, and then come back.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Proxy { port, up, cut }
    }

    fn go_down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn come_back(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_database_outage_gives_503s_and_the_app_recovers_by_itself() {
    // A database of our own, reached through the proxy.
    let direct = TestApp::builder().postgres().spawn().await;
    let mut url = reqwest::Url::parse(&direct.database_url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = Proxy::start(target).await;
    url.set_port(Some(proxy.port)).unwrap();
    let url = url.to_string();
    let app = TestApp::builder()
        .sharing(&direct)
        .env("DATABASE_URL", url.as_str())
        .env("DATABASE_ACQUIRE_TIMEOUT", "1s")
        .spawn()
        .await;
    let browser = app.signed_up_client("ada@example.com").await;
    browser.added("Before the outage").await;
    let api = ApiClient::new(&app);
    let t = api.tokens("ada@example.com").await;

    proxy.go_down();

    assert_eq!(
        browser.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(browser.get("/healthz").await.status(), StatusCode::OK);
    let res = api.list_todos(&t.access_token).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error_of(res).await.1.error, "unavailable");
    assert_eq!(
        browser.list_todos().await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    proxy.come_back();

    assert_eq!(browser.get("/readyz").await.status(), StatusCode::OK);
    assert_eq!(
        browser.titles().await,
        ["Before the outage"],
        "no restart needed, nothing lost"
    );
    assert_eq!(
        api.list_todos(&t.access_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn during_an_outage_requests_fail_fast_and_pages_say_so() {
    let direct = TestApp::builder().postgres().spawn().await;
    let mut url = reqwest::Url::parse(&direct.database_url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = Proxy::start(target).await;
    url.set_port(Some(proxy.port)).unwrap();
    let url = url.to_string();
    // A request that waited for the pool would wait a minute.
    let app = TestApp::builder()
        .sharing(&direct)
        .env("DATABASE_URL", url.as_str())
        .env("DATABASE_ACQUIRE_TIMEOUT", "60s")
        .spawn()
        .await;
    let browser = app.signed_up_client("ada@example.com").await;
    let api = ApiClient::new(&app);
    let t = api.tokens("ada@example.com").await;

    proxy.go_down();
    // The load balancer's check finds out (a fresh connection is refused).
    assert_eq!(
        browser.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    let started = std::time::Instant::now();
    let res = api.list_todos(&t.access_token).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()[reqwest::header::RETRY_AFTER], "5");
    assert_eq!(
        browser.list_todos().await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let page = browser.get("/todos").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "answered at once, not after the pool's 60 s: {:?}",
        started.elapsed()
    );
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let request_id = page.headers()["x-request-id"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("We can't reach your tasks right now"),
        "{html}"
    );
    assert!(html.contains(r#"<a href="/todos">Try again</a>"#), "{html}");
    assert!(html.contains(&request_id), "the request id to quote");
    assert_eq!(browser.get("/healthz").await.status(), StatusCode::OK);

    proxy.come_back();

    assert_eq!(browser.get("/readyz").await.status(), StatusCode::OK);
    assert_eq!(
        api.list_todos(&t.access_token).await.status(),
        StatusCode::OK,
        "back at once"
    );
    assert_eq!(browser.get("/todos").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn instances_starting_together_migrate_once_and_share_everything() {
    let (a, b) = TestApp::builder().postgres().spawn_two_at_once().await;

    let browser = a.signed_up_client("ada@example.com").await;
    browser.added("Made on A").await;
    let on_b = TestClient::new(&b.address);
    on_b.login("ada@example.com", PASSWORD).await;

    assert_eq!(on_b.titles().await, ["Made on A"]);
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count() as i64;
    assert_eq!(
        a.count("_sqlx_migrations").await,
        files,
        "each migration applied exactly once"
    );
}
