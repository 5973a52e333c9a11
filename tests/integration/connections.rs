//! Hostile and broken connections: idle sockets, slowloris headers, bodies at a trickle, more
//! connections than the limit, request targets without a path. Raw TCP, since a well-behaved
//! HTTP client cannot misbehave like this. Short timeouts keep the tests quick; the safety
//! timeouts around reads only stop a broken server from hanging the test.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::*;

/// Nothing here waits this long unless the server is broken.
const HANG: Duration = Duration::from_secs(20);

fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; what it sent. `None` if it never closes.
async fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(HANG, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&got).into_owned())
}

async fn short_timeouts() -> TestApp {
    TestApp::builder()
        .env("HTTP_HEADER_READ_TIMEOUT", "1s")
        .env("HTTP_KEEP_ALIVE_TIMEOUT", "1s")
        .env("HTTP_BODY_TIMEOUT", "1s")
        .spawn()
        .await
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let app = short_timeouts().await;
    let mut idle = TcpStream::connect(host(&app)).await.unwrap();

    let answer = until_closed(&mut idle).await;

    assert_eq!(answer.as_deref(), Some(""), "closed, without an answer");
}

#[tokio::test]
async fn a_keep_alive_connection_is_closed_once_it_goes_quiet() {
    let app = short_timeouts().await;
    let mut conn = TcpStream::connect(host(&app)).await.unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();

    let answer = until_closed(&mut conn).await.expect("closed");

    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("connection: close"),
        "it was kept alive"
    );
}

#[tokio::test]
async fn headers_sent_at_a_trickle_are_cut_off() {
    let app = short_timeouts().await;
    let conn = TcpStream::connect(host(&app)).await.unwrap();
    let (mut reader, mut writer) = conn.into_split();
    // A slowloris client: a byte every 100 ms, never finishing its headers (it would take 30 s
    // to send them all).
    let trickle = tokio::spawn(async move {
        let head = format!(
            "GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: {}",
            "a".repeat(300)
        );
        for byte in head.bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    });

    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(HANG, reader.read(&mut buf)).await;

    assert!(closed.is_ok(), "the server closed the connection");
    trickle.abort();
}

#[tokio::test]
async fn a_body_sent_at_a_trickle_gets_408_and_the_connection_closes() {
    let app = short_timeouts().await;
    let conn = TcpStream::connect(host(&app)).await.unwrap();
    let (mut reader, mut writer) = conn.into_split();
    writer
        .write_all(
            b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{",
        )
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..199 {
            if writer.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    let mut answer = Vec::new();
    let read = tokio::time::timeout(HANG, reader.read_to_end(&mut answer)).await;

    assert!(read.is_ok(), "the server closed the connection");
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 408"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    assert!(answer.contains("\"error\":\"request_timeout\""), "{answer}");
    trickle.abort();
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_connection_close() {
    let app = TestApp::spawn().await;
    let mut conn = TcpStream::connect(host(&app)).await.unwrap();
    conn.write_all(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n",
    )
    .await
    .unwrap();

    let answer = until_closed(&mut conn)
        .await
        .expect("closed")
        .to_ascii_lowercase();

    assert!(answer.starts_with("http/1.1 413"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
}

#[tokio::test]
async fn beyond_the_connection_limit_healthz_still_answers_and_the_rest_get_503() {
    let app = TestApp::builder()
        .env("HTTP_MAX_CONNECTIONS", "2")
        .spawn()
        .await;
    // Two clients that hold their connections with requests they never finish.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = TcpStream::connect(host(&app)).await.unwrap();
        conn.write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        held.push(conn);
    }
    // They are served: a complete request on a third held connection would be the proof,
    // but the held ones cannot answer; the server has them once it answers a fourth.
    let ask = |path: &'static str| {
        let host = host(&app);
        async move {
            let mut conn = TcpStream::connect(host).await.unwrap();
            conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            until_closed(&mut conn)
                .await
                .expect("answered and closed")
                .to_ascii_lowercase()
        }
    };

    let health = ask("/healthz").await;
    let page = ask("/login").await;

    assert!(health.starts_with("http/1.1 200"), "{health}");
    assert!(health.contains("connection: close"), "{health}");
    assert!(page.starts_with("http/1.1 503"), "{page}");
    assert!(page.contains("retry-after: 1"), "{page}");
    drop(held);
}

#[tokio::test]
async fn a_request_target_without_a_path_gets_400() {
    let app = TestApp::spawn().await;
    let mut conn = TcpStream::connect(host(&app)).await.unwrap();
    let target = host(&app);
    conn.write_all(format!("GET {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
        .await
        .unwrap();

    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(HANG, conn.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();

    assert!(answer.starts_with("http/1.1 400"), "{answer}");
    assert!(answer.contains("must name a path"), "{answer}");
    assert_eq!(
        app.client().get("/healthz").await.status(),
        reqwest::StatusCode::OK,
        "and the server is fine"
    );
}
