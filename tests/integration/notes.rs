//! A task's notes (`description`): kept as text with their line breaks, in the JSON API and
//! on the task page, never read as markup; too long or with control characters refused with
//! a message that names the field, the task unchanged.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;
use seamless::domain::Todo;

const ADA: &str = "ada@example.com";

#[tokio::test]
async fn notes_are_kept_as_text_with_their_line_breaks_through_the_api() {
    let app = TestApp::spawn().await;
    app.signed_up_client(ADA).await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;

    let sent = "  Crème brûlée\r\n\t<b>für</b> 4 🍮\n\n";
    let res = api
        .post(
            "/api/v1/todos",
            Some(&token),
            &json!({ "title": "Dessert", "description": sent }),
        )
        .await;
    let todo: Todo = json_of(res, StatusCode::CREATED).await;
    let kept = "Crème brûlée\n\t<b>für</b> 4 🍮";
    assert_eq!(todo.description.as_deref(), Some(kept));
    assert_eq!(
        api.todo(&token, &todo.id).await.description.as_deref(),
        Some(kept)
    );
    let list: Vec<Value> = ok_json(api.list_todos(&token).await).await;
    assert_eq!(list[0]["description"], json!(kept));

    // Changing something else keeps them; a new text replaces them; null or blank removes them.
    let title_only = TodoPatch {
        title: Some("Pudding"),
        ..TodoPatch::default()
    };
    let renamed = api.updated(&token, &todo.id, &title_only).await;
    assert_eq!(renamed.description.as_deref(), Some(kept));
    let notes_only = TodoPatch {
        description: Some(Some("Two litres")),
        ..TodoPatch::default()
    };
    let changed = api.updated(&token, &todo.id, &notes_only).await;
    assert_eq!(
        (changed.title.as_str(), changed.description.as_deref()),
        ("Pudding", Some("Two litres"))
    );
    for removal in [None, Some("  \n ")] {
        api.updated(&token, &todo.id, &notes_only).await;
        let patch = TodoPatch {
            description: Some(removal),
            ..TodoPatch::default()
        };
        assert_eq!(
            api.updated(&token, &todo.id, &patch).await.description,
            None
        );
    }
    let plain = api.created(&token, "No notes").await;
    assert_eq!(plain.description, None);
}

#[tokio::test]
async fn bad_notes_get_a_422_that_names_the_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client(ADA).await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let todo = api.created(&token, "Keep me").await;
    let longest = "ü".repeat(seamless::domain::NOTES_MAX_CHARS);
    let patch = TodoPatch {
        description: Some(Some(&longest)),
        ..TodoPatch::default()
    };
    assert_eq!(
        api.updated(&token, &todo.id, &patch)
            .await
            .description
            .as_deref(),
        Some(longest.as_str()),
        "2,000 characters fit, however many bytes"
    );

    let too_long = format!("{longest}!");
    for (notes, key) in [
        (too_long.as_str(), "notes_too_long"),
        ("a\u{0}b", "notes_control"),
        ("escape \u{1b}[31m", "notes_control"),
    ] {
        let (status, body) = error_of(
            api.post(
                "/api/v1/todos",
                Some(&token),
                &json!({ "title": "New", "description": notes }),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            (body.key.as_deref(), body.field.as_deref()),
            (Some(key), Some("description"))
        );
        let patch = TodoPatch {
            title: Some("Changed"),
            description: Some(Some(notes)),
            ..TodoPatch::default()
        };
        let (status, body) = error_of(api.update_todo(&token, &todo.id, &patch).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body.key.as_deref(), Some(key));
        let (status, body) = error_of(browser.edit_todo(&todo.id, "Changed", notes).await).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the page's form too"
        );
        assert_eq!(body.key.as_deref(), Some(key));
    }
    let unchanged = api.todo(&token, &todo.id).await;
    assert_eq!(
        (unchanged.title.as_str(), unchanged.description.as_deref()),
        ("Keep me", Some(longest.as_str()))
    );
    assert_eq!(api.todos(&token).await.len(), 1, "nothing was added");
}

#[tokio::test]
async fn the_task_page_shows_notes_as_text_and_its_edit_form_changes_them() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let id = ada.added("Party").await;
    let notes = "Bring <script>alert(1)</script> & cake\nand candles</textarea><b>x</b>";

    let res = ada.edit_todo(&id, "Party", notes).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = ada.get("/todos").await.text().await.unwrap();

    assert!(
        page.contains("Bring &lt;script&gt;alert(1)&lt;/script&gt; &amp; cake\nand candles&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;"),
        "as text, the line break kept"
    );
    assert!(!page.contains("<script>alert"), "never as markup");
    assert!(
        page.contains(r#"aria-describedby="n1""#),
        "the checkbox names them"
    );
    let row = &ada.todo_page().await.todos[0];
    assert_eq!(row.description.as_deref(), Some(notes));

    // The edit form holds them in a multi-line field named "Notes".
    let short = seamless::domain::short_task_id(&id);
    let edit = ada
        .get(&format!("/todos?edit={short}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains(">Notes</label>"));
    assert!(
        !edit.contains("<script>alert") && !edit.contains("<b>x</b>"),
        "the text cannot close the field and add markup"
    );
    assert!(edit.contains(
        "Bring &lt;script&gt;alert(1)&lt;/script&gt; &amp; cake\nand candles&lt;/textarea&gt;&lt;b&gt;x&lt;/b&gt;</textarea>"
    ));

    // A rename from a form without the field keeps them; a blank field removes them.
    ada.rename_todo(&id, "Birthday party").await;
    assert_eq!(
        ada.todo_page().await.todos[0].description.as_deref(),
        Some(notes)
    );
    ada.edit_todo(&id, "Birthday party", " ").await;
    assert_eq!(ada.todo_page().await.todos[0].description, None);
    let page = ada.get("/todos").await.text().await.unwrap();
    assert!(
        !page.contains("aria-describedby"),
        "no notes, nothing to describe"
    );
}
