//! The person's own order ("Move up", "Move down": a rank per task, so a move writes one row),
//! and the other orders a list can have (`sort=due`, `sort=newest`), paged with cursors that
//! say where the last task sat, on the page and in the API.

use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;
use seamless::domain::{short_task_id, Todo};

const ADA: &str = "ada@example.com";

/// Moves the task `id` one place (`"up"` or `"down"`), as the page's buttons do.
async fn moved(browser: &TestClient, direction: &str, id: &str) {
    let short = short_task_id(id);
    let res = browser
        .rpc("move_todo", &[(direction, short.as_str())])
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{direction} {id}");
}

#[tokio::test]
async fn move_up_and_move_down_change_the_order_and_it_stays() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let mut ids = Vec::new();
    for title in ["Alpha", "Bravo", "Charlie", "Delta"] {
        ids.push(ada.added(title).await);
    }
    assert_eq!(ada.titles().await, ["Alpha", "Bravo", "Charlie", "Delta"]);

    moved(&ada, "up", &ids[2]).await;
    assert_eq!(ada.titles().await, ["Alpha", "Charlie", "Bravo", "Delta"]);
    moved(&ada, "down", &ids[0]).await;
    assert_eq!(ada.titles().await, ["Charlie", "Alpha", "Bravo", "Delta"]);
    // The first cannot go up, nor the last down: nothing changes.
    moved(&ada, "up", &ids[2]).await;
    moved(&ada, "down", &ids[3]).await;
    assert_eq!(ada.titles().await, ["Charlie", "Alpha", "Bravo", "Delta"]);
    // A new task goes last.
    ada.added("Echo").await;
    assert_eq!(
        ada.titles().await,
        ["Charlie", "Alpha", "Bravo", "Delta", "Echo"]
    );

    // The page: each task's buttons are named by the title; the first's "Move up" and the
    // last's "Move down" are disabled.
    let html = ada.get("/todos").await.text().await.unwrap();
    assert!(html.contains(r#"<span id="U" hidden>Move up</span>"#));
    assert!(html.contains(r#"<span id="W" hidden>Move down</span>"#));
    assert!(
        html.contains(r#"aria-labelledby="U t1" disabled"#),
        "{html}"
    );
    assert!(html.contains(r#"aria-labelledby="W t1">"#));
    assert!(html.contains(r#"aria-labelledby="U t5">"#));
    assert!(html.contains(r#"aria-labelledby="W t5" disabled"#));
    assert_eq!(html.matches(" disabled").count(), 2);

    // Without JavaScript: the move, then back to the list as it was.
    let short = short_task_id(&ids[3]);
    let res = ada
        .post_form_from(
            "/todos?filter=active",
            "move_todo",
            &[("up", short.as_str()), ("filter", "active")],
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/todos?filter=active"));
    assert_eq!(
        ada.titles().await,
        ["Charlie", "Alpha", "Delta", "Bravo", "Echo"]
    );

    // Someone else's task, or none: not found, and nothing moves.
    let bob = app.signed_up_client("bob@example.com").await;
    let res = bob.rpc("move_todo", &[("up", short.as_str())]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = ada.rpc("move_todo", &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_move_in_a_filtered_list_passes_the_task_shown_above_it() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let a = ada.added("Alpha").await;
    ada.added("Bravo").await;
    let c = ada.added("Charlie").await;
    ada.complete_todo(&ada.added("Done in between").await).await;
    let d = ada.added("Delta").await;
    ada.complete_todo(&a).await;

    // Active: Bravo, Charlie, Delta. Delta up passes Charlie (not only the done task).
    let short = short_task_id(&d);
    let res = ada
        .rpc("move_todo", &[("up", short.as_str()), ("filter", "active")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page: seamless::domain::TodoPage<seamless::domain::TaskRow> =
        ok_json(ada.rpc("list_todos", &[("filter", "active")]).await).await;
    let titles: Vec<&str> = page.todos.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["Bravo", "Delta", "Charlie"]);
    let _ = c;
}

#[tokio::test]
async fn the_order_after_many_moves_is_the_order_the_moves_make() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let mut model: Vec<(String, String)> = Vec::new();
    for i in 0..12 {
        let title = format!("Task {i:02}");
        model.push((ada.added(&title).await, title));
    }
    // A fixed sequence of moves (a small linear congruential generator), many of them into
    // the same places, which is where ranks grow.
    let mut seed: u64 = 7;
    for round in 0..150 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = (seed >> 33) as usize % model.len();
        let up = round % 3 != 0;
        let id = model[at].0.clone();
        moved(&ada, if up { "up" } else { "down" }, &id).await;
        if up && at > 0 {
            model.swap(at, at - 1);
        } else if !up && at + 1 < model.len() {
            model.swap(at, at + 1);
        }
    }
    let expected: Vec<&str> = model.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(ada.titles().await, expected);
    // And through the API, by `position`, page by page.
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let all = every_page(&api, &token, "/api/v1/todos?limit=5").await;
    let titles: Vec<&str> = all.iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, expected);
    let positions: Vec<&str> = all
        .iter()
        .map(|t| t["position"].as_str().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
}

/// Every task of every page from `first`, following `Link: rel="next"`.
async fn every_page(api: &ApiClient, token: &str, first: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(url) = next {
        let res = api.get(&url, Some(token)).await;
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        next = res
            .headers()
            .get(header::LINK)
            .map(|l| l.to_str().unwrap().to_owned())
            .map(|l| {
                l.trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_owned()
            });
        let page: Vec<Value> = res.json().await.unwrap();
        all.extend(page);
        assert!(all.len() <= 100, "the pages end");
    }
    all
}

#[tokio::test]
async fn lists_sorted_by_due_date_or_newest_page_through_every_task_once() {
    let app = TestApp::spawn().await;
    app.signed_up_client(ADA).await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let dues = [
        Some("2027-03-01"),
        None,
        Some("2026-12-24"),
        Some("2027-03-01"),
        None,
        Some("2026-12-31"),
        None,
    ];
    let mut made: Vec<Todo> = Vec::new();
    for (i, due) in dues.iter().enumerate() {
        let res = api
            .post(
                "/api/v1/todos",
                Some(&token),
                &json!({ "title": format!("Task {i}"), "due_on": due }),
            )
            .await;
        made.push(json_of(res, StatusCode::CREATED).await);
    }
    let titles = |all: &[Value]| -> Vec<String> {
        all.iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect()
    };
    // Soonest first, the same day in the order they were made, undated last.
    let due = every_page(&api, &token, "/api/v1/todos?sort=due&limit=2").await;
    assert_eq!(
        titles(&due),
        ["Task 2", "Task 5", "Task 0", "Task 3", "Task 1", "Task 4", "Task 6"]
    );
    let newest = every_page(&api, &token, "/api/v1/todos?sort=newest&limit=3").await;
    assert_eq!(
        titles(&newest),
        ["Task 6", "Task 5", "Task 4", "Task 3", "Task 2", "Task 1", "Task 0"]
    );

    // The cursor says where its task sat, so the next page is right even once that task is
    // gone (a client deleting as it reads).
    let res = api
        .get("/api/v1/todos?sort=due&limit=3", Some(&token))
        .await;
    let link = res.headers()[header::LINK].to_str().unwrap().to_owned();
    assert!(link.contains("&sort=due"), "{link}");
    let first: Vec<Value> = res.json().await.unwrap();
    let last_id = first[2]["id"].as_str().unwrap();
    assert!(
        link.contains(&format!("after={last_id}~2027-03-01")),
        "{link}"
    );
    api.delete_todo(&token, last_id).await;
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let rest: Vec<Value> = ok_json(api.get(next, Some(&token)).await).await;
    assert_eq!(titles(&rest), ["Task 3", "Task 1", "Task 4"]);
    // The same in the person's own order.
    let res = api.get("/api/v1/todos?limit=2", Some(&token)).await;
    let link = res.headers()[header::LINK].to_str().unwrap().to_owned();
    let page: Vec<Value> = res.json().await.unwrap();
    api.delete_todo(&token, page[1]["id"].as_str().unwrap())
        .await;
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let rest: Vec<Value> = ok_json(api.get(next, Some(&token)).await).await;
    // Task 0 went above; Task 1 and Task 2 were the page, and Task 2 is gone.
    assert_eq!(titles(&page)[0], "Task 1");
    assert_eq!(titles(&rest)[0], "Task 3");

    // An unknown order is a clear error, on the page and in the API.
    let (status, body) = error_of(api.get("/api/v1/todos?sort=title", Some(&token)).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("sort_unknown"));
    let ada = app.client();
    ada.login(ADA, PASSWORD).await;
    let html = ada.get("/todos?sort=title").await.text().await.unwrap();
    assert!(html.contains("Sort by your order, the due date or the newest first."));
    // The page in each order: its links keep it.
    let html = ada.get("/todos?sort=due").await.text().await.unwrap();
    assert!(
        html.contains(r#"<a href="?sort=due" aria-current="page">Due date</a>"#),
        "{html}"
    );
    assert!(
        !html.contains(r#"aria-labelledby="U "#),
        "no moves outside the person's order"
    );
}

#[tokio::test]
async fn an_api_client_may_place_a_task_by_its_position() {
    let app = TestApp::spawn().await;
    app.signed_up_client(ADA).await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let a = api.created(&token, "Alpha").await;
    let b = api.created(&token, "Bravo").await;
    assert!(a.position < b.position, "{} {}", a.position, b.position);
    let patch = TodoPatch {
        position: Some("0"),
        ..TodoPatch::default()
    };
    let moved = api.updated(&token, &b.id, &patch).await;
    assert_eq!(moved.position, "0");
    let list = api.todos(&token).await;
    assert_eq!(list[0].title, "Bravo");
    for bad in ["", "ABC", "a b", &"z".repeat(65)] {
        let patch = TodoPatch {
            position: Some(bad),
            ..TodoPatch::default()
        };
        let (status, body) = error_of(api.update_todo(&token, &a.id, &patch).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert_eq!(body.field.as_deref(), Some("position"));
    }
}

#[tokio::test]
async fn a_task_dragged_next_to_another_goes_there_and_nowhere_else() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let bob = app.signed_up_client("bob@example.com").await;
    let mut ids = Vec::new();
    for title in ["Alpha", "Bravo", "Charlie", "Delta"] {
        ids.push(short_task_id(&ada.added(title).await));
    }
    let place = |id: &str, side: &'static str, other: &str| {
        let (ada, id, other) = (&ada, id.to_owned(), other.to_owned());
        async move {
            ada.rpc("place_todo", &[("id", id.as_str()), (side, other.as_str())])
                .await
                .status()
        }
    };
    assert_eq!(place(&ids[3], "before", &ids[1]).await, StatusCode::OK);
    assert_eq!(ada.titles().await, ["Alpha", "Delta", "Bravo", "Charlie"]);
    assert_eq!(place(&ids[0], "after", &ids[2]).await, StatusCode::OK);
    assert_eq!(ada.titles().await, ["Delta", "Bravo", "Charlie", "Alpha"]);
    // To the very top, and back between two.
    assert_eq!(place(&ids[0], "before", &ids[3]).await, StatusCode::OK);
    assert_eq!(ada.titles().await, ["Alpha", "Delta", "Bravo", "Charlie"]);
    assert_eq!(place(&ids[2], "after", &ids[3]).await, StatusCode::OK);
    assert_eq!(ada.titles().await, ["Alpha", "Delta", "Charlie", "Bravo"]);
    // Next to itself: nothing moves.
    assert_eq!(place(&ids[1], "before", &ids[1]).await, StatusCode::OK);
    assert_eq!(ada.titles().await, ["Alpha", "Delta", "Charlie", "Bravo"]);

    // Next to someone else's task, or none: not found, and nothing moves.
    let bobs = short_task_id(&bob.added("Bob's").await);
    assert_eq!(place(&ids[1], "before", &bobs).await, StatusCode::NOT_FOUND);
    assert_eq!(place(&bobs, "before", &ids[1]).await, StatusCode::NOT_FOUND);
    assert_eq!(place(&ids[1], "after", "nope").await, StatusCode::NOT_FOUND);
    let res = ada.rpc("place_todo", &[("id", ids[1].as_str())]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(ada.titles().await, ["Alpha", "Delta", "Charlie", "Bravo"]);
    assert_eq!(bob.titles().await, ["Bob's"]);

    // A drop the server refuses (the other task is gone by now) is said on the page, where the
    // page's script shows it (the address of a refused post, as without JavaScript).
    let res = ada
        .post_form("place_todo", &[("id", ids[1].as_str()), ("before", "nope")])
        .await;
    let back = location(&res).unwrap_or_default();
    assert!(back.contains("__path=%2Frpc%2Fplace_todo"), "{back}");
    let page = ada
        .get(back.trim_start_matches(&app.address))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"role="alert""#),
        "the refusal shows: {page}"
    );
}

#[tokio::test]
async fn ranks_that_grow_long_are_written_anew_and_the_order_stays() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client(ADA).await;
    let mut ids = Vec::new();
    for title in ["Alpha", "Bravo", "Charlie", "Delta"] {
        ids.push(short_task_id(&ada.added(title).await));
    }
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let positions = || async {
        every_page(&api, &token, "/api/v1/todos")
            .await
            .iter()
            .map(|t| t["position"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    let longest = |positions: &[String]| positions.iter().map(String::len).max().unwrap_or(0);
    // Alpha and Bravo take turns just above Charlie: each drop halves the same gap, where
    // ranks grow (a digit every few drops).
    let mut grew = 0;
    let mut renumbered = false;
    for round in 0..300 {
        let id = &ids[round % 2];
        let res = ada
            .rpc(
                "place_todo",
                &[("id", id.as_str()), ("before", ids[2].as_str())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let now = longest(&positions().await);
        assert!(now <= seamless::domain::RANK_LONGEST + 1, "{now} digits");
        renumbered |= now < grew;
        grew = now;
    }
    assert!(renumbered, "written anew at least once");
    // 300 drops: Bravo went last, so it is just above Charlie, with Alpha above it.
    assert_eq!(ada.titles().await, ["Alpha", "Bravo", "Charlie", "Delta"]);
    let positions = positions().await;
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}
