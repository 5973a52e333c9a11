//! Many tasks at once: "Mark all done" and "Clear completed" (asked once, with the count) on
//! the task page, and `POST /api/v1/todos/bulk` (complete or delete by ids, all in one
//! transaction, every id the caller's or nothing changes). The counts stay right.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const ADA: &str = "ada@example.com";

#[tokio::test]
async fn mark_all_done_then_clear_completed_after_its_question() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let bob = app.signed_up_client("bob@example.com").await;
    for title in ["One", "Two", "Three"] {
        ada.added(title).await;
    }
    bob.added("Bob's").await;
    let page = ada.get("/todos").await.text().await.unwrap();
    assert!(page.contains(">Mark all done</button>"));
    assert!(!page.contains("Clear completed"), "nothing is done yet");

    // Without JavaScript: back to the list as it was.
    let res = ada.post_form("complete_all", &[("filter", "active")]).await;
    assert_eq!(location(&res).as_deref(), Some("/todos?filter=active"));
    let after = ada.todo_page().await;
    assert_eq!((after.open, after.total), (0, 3));
    let page = ada.get("/todos").await.text().await.unwrap();
    assert!(!page.contains("Mark all done"), "nothing is left to do");
    assert!(page.contains(">Clear completed</button>"));

    // The question, with the count; only the confirmation deletes.
    let asked = ada.get("/todos?clear=1").await.text().await.unwrap();
    assert!(asked.contains("Delete the 3 completed tasks?"), "{asked}");
    assert!(asked.contains(">Delete 3 tasks</button>"));
    assert_eq!(ada.todo_page().await.total, 3, "asking deletes nothing");
    let res = ada
        .post_form_from("/todos?clear=1", "clear_completed", &[])
        .await;
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let after = ada.todo_page().await;
    assert_eq!((after.open, after.total), (0, 0));
    assert_eq!(bob.todo_page().await.total, 1, "only Ada's");
    let page = ada.get("/todos").await.text().await.unwrap();
    assert!(page.contains("No tasks yet"));
}

#[tokio::test]
async fn the_api_completes_or_deletes_many_tasks_in_one_transaction() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    app.signed_up_client("bob@example.com").await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let bobs = api.tokens("bob@example.com").await.access_token;
    let mut ids = Vec::new();
    for title in ["One", "Two", "Three", "Four"] {
        ids.push(api.created(&token, title).await.id);
    }
    let bobs_task = api.created(&bobs, "Bob's").await.id;
    api.updated(
        &token,
        &ids[0],
        &TodoPatch {
            completed: Some(true),
            ..TodoPatch::default()
        },
    )
    .await;
    let bulk = |body: Value| {
        let (api, token) = (&api, &token);
        async move { api.post("/api/v1/todos/bulk", Some(token), &body).await }
    };

    // Done already, named twice: each changes once.
    let res = bulk(json!({"action": "complete", "ids": [ids[0], ids[1], ids[1], ids[2]]})).await;
    let result: Value = ok_json(res).await;
    assert_eq!(result, json!({"changed": 2}));
    let page = ada.todo_page().await;
    assert_eq!((page.open, page.total), (1, 4));

    // One id that is not Ada's: 404, and nothing changes, the others neither.
    for stranger in [
        bobs_task.as_str(),
        "01900000-0000-7000-8000-000000000009",
        "nope",
    ] {
        let res = bulk(json!({"action": "delete", "ids": [ids[3], stranger]})).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{stranger}");
    }
    assert_eq!(ada.todo_page().await.total, 4);
    let bob = ApiClient::new(&app);
    assert_eq!(bob.todos(&bobs).await.len(), 1, "Bob's task is there");

    let res = bulk(json!({"action": "delete", "ids": [ids[0], ids[3]]})).await;
    assert_eq!(ok_json::<Value>(res).await, json!({"changed": 2}));
    let page = ada.todo_page().await;
    assert_eq!(
        (page.open, page.total),
        (0, 2),
        "one done and one open went"
    );
    assert_eq!(api.todos(&token).await.len(), 2);

    let too_many: Vec<String> = (0..501).map(|_| ids[1].clone()).collect();
    for (body, key) in [
        (json!({"action": "delete", "ids": []}), "bulk_ids_invalid"),
        (
            json!({"action": "delete", "ids": too_many}),
            "bulk_ids_invalid",
        ),
    ] {
        let (status, error) = error_of(bulk(body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.key.as_deref(), Some(key));
    }
    let res = bulk(json!({"action": "archive", "ids": [ids[1]]})).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown action"
    );
    assert_eq!(ada.todo_page().await.total, 2, "nothing changed");
}
