//! Traces exported over OTLP/HTTP (JSON) to a collector at `OTEL_EXPORTER_OTLP_ENDPOINT`: the
//! request continues its caller's `traceparent`, and the server function, the password hash
//! and the database work are spans inside it.

use axum::{body::Bytes, routing::post, Router};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// A collector on a free port: every span it is sent, as OTLP JSON.
async fn collector() -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let tx = tx.clone();
            async move {
                let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                for resource in doc["resourceSpans"].as_array().into_iter().flatten() {
                    for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                        for span in scope["spans"].as_array().into_iter().flatten() {
                            let _ = tx.send(span.clone());
                        }
                    }
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

#[tokio::test]
async fn a_request_is_exported_as_a_tree_of_spans_under_its_callers_trace() {
    let (endpoint, mut received) = collector().await;
    let dir = tempfile::tempdir().unwrap();
    let binary = Binary::start(dir.path(), &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]).await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller = "00f067aa0ba902b7";
    let client = TestClient::new(&binary.base());
    let res = client
        .http
        .post(client.url("/rpc/signup"))
        .header("origin", &client.base)
        .header("traceparent", format!("00-{trace}-{caller}-01"))
        .form(&[
            ("name", "Tess Trace"),
            ("email", "tess@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The batch exporter sends what has ended every few seconds: the request's own span ends
    // last, so once it has come, the whole tree has.
    let mut spans: Vec<Value> = Vec::new();
    let came = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(span) = received.recv().await {
            let last = span["traceId"] == trace && span["name"] == "POST";
            spans.push(span);
            if last {
                return;
            }
        }
    })
    .await;
    binary.terminate();
    let (status, lines) = binary.exit().await;
    assert!(status.success(), "{status:?}");
    while let Ok(span) = received.try_recv() {
        spans.push(span);
    }
    assert!(came.is_ok(), "the request's span was exported within 60 s");
    let ours: Vec<&Value> = spans.iter().filter(|s| s["traceId"] == trace).collect();
    let named = |name: &str| -> Vec<&Value> {
        ours.iter().copied().filter(|s| s["name"] == name).collect()
    };
    // What the assertions show: each span's name, id and parent's id.
    let all = spans
        .iter()
        .map(|s| {
            format!(
                "{} {} <- {} ({})",
                s["name"], s["spanId"], s["parentSpanId"], s["traceId"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let request = named("POST");
    assert_eq!(request.len(), 1, "one request span in the trace: {all}");
    let request = request[0];
    assert_eq!(
        request["parentSpanId"], caller,
        "the caller is its parent: {all}"
    );
    let function = named("server function signup");
    assert_eq!(function.len(), 1, "{all}");
    assert_eq!(function[0]["parentSpanId"], request["spanId"], "{all}");
    // Whether `span` is inside `outer`: its parents lead there.
    let inside = |span: &Value, outer: &Value| {
        let mut parent = &span["parentSpanId"];
        while let Some(up) = ours.iter().find(|s| &s["spanId"] == parent) {
            if up["spanId"] == outer["spanId"] {
                return true;
            }
            parent = &up["parentSpanId"];
        }
        false
    };
    let hash = named("password hash");
    assert_eq!(hash.len(), 1, "the password was hashed once: {all}");
    assert!(
        inside(hash[0], function[0]),
        "the hash inside the function: {all}"
    );
    let database: Vec<&Value> = ours
        .iter()
        .copied()
        .filter(|s| s["name"] == "db query" || s["name"] == "db transaction")
        .collect();
    assert!(
        database.len() >= 2,
        "the database work is in the trace: {all}"
    );
    for span in &database {
        assert!(
            inside(span, request),
            "a database span inside the request: {all}"
        );
    }
    // Each statement is an event of its span, inside transactions too, with its SQL.
    let statements: Vec<String> = database
        .iter()
        .flat_map(|span| span["events"].as_array().cloned().unwrap_or_default())
        .flat_map(|event| event["attributes"].as_array().cloned().unwrap_or_default())
        .filter(|attribute| attribute["key"] == "db.statement")
        .filter_map(|attribute| {
            attribute["value"]["stringValue"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(
        statements
            .iter()
            .any(|sql| sql.contains("insert into users")),
        "the new user's insert among the statements: {statements:#?}\n{}",
        serde_json::to_string_pretty(&database).unwrap()
    );
    // Inside a transaction, each statement is a span of its own, a child of the
    // transaction's, with its SQL.
    let transactions = named("db transaction");
    let in_transaction: Vec<&Value> = named("db query")
        .into_iter()
        .filter(|query| {
            transactions
                .iter()
                .any(|t| t["spanId"] == query["parentSpanId"])
        })
        .collect();
    assert!(
        !in_transaction.is_empty(),
        "statements inside a transaction: {all}"
    );
    assert!(
        in_transaction.iter().all(|query| {
            query["events"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|event| event["attributes"].as_array().cloned().unwrap_or_default())
                .any(|attribute| attribute["key"] == "db.statement")
        }),
        "each with its statement: {}",
        serde_json::to_string_pretty(&in_transaction).unwrap()
    );
    // And the log lines of that request name the same trace.
    let logged = lines
        .iter()
        .filter(|l| l.contains("\"signed up\""))
        .collect::<Vec<_>>();
    assert_eq!(logged.len(), 1, "{lines:?}");
    assert!(logged[0].contains(trace), "{}", logged[0]);
}
