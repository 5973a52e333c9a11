//! Filters ("All", "Active", "Completed") and search (`?q=`, the title and the notes, whatever
//! the case, non-ASCII letters included) on the task page and in the JSON API, the same on
//! SQLite and PostgreSQL; the counts stay the whole list's; bad input is a clear error.

use reqwest::{header, StatusCode};
use serde_json::Value;

use crate::helpers::*;

const ADA: &str = "ada@example.com";

/// Ada's tasks: "Buy milk" (done), "Crème brûlée", "Call the BANK" with notes, "50% off".
async fn ada_with_tasks(app: &TestApp) -> TestClient {
    let ada = app.signed_up_client(ADA).await;
    let milk = ada.added("Buy milk").await;
    ada.complete_todo(&milk).await;
    ada.added("Crème brûlée").await;
    let bank = ada.added("Call the BANK").await;
    ada.edit_todo(&bank, "Call the BANK", "Ask about the ÉCOLE fees")
        .await;
    ada.added("50% off").await;
    ada
}

fn titles(page: &seamless::domain::TodoPage<seamless::domain::TaskRow>) -> Vec<&str> {
    page.todos.iter().map(|t| t.title.as_str()).collect()
}

async fn listed(client: &TestClient, form: &[(&str, &str)]) -> Vec<String> {
    let page: seamless::domain::TodoPage<seamless::domain::TaskRow> =
        ok_json(client.rpc("list_todos", form).await).await;
    titles(&page).into_iter().map(str::to_owned).collect()
}

#[tokio::test]
async fn filters_and_search_narrow_the_list_and_the_counts_stay_the_whole_lists() {
    let app = TestApp::spawn().await;
    let ada = ada_with_tasks(&app).await;
    let bob = app.signed_up_client("bob@example.com").await;
    bob.added("Bob's bank visit").await;

    assert_eq!(listed(&ada, &[("filter", "completed")]).await, ["Buy milk"]);
    assert_eq!(
        listed(&ada, &[("filter", "active")]).await,
        ["Crème brûlée", "Call the BANK", "50% off"]
    );
    // Whatever the case, ASCII or not; the notes too; never another person's tasks.
    assert_eq!(listed(&ada, &[("q", "bank")]).await, ["Call the BANK"]);
    assert_eq!(listed(&ada, &[("q", "CRÈME BRÛ")]).await, ["Crème brûlée"]);
    assert_eq!(listed(&ada, &[("q", "école")]).await, ["Call the BANK"]);
    // A wildcard is a character like any other.
    assert_eq!(listed(&ada, &[("q", "50%")]).await, ["50% off"]);
    assert!(listed(&ada, &[("q", "_")]).await.is_empty());
    assert!(
        listed(&ada, &[("q", "bank"), ("filter", "completed")])
            .await
            .is_empty(),
        "both at once"
    );
    // A rename is found by its new title at once.
    let page = ada.todo_page().await;
    let brulee = &page.todos[1].id;
    ada.rename_todo(brulee, "Tarte Tatin").await;
    assert!(listed(&ada, &[("q", "crème")]).await.is_empty());
    assert_eq!(listed(&ada, &[("q", "TATIN")]).await, ["Tarte Tatin"]);

    // The page: the filter links with the whole list's counts, the one shown current, and
    // the search kept in the field and in the links.
    let html = ada
        .get("/todos?filter=active&q=bank")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"<a href="?q=bank">All <span>4</span></a>"#),
        "{html}"
    );
    assert!(html.contains(
        r#"<a href="?filter=active&amp;q=bank" aria-current="page">Active <span>3</span></a>"#
    ));
    assert!(html.contains(r#"<a href="?filter=completed&amp;q=bank">Completed <span>1</span></a>"#));
    assert!(html.contains(r#"name="q" value="bank""#));
    assert!(html.contains("Call the BANK") && !html.contains("Tarte Tatin"));
    let none = ada
        .get("/todos?q=nothing%20like%20it")
        .await
        .text()
        .await
        .unwrap();
    assert!(none.contains("No task matches “nothing like it”."));
}

#[tokio::test]
async fn an_unknown_filter_or_a_long_search_is_a_clear_error() {
    let app = TestApp::spawn().await;
    let ada = ada_with_tasks(&app).await;

    let (status, body) = error_of(ada.rpc("list_todos", &[("filter", "done")]).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (body.key.as_deref(), body.field.as_deref()),
        (Some("filter_unknown"), Some("filter"))
    );
    let page = ada.get("/todos?filter=done").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Show all, active or completed tasks."));
    assert!(html.contains(r#"<a href="/todos">Show all tasks</a>"#));

    let long = "x".repeat(seamless::domain::SEARCH_MAX_CHARS + 1);
    let (_, body) = error_of(ada.rpc("list_todos", &[("q", &long)]).await).await;
    assert_eq!(body.key.as_deref(), Some("search_too_long"));
    // A NUL would be a server error on PostgreSQL if it reached the query.
    let res = ada.get("/todos?q=a%00b").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("A search cannot contain control characters."));
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let res = api.get("/api/v1/todos?q=a%00b", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_api_filters_and_searches_and_its_next_link_keeps_both() {
    let app = TestApp::spawn().await;
    ada_with_tasks(&app).await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;

    let res = api
        .get("/api/v1/todos?filter=active&q=%C3%89&limit=1", Some(&token))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let link = res.headers()[header::LINK].to_str().unwrap().to_owned();
    let first: Vec<Value> = res.json().await.unwrap();
    // "É" finds "Crème brûlée" and the BANK's notes ("ÉCOLE"): one a page, and the next
    // page is asked for the same way.
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["title"], "Crème brûlée");
    assert!(link.contains("&filter=active&q=%C3%89>"), "{link}");
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let second: Vec<Value> = ok_json(api.get(next, Some(&token)).await).await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["title"], "Call the BANK");

    let res = api
        .get("/api/v1/todos?filter=completed", Some(&token))
        .await;
    let done: Vec<Value> = ok_json(res).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["title"], "Buy milk");

    for (query, key) in [("filter=finished", "filter_unknown"), ("q=", "")] {
        let res = api
            .get(&format!("/api/v1/todos?{query}"), Some(&token))
            .await;
        if key.is_empty() {
            assert_eq!(res.status(), StatusCode::OK, "a blank search is none");
            continue;
        }
        let (status, body) = error_of(res).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body.key.as_deref(), Some(key));
    }
}

#[tokio::test]
async fn tasks_from_before_search_existed_are_found_after_the_upgrade() {
    let seed = [
        "insert into users (id, email, name, created_at, updated_at) values ('ada', \
         'ada@example.com', 'Ada', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')"
            .to_owned(),
        "insert into todos (id, user_id, title, description, completed_at, created_at, \
         updated_at) values ('01900000-0000-7000-8000-000000000001', 'ada', 'ÜBUNG macht', \
         'den MEISTER', null, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')"
            .to_owned(),
    ];
    let app = TestApp::builder()
        .upgrading_from(20261207000010, seed)
        .spawn()
        .await;

    let row = seamless::server::db::query("select search_text from todos")
        .fetch_one(app.db.read())
        .await
        .unwrap();
    use sqlx::Row;
    assert_eq!(
        row.get::<Option<String>, _>("search_text").as_deref(),
        Some("übung macht\nden meister")
    );
}
