use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let browser = app.client();

    assert_eq!(browser.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(browser.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone_but_liveness_does_not() {
    let app = TestApp::spawn().await;
    let browser = app.client();

    app.db.close().await;

    assert_eq!(
        browser.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(browser.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_pages_are_404_with_a_page_for_people() {
    let app = TestApp::spawn().await;

    let res = app.client().get("/no/such/page").await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn a_path_too_long_to_be_a_file_is_a_404_page_not_an_error() {
    let app = TestApp::spawn().await;

    let res = app.client().get(&format!("/{}", "a".repeat(9000))).await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

/// The release-style binary: JSON logs where every line of a request carries its id and the
/// trace id of its `traceparent`, no password in them, and a graceful stop on SIGTERM that
/// lets in-flight requests finish.
#[tokio::test]
async fn the_binary_logs_request_ids_never_secrets_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let binary = Binary::start(dir.path(), &[("AUTH_HASH_CONCURRENCY", "1")]).await;
    let port = binary.port;
    let base = format!("http://127.0.0.1:{port}");
    let client = TestClient::new(&base);
    let signup = move |n: usize| {
        let client = TestClient::new(&format!("http://127.0.0.1:{port}"));
        async move {
            client
                .http
                .post(client.url("/rpc/signup"))
                .header("origin", &client.base)
                .header("x-request-id", format!("req-{n}"))
                .header(
                    "traceparent",
                    format!("00-{:032x}-00f067aa0ba902b7-01", n + 0xabc),
                )
                .form(&[
                    ("name", "Ada"),
                    ("email", &format!("ada{n}@example.com")),
                    ("password", PASSWORD),
                ])
                .send()
                .await
                .map(|r| r.status())
        }
    };

    // Three sign-ups queue on one hashing permit; once the first is answered the others are
    // in flight, and SIGTERM must let them finish.
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    let first = tokio::spawn(async move {
        let status = signup(1).await;
        let _ = first_tx.send(());
        status
    });
    let second = tokio::spawn(signup(2));
    let third = tokio::spawn(signup(3));
    let _ = first_rx.await;
    binary.terminate();
    for handle in [first, second, third] {
        assert_eq!(
            handle.await.unwrap().unwrap(),
            StatusCode::OK,
            "in-flight requests finish"
        );
    }
    let (status, lines) = binary.exit().await;
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    drop(client);

    let all = lines.join("\n");
    assert!(!all.contains(PASSWORD), "a password reached the logs");
    // The verification links went to the outbox, and their tokens nowhere else.
    let outbox: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .expect("outbox")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(outbox.len(), 3, "one verification email per sign-up");
    for file in outbox {
        let mail = seamless_standins::smtp::decode_quoted_printable(
            &std::fs::read_to_string(file).unwrap(),
        );
        let token = mail
            .split("token=")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .expect("a link with a token");
        assert!(token.len() >= 40);
        assert!(!all.contains(token), "an email token reached the logs");
    }
    let request_lines: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("\"signed up\""))
        .collect();
    assert_eq!(request_lines.len(), 3, "{all}");
    for line in request_lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        // A field's values in the line's spans.
        let in_spans = |field: &str| -> Vec<String> {
            v["spans"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|span| span[field].as_str().map(str::to_owned))
                .collect()
        };
        let ids = in_spans("request_id");
        assert!(
            ids.len() == 1 && ids[0].starts_with("req-"),
            "log line without its request id: {line}"
        );
        let n: usize = ids[0]["req-".len()..].parse().unwrap();
        assert_eq!(
            in_spans("trace_id"),
            [format!("{:032x}", n + 0xabc)],
            "log line without its request's trace id: {line}"
        );
    }
}

#[test]
fn production_without_a_secret_refuses_to_start_and_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seamless"))
        .env_clear()
        .env("APP_ENV", "production")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("APP_DATA_DIR", dir.path())
        .current_dir(dir.path())
        .output()
        .expect("runs");

    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("APP_SECRET"), "{stderr}");
}

#[test]
fn a_config_file_named_on_the_command_line_is_used_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("custom.toml");
    std::fs::write(&config, "[app]\nsite_adr = \"typo\"\n").unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_seamless"))
        .arg("--config")
        .arg(&config)
        .current_dir(dir.path())
        .output()
        .expect("runs");

    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("site_adr"));
}

#[tokio::test]
async fn starting_more_instances_does_not_stall_pages_being_served() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let more = tokio::spawn(async {
        for _ in 0..5 {
            let _other = TestApp::spawn().await;
        }
    });

    for i in 0..60 {
        let page = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            browser.get("/todos").await.text().await
        })
        .await;
        assert!(
            matches!(page, Ok(Ok(ref html)) if html.contains("Your tasks")),
            "page {i} stalled"
        );
    }
    more.await.unwrap();
}

/// SIGTERM with a client stalled halfway through its headers and another idle one: the binary
/// closes both at once and exits, long before its grace period (which is for requests in
/// progress). Its text logs, written to a pipe, carry no terminal colour codes.
#[tokio::test]
async fn a_stop_does_not_wait_for_stalled_clients_and_logs_to_a_pipe_have_no_colours() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_seamless"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("APP_DATA_DIR", dir.path())
        .env("LOG_FORMAT", "text")
        .env("RUST_LOG", "info")
        .env("HTTP_SHUTDOWN_TIMEOUT", "120s")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let port: u16 = loop {
        let line = rx.recv().await.expect("the server logs that it listens");
        lines.push(line.clone());
        if let Some(port) = line
            .split("port=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
        {
            break port;
        }
    };
    use tokio::io::AsyncWriteExt;
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stalled
        .write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let _idle = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    assert_eq!(
        TestClient::new(&format!("http://127.0.0.1:{port}"))
            .get("/healthz")
            .await
            .status(),
        StatusCode::OK
    );

    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let exited = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await;

    let status = exited
        .expect("exited well within the 120 s grace period")
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    while let Some(line) = rx.recv().await {
        lines.push(line);
    }
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "no colour codes: {lines:?}"
    );
    drop(stalled);
}
