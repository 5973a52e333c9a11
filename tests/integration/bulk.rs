//! Many tasks at once: "Mark all done" and "Clear completed" (asked once, with the count) on
//! the task page, and `POST /api/v1/todos/bulk` (complete or delete by ids, all in one
//! transaction, every id the caller's or nothing changes). The counts stay right.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use seamless::domain::short_task_id;

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
    let back = location(&res).unwrap_or_default();
    assert!(
        back.starts_with("/todos?undo="),
        "back with its Undo: {back}"
    );
    let after = ada.todo_page().await;
    assert_eq!((after.open, after.total), (0, 0));
    assert_eq!(bob.todo_page().await.total, 1, "only Ada's");
    let page = ada.get("/todos").await.text().await.unwrap();
    assert!(page.contains("No tasks yet"));
}

#[tokio::test]
async fn with_a_search_mark_all_done_and_clear_completed_act_on_what_it_finds() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    for title in [
        "Call the BANK",
        "Bank statement",
        "Buy milk",
        "Walk the dog",
    ] {
        ada.added(title).await;
    }
    let page = ada.get("/todos?q=bank").await.text().await.unwrap();
    assert!(page.contains(">Mark all done</button>"));

    // Only what the search finds is done; the rest of the list is as it was.
    let res = ada.post_form("complete_all", &[("q", "bank")]).await;
    assert_eq!(location(&res).as_deref(), Some("/todos?q=bank"));
    let after = ada.todo_page().await;
    assert_eq!((after.open, after.total), (2, 4));
    let done: Vec<&str> = after
        .todos
        .iter()
        .filter(|t| t.completed)
        .map(|t| t.title.as_str())
        .collect();
    assert_eq!(done, ["Call the BANK", "Bank statement"]);
    // Nothing it finds is left to do, though the list has two tasks to do.
    let page = ada.get("/todos?q=bank").await.text().await.unwrap();
    assert!(!page.contains("Mark all done"), "{page}");
    assert!(ada
        .get("/todos")
        .await
        .text()
        .await
        .unwrap()
        .contains(">Mark all done</button>"));

    // "Buy milk" is done too, but a search for "bank" clears only what it finds, and says so.
    let milk = after.todos[2].id.clone();
    ada.complete_todo(&milk).await;
    let asked = ada.get("/todos?q=bank&clear=1").await.text().await.unwrap();
    assert!(
        asked.contains("Delete the 2 completed tasks that match \u{201c}bank\u{201d}?"),
        "{asked}"
    );
    assert!(asked.contains(">Delete 2 tasks</button>"));
    let res = ada
        .post_form_from("/todos?q=bank&clear=1", "clear_completed", &[("q", "bank")])
        .await;
    assert!(location(&res)
        .unwrap_or_default()
        .starts_with("/todos?q=bank&undo="));
    let after = ada.todo_page().await;
    let titles: Vec<&str> = after.todos.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["Buy milk", "Walk the dog"]);
    assert_eq!((after.open, after.total), (1, 2));
    // A search that is not one is refused, and changes nothing.
    let res = ada.rpc("complete_all", &[("q", "a\u{0}b")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ada.todo_page().await.open, 1);
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

#[tokio::test]
async fn selected_tasks_are_completed_or_deleted_together_and_the_delete_undone() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let mut ids = Vec::new();
    for title in ["One", "Two", "Three", "Four"] {
        ids.push(short_task_id(&ada.added(title).await));
    }
    let page = ada.get("/todos").await.text().await.unwrap();
    assert!(page.contains(">Select</a>"));
    assert!(!page.contains("ids[]"), "no boxes until selecting");
    let page = ada.get("/todos?select=1").await.text().await.unwrap();
    assert!(page.contains(r#"<span id="S" hidden>Select</span>"#));
    assert_eq!(page.matches(r#"name="ids[]""#).count(), 4);
    assert!(page.contains(r#"aria-labelledby="S t1""#));
    assert!(!page.contains(" checked"));
    assert!(page.contains(">Complete selected</button>"));
    assert!(page.contains(">Delete selected</button>"));
    let all = ada.get("/todos?select=all").await.text().await.unwrap();
    assert_eq!(all.matches(" checked").count(), 4, "every box ticked");
    assert!(all.contains(">Select none</a>"));

    // Without JavaScript: back to the list as it was, out of selecting.
    let res = ada
        .post_form_from(
            "/todos?filter=active&select=1",
            "bulk_todos",
            &[
                ("ids[]", ids[0].as_str()),
                ("ids[]", ids[2].as_str()),
                ("action", "complete"),
                ("filter", "active"),
            ],
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/todos?filter=active"));
    let page = ada.todo_page().await;
    let done: Vec<bool> = page.todos.iter().map(|t| t.completed).collect();
    assert_eq!(done, [true, false, true, false]);
    assert_eq!((page.open, page.total), (2, 4));

    let res = ada
        .post_form(
            "bulk_todos",
            &[
                ("ids[]", ids[1].as_str()),
                ("ids[]", ids[2].as_str()),
                ("action", "delete"),
            ],
        )
        .await;
    let back = location(&res).unwrap_or_default();
    assert!(back.starts_with("/todos?undo="), "{back}");
    assert_eq!(ada.titles().await, ["One", "Four"]);
    let page = ada.get(&back).await.text().await.unwrap();
    assert!(page.contains("Deleted 2 tasks."), "{page}");
    let undo = back.split_once("undo=").unwrap().1;
    ada.restore_todos(undo).await;
    assert_eq!(ada.titles().await, ["One", "Two", "Three", "Four"]);
    let page = ada.todo_page().await;
    assert_eq!((page.open, page.total), (2, 4));
}

#[tokio::test]
async fn a_selection_is_the_callers_own_tasks_or_nothing_changes() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let bob = app.signed_up_client("bob@example.com").await;
    let mine = ada.added("Mine").await;
    let bobs = bob.added("Bob's").await;
    for action in ["complete", "delete"] {
        let res = ada
            .rpc(
                "bulk_todos",
                &[
                    ("ids[]", mine.as_str()),
                    ("ids[]", bobs.as_str()),
                    ("action", action),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(ada.todo_page().await.open, 1);
    assert_eq!(bob.todo_page().await.open, 1);

    // Nothing selected: a message for the person; an action there is not: not found.
    let (status, body) = error_of(ada.rpc("bulk_todos", &[("action", "delete")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.message, "Select at least one task first.");
    let res = ada
        .rpc(
            "bulk_todos",
            &[("ids[]", mine.as_str()), ("action", "archive")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Without JavaScript, the message is on the page it came from.
    let res = ada
        .post_form_from("/todos?select=1", "bulk_todos", &[("action", "complete")])
        .await;
    let to = location(&res).unwrap_or_default();
    let to = to.trim_start_matches(ada.base.as_str());
    assert!(to.starts_with("/todos?select=1&__path="), "{to}");
    let page = ada.get(to).await.text().await.unwrap();
    assert!(page.contains("Select at least one task first."));
}
