//! "Undo" after a delete or "Clear completed" on the task page: the deleted tasks are kept a
//! while under the delete's own id (`?undo=` on the page after it), and "Undo" puts them back
//! as they were, once, for their owner only, within the task limit.

use reqwest::StatusCode;

use crate::helpers::*;
use seamless::domain::{short_task_id, TaskRow};

const ADA: &str = "ada@example.com";

/// The delete id in the address a delete sent the browser to (`/todos?undo=…`).
fn undo_of(res: &reqwest::Response) -> String {
    let to = location(res).expect("a delete goes back to the list");
    let (_, undo) = to.split_once("undo=").expect("with its Undo");
    undo.split('&').next().unwrap_or(undo).to_owned()
}

/// Ada's tasks by title, as the list shows them.
async fn rows(browser: &TestClient) -> Vec<TaskRow> {
    browser.todo_page().await.todos
}

#[tokio::test]
async fn a_deleted_task_comes_back_as_it_was_with_undo_and_only_once() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let mut ids = Vec::new();
    for title in ["Alpha", "Bravo", "Charlie"] {
        ids.push(ada.added(title).await);
    }
    assert_eq!(
        ada.edit_todo_due(&ids[1], "Bravo", "2026-12-24")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        ada.edit_todo(&ids[1], "Bravo", "With notes").await.status(),
        StatusCode::OK
    );
    ada.complete_todo(&ids[1]).await;
    let before = rows(&ada).await;

    // Without JavaScript: back to the list, with what was deleted and "Undo".
    let short = short_task_id(&ids[1]);
    let res = ada
        .post_form("delete_todo", &[("id", short.as_str()), ("filter", "all")])
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let undo = undo_of(&res);
    assert_eq!(location(&res), Some(format!("/todos?undo={undo}")));
    assert_eq!(ada.titles().await, ["Alpha", "Charlie"]);
    let page = ada
        .get(&format!("/todos?undo={undo}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Deleted \u{201c}Bravo\u{201d}."), "{page}");
    assert!(page.contains(">Undo</button>"));
    assert!(!ada
        .get("/todos")
        .await
        .text()
        .await
        .unwrap()
        .contains("Undo"));

    let res = ada
        .post_form("restore_todos", &[("undo", undo.as_str())])
        .await;
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let after = rows(&ada).await;
    assert_eq!(after.len(), 3);
    // The same task in the same place, its notes, due date and state kept; one version on.
    for (was, is) in before.iter().zip(&after) {
        assert_eq!((&was.id, &was.title), (&is.id, &is.title));
        assert_eq!(
            (&was.description, &was.due_on),
            (&is.description, &is.due_on)
        );
        assert_eq!(was.completed, is.completed);
    }
    assert_eq!(after[1].version, before[1].version + 1);
    let page = ada.todo_page().await;
    assert_eq!((page.open, page.total), (2, 3), "the counts are back too");
    // It is found by its notes again.
    let found: seamless::domain::TodoPage<TaskRow> =
        ok_json(ada.rpc("list_todos", &[("q", "with notes")]).await).await;
    assert_eq!(found.todos.len(), 1);

    // Once: a second "Undo" (an old page, another tab) says it cannot, and changes nothing.
    let (status, body) = error_of(ada.restore_todos(&undo).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body.key.as_deref(), Some("undo_gone"));
    assert_eq!(ada.todo_page().await.total, 3);
    let page = ada
        .get(&format!("/todos?undo={undo}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(">Undo</button>"), "nothing left to undo");
    assert_eq!(app.count("deleted_todos").await, 0);
}

#[tokio::test]
async fn with_javascript_a_delete_answers_with_the_list_and_its_undo() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let id = ada.added("Alpha").await;
    ada.added("Bravo").await;
    let res = ada
        .rpc(
            "delete_todo",
            &[
                ("id", id.as_str()),
                ("filter", "active"),
                ("q", "a"),
                ("shown", "2"),
            ],
        )
        .await;
    // The page's script follows it in place (`serverfnredirect`), keeping the view.
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("serverfnredirect"));
    let undo = undo_of(&res);
    assert_eq!(
        location(&res),
        Some(format!("/todos?filter=active&q=a&shown=2&undo={undo}"))
    );
    assert_eq!(ada.titles().await, ["Bravo"]);
    assert_eq!(ada.restore_todos(&undo).await.status(), StatusCode::OK);
    assert_eq!(ada.titles().await, ["Alpha", "Bravo"]);
}

#[tokio::test]
async fn clear_completed_is_undone_whole() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    for title in ["One", "Two", "Three", "Four"] {
        let id = ada.added(title).await;
        if title != "Three" {
            ada.complete_todo(&id).await;
        }
    }
    let res = ada
        .post_form_from("/todos?clear=1", "clear_completed", &[])
        .await;
    let undo = undo_of(&res);
    assert_eq!(ada.titles().await, ["Three"]);
    let page = ada
        .get(&format!("/todos?undo={undo}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Deleted 3 tasks."), "{page}");
    // The question no longer says it cannot be undone.
    let asked = ada.get("/todos?clear=1").await.text().await.unwrap();
    assert!(!asked.contains("cannot be undone"));

    assert_eq!(ada.restore_todos(&undo).await.status(), StatusCode::OK);
    assert_eq!(ada.titles().await, ["One", "Two", "Three", "Four"]);
    let page = ada.todo_page().await;
    assert_eq!((page.open, page.total), (1, 4));
    // Nothing done: nothing deleted, so nothing to undo.
    let res = ada.rpc("clear_completed", &[("filter", "active")]).await;
    assert_eq!(ok_json::<u64>(res).await, 3);
    let res = ada.rpc("clear_completed", &[]).await;
    assert!(location(&res).is_none(), "no Undo for nothing");
}

#[tokio::test]
async fn only_the_owner_can_undo_their_delete() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let bob = app.signed_up_client("bob@example.com").await;
    let id = ada.added("Private").await;
    let undo = undo_of(&ada.rpc("delete_todo", &[("id", id.as_str())]).await);

    let page = bob
        .get(&format!("/todos?undo={undo}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("Private"),
        "Bob is not told what Ada deleted"
    );
    assert!(!page.contains(">Undo</button>"));
    let (status, body) = error_of(bob.restore_todos(&undo).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body.key.as_deref(), Some("undo_gone"));
    assert_eq!(bob.todo_page().await.total, 0);
    assert_eq!(ada.todo_page().await.total, 0);
    // Ada still can.
    assert_eq!(ada.restore_todos(&undo).await.status(), StatusCode::OK);
    assert_eq!(ada.titles().await, ["Private"]);
    // Junk in the address is no delete at all.
    for junk in ["", "nope", "'; drop table todos; --"] {
        let (status, body) = error_of(bob.restore_todos(junk).await).await;
        assert_eq!(
            (status, body.key.as_deref()),
            (StatusCode::CONFLICT, Some("undo_gone"))
        );
        let page = ada.get(&format!("/todos?undo={junk}")).await;
        assert_eq!(page.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn an_expired_delete_cannot_be_undone() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let id = ada.added("Old").await;
    let undo = undo_of(&ada.rpc("delete_todo", &[("id", id.as_str())]).await);
    // Its time is up.
    seamless::server::db::query(
        "update deleted_todos set expires_at = '2000-01-01T00:00:00.000000Z'",
    )
    .execute(app.db.write())
    .await
    .unwrap();
    let page = ada
        .get(&format!("/todos?undo={undo}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(">Undo</button>"));
    let (status, body) = error_of(ada.restore_todos(&undo).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body.message,
        "This can no longer be undone: deleted tasks are kept for 15 minutes."
    );
    assert_eq!(ada.todo_page().await.total, 0);
}

#[tokio::test]
async fn a_restored_task_whose_place_was_taken_goes_just_after_it() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    ada.added("Alpha").await;
    let bravo = ada.added("Bravo").await;
    ada.added("Charlie").await;
    let charlie_rank = rows(&ada).await[2].position.clone();
    // Charlie deleted, then a new task takes the last place, Charlie's rank.
    let charlie = rows(&ada).await[2].id.clone();
    let undo = undo_of(&ada.rpc("delete_todo", &[("id", charlie.as_str())]).await);
    ada.added("Delta").await;
    assert_eq!(rows(&ada).await[2].position, charlie_rank);
    ada.restore_todos(&undo).await;
    assert_eq!(ada.titles().await, ["Alpha", "Bravo", "Delta", "Charlie"]);
    // And the order still moves as usual.
    let short = short_task_id(&bravo);
    ada.rpc("move_todo", &[("down", short.as_str())]).await;
    ada.rpc("move_todo", &[("down", short.as_str())]).await;
    assert_eq!(ada.titles().await, ["Alpha", "Delta", "Charlie", "Bravo"]);
}

#[tokio::test]
async fn undo_is_refused_past_the_task_limit_and_kept_for_later() {
    let app = TestApp::builder()
        .env("TASKS_MAX_PER_USER", "2")
        .spawn()
        .await;
    let ada = app.signed_up_client(ADA).await;
    let id = ada.added("One").await;
    ada.added("Two").await;
    let undo = undo_of(&ada.rpc("delete_todo", &[("id", id.as_str())]).await);
    let three = ada.added("Three").await;
    let (status, body) = error_of(ada.restore_todos(&undo).await).await;
    assert_eq!(
        (status, body.key.as_deref()),
        (StatusCode::CONFLICT, Some("too_many_tasks"))
    );
    assert_eq!(ada.titles().await, ["Two", "Three"]);
    // Room again: the delete can still be undone.
    ada.rpc("delete_todo", &[("id", three.as_str())]).await;
    assert_eq!(ada.restore_todos(&undo).await.status(), StatusCode::OK);
    assert_eq!(ada.titles().await, ["One", "Two"]);
}

#[tokio::test]
async fn undo_pressed_many_times_at_once_restores_once() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    for title in ["One", "Two", "Three"] {
        let id = ada.added(title).await;
        ada.complete_todo(&id).await;
    }
    let undo = undo_of(&ada.rpc("clear_completed", &[]).await);
    let statuses = futures::future::join_all((0..8).map(|_| {
        let (ada, undo) = (&ada, &undo);
        async move { ada.restore_todos(undo).await.status() }
    }))
    .await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 1, "{statuses:?}");
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT));
    let page = ada.todo_page().await;
    assert_eq!((page.open, page.total, page.todos.len()), (0, 3, 3));
}
