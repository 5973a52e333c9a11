//! The task list a page at a time: `/todos` shows 50 tasks and a "Show more" link that works
//! without JavaScript (`?after=`), and the API pages with a cursor and a `Link` header. A
//! person with thousands of tasks gets a page that costs what a page of 50 costs.

use reqwest::{header, StatusCode};
use seamless::domain::{short_task_id, TaskRow, Todo, TodoPage};

use crate::helpers::*;

/// Adds `n` tasks named "Task 1" to "Task n" (in that order) and returns their ids.
async fn with_tasks(browser: &TestClient, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 1..=n {
        ids.push(browser.added(&format!("Task {i}")).await);
    }
    ids
}

/// The task titles a page shows, in order (each task's checkbox is named by its title: its
/// text, or while the task is edited its `aria-label`).
fn titles_on(html: &str) -> Vec<String> {
    html.split(r#"role="checkbox""#)
        .skip(1)
        .filter_map(|rest| {
            let (tag, after) = rest.split_once('>')?;
            let title = match tag.split_once(r#"aria-label=""#) {
                Some((_, label)) => label.split('"').next()?,
                None => after.split("</button>").next()?,
            };
            Some(title.to_owned())
        })
        .collect()
}

/// Where the page's "Show more" link leads, if it has one.
fn show_more_href(html: &str) -> Option<String> {
    let (before, _) = html.split_once(">Show more<")?;
    let tag = &before[before.rfind("<a ")?..];
    let href = tag.split(r#"href=""#).nth(1)?.split('"').next()?;
    Some(href.replace("&amp;", "&"))
}

#[tokio::test]
async fn a_long_list_shows_fifty_tasks_and_a_show_more_link_that_works_without_javascript() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let ids = with_tasks(&browser, 120).await;
    browser.toggle_todo(&ids[0], true).await;

    let first = browser.get("/todos").await.text().await.unwrap();
    let expected: Vec<String> = (1..=50).map(|i| format!("Task {i}")).collect();
    assert_eq!(titles_on(&first), expected);
    assert!(first.contains("119 left"), "the count is of the whole list");
    assert!(!first.contains("Back to the start"));
    let next = show_more_href(&first).expect("a Show more link");
    // The page writes task ids in their short form, and where the task sits in the order.
    let fiftieth = &browser.todo_page().await.todos[49];
    assert_eq!(
        next,
        format!(
            "/todos?after={}~{}",
            short_task_id(&ids[49]),
            fiftieth.position
        )
    );

    let second = browser.get(&next).await.text().await.unwrap();
    let expected: Vec<String> = (51..=100).map(|i| format!("Task {i}")).collect();
    assert_eq!(titles_on(&second), expected);
    assert!(second.contains("119 left"));
    assert!(second.contains("Back to the start"));
    let last = show_more_href(&second).expect("a Show more link on the second page");

    let third = browser.get(&last).await.text().await.unwrap();
    let expected: Vec<String> = (101..=120).map(|i| format!("Task {i}")).collect();
    assert_eq!(titles_on(&third), expected);
    assert_eq!(
        show_more_href(&third),
        None,
        "the last page has no Show more"
    );
    assert!(third.contains("Back to the start"));
}

#[tokio::test]
async fn a_list_of_exactly_one_page_has_no_show_more_and_a_cursor_past_the_end_is_an_empty_page() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let ids = with_tasks(&browser, 50).await;

    let page = browser.get("/todos").await.text().await.unwrap();
    assert_eq!(titles_on(&page).len(), 50);
    assert_eq!(show_more_href(&page), None);

    let past = browser
        .get(&format!("/todos?after={}", ids[49]))
        .await
        .text()
        .await
        .unwrap();
    assert!(titles_on(&past).is_empty());
    assert!(
        !past.contains("No tasks yet"),
        "a page past the end is not an empty list"
    );
    assert!(past.contains("50 left") && past.contains("Back to the start"));
}

#[tokio::test]
async fn editing_and_renaming_a_task_on_a_later_page_stays_on_that_page() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let ids = with_tasks(&browser, 60).await;
    let page = format!("/todos?after={}", ids[49]);

    // The edit button submits a GET form that carries the page along.
    let html = browser.get(&page).await.text().await.unwrap();
    assert!(html.contains(&format!(
        r#"<input type="hidden" name="after" value="{}""#,
        ids[49]
    )));
    // The Edit button sends the short form of the id; the UUID works as well.
    let by_uuid = browser
        .get(&format!("{page}&edit={}", ids[54]))
        .await
        .text()
        .await
        .unwrap();
    assert!(by_uuid.contains(r#"value="Task 55""#), "the edit field");
    let editing = browser
        .get(&format!("{page}&edit={}", short_task_id(&ids[54])))
        .await
        .text()
        .await
        .unwrap();
    assert!(editing.contains(r#"value="Task 55""#), "the edit field");

    let res = browser
        .post_form(
            "rename_todo",
            &[("id", &ids[54]), ("title", "Renamed"), ("after", &ids[49])],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = format!("/todos?after={}", short_task_id(&ids[49]));
    assert_eq!(location(&res).as_deref(), Some(back.as_str()));
    let after = browser.get(&page).await.text().await.unwrap();
    assert!(titles_on(&after).contains(&"Renamed".to_owned()));
}

#[tokio::test]
async fn a_bad_cursor_is_a_clear_error_never_someone_elses_tasks() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client("ada@example.com").await;
    let eve = app.signed_up_client("eve@example.com").await;
    let adas = with_tasks(&ada, 3).await;
    with_tasks(&eve, 2).await;

    let res = ada.rpc("list_todos", &[("after", "' or 1=1 --")]).await;
    let (status, body) = error_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("page_cursor_invalid"));

    for limit in ["ten", "0", "501", "-1"] {
        let res = ada.rpc("list_todos", &[("limit", limit)]).await;
        assert!(res.status().is_client_error(), "{limit}: {}", res.status());
    }

    // Eve naming one of Ada's tasks as the cursor still sees only her own.
    let res = eve.list_todos_after(&adas[0]).await;
    let page: TodoPage<TaskRow> = res.json().await.unwrap();
    for todo in page.todos {
        assert!(!adas.contains(&todo.id));
    }
}

#[tokio::test]
async fn the_api_pages_with_a_cursor_and_a_link_header() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let ids = with_tasks(&browser, 120).await;
    let api = ApiClient::new(&app);
    let token = api.tokens("ada@example.com").await.access_token;

    let mut seen = Vec::new();
    let mut path = "/api/v1/todos".to_owned();
    let mut sizes = Vec::new();
    loop {
        let res = api.get(&path, Some(&token)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let link = res
            .headers()
            .get(header::LINK)
            .map(|v| v.to_str().unwrap().to_owned());
        let page: Vec<Todo> = res.json().await.unwrap();
        sizes.push(page.len());
        seen.extend(page.into_iter().map(|t| t.id));
        let Some(link) = link else { break };
        let next = link
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(r#">; rel="next""#))
            .expect("an RFC 8288 link to the next page");
        path = next.to_owned();
        assert!(sizes.len() < 5, "the pages go on: {path}");
    }
    assert_eq!(sizes, [50, 50, 20], "50 a page unless asked");
    assert_eq!(seen, ids, "every task once, oldest first");

    let res = api.get("/api/v1/todos?limit=7", Some(&token)).await;
    let link = res.headers()[header::LINK].to_str().unwrap().to_owned();
    let seventh = api.todo(&token, &ids[6]).await;
    assert_eq!(
        link,
        format!(
            r#"</api/v1/todos?limit=7&after={}~{}>; rel="next""#,
            ids[6], seventh.position
        )
    );
    assert_eq!(res.json::<Vec<Todo>>().await.unwrap().len(), 7);
    let res = api.get("/api/v1/todos?limit=500", Some(&token)).await;
    assert!(res.headers().get(header::LINK).is_none());
    assert_eq!(res.json::<Vec<Todo>>().await.unwrap().len(), 120);
    // A page that ends exactly where the list does links to no empty page after it.
    let res = api
        .get(
            &format!("/api/v1/todos?limit=60&after={}", ids[59]),
            Some(&token),
        )
        .await;
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    assert!(res.headers().get(header::LINK).is_none());
    let rest: Vec<Todo> = res.json().await.unwrap();
    assert_eq!(rest.len(), 60);
    assert_eq!(rest[59].id, ids[119]);
}

#[tokio::test]
async fn api_page_parameters_out_of_range_are_422_with_the_reason() {
    let app = TestApp::spawn().await;
    app.signed_up_client("ada@example.com").await;
    let api = ApiClient::new(&app);
    let token = api.tokens("ada@example.com").await.access_token;

    for (query, key) in [
        ("limit=0", "page_limit_invalid"),
        ("limit=501", "page_limit_invalid"),
        ("limit=ten", "page_limit_invalid"),
        ("limit=-1", "page_limit_invalid"),
        ("after=not-a-task", "page_cursor_invalid"),
        ("after=%27%20or%201%3D1", "page_cursor_invalid"),
    ] {
        let res = api
            .get(&format!("/api/v1/todos?{query}"), Some(&token))
            .await;
        let (status, body) = error_of(res).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(body.key.as_deref(), Some(key), "{query}");
        assert!(body.message.contains('`'), "{query}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_paging() {
    let app = TestApp::spawn().await;
    let api = ApiClient::new(&app);
    let doc = api.openapi().await;
    let list = &doc["paths"]["/api/v1/todos"]["get"];
    let names: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["limit", "after", "filter", "q", "sort"]);
    assert!(list["responses"]["200"]["headers"]["Link"].is_object());
    assert!(list["responses"]["422"].is_object());
}

#[tokio::test]
async fn a_page_of_a_long_list_is_the_size_of_a_page_of_fifty() {
    let app = TestApp::spawn().await;
    let fifty = app.signed_up_client("fifty@example.com").await;
    let many = app.signed_up_client("many@example.com").await;
    with_tasks(&fifty, 50).await;
    with_tasks(&many, 260).await;

    let small = fifty.get("/todos").await.text().await.unwrap();
    let large = many.get("/todos").await.text().await.unwrap();

    assert_eq!(titles_on(&large).len(), 50);
    assert!(
        !large.contains("created_at"),
        "the page carries no timestamps it does not show"
    );
    // The same 50 rows, the last with "Move down", and the Show more link; titles are as
    // long as each other.
    assert!(
        large.len() < small.len() + 300,
        "{} bytes for 260 tasks, {} for 50",
        large.len(),
        small.len()
    );
}
