use std::sync::Arc;

use reqwest::StatusCode;
use seamless::domain::Todo;

use crate::helpers::*;

#[tokio::test]
async fn the_task_list_arrives_in_the_first_html_response() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    browser.added("Buy milk").await;
    browser.added("Call Bob").await;

    let res = browser.get("/todos").await;

    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let milk = html
        .find("Buy milk")
        .expect("first task rendered on the server");
    let bob = html
        .find("Call Bob")
        .expect("second task rendered on the server");
    assert!(milk < bob, "oldest first");
    assert!(!html.contains("No tasks yet"));
    assert!(
        !html.contains("Loading your tasks"),
        "no loading state in the first paint"
    );
}

#[tokio::test]
async fn an_empty_list_says_so() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;

    let html = browser.get("/todos").await.text().await.unwrap();

    assert!(html.contains("No tasks yet"));
}

#[tokio::test]
async fn titles_are_shown_escaped_never_as_markup() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    browser
        .added("<img src=x onerror=alert(1)> & <b>bold</b>")
        .await;

    let html = browser.get("/todos").await.text().await.unwrap();

    assert!(
        !html.contains("<img src=x"),
        "markup in a title must not reach the page as HTML"
    );
    assert!(!html.contains("<b>bold</b>"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

/// The page's list comes from the database as one JSON array (`db::todos::board`): titles
/// with what JSON escapes (quotes, backslashes, non-ASCII) arrive as typed, in order, each with
/// its own state, on SQLite and on PostgreSQL.
#[tokio::test]
async fn titles_with_quotes_backslashes_and_emoji_come_back_as_typed_with_their_state() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let titles = [
        r#"Say "hello" to \\server\share"#,
        r"Café 🎉 naïve \u0041",
        "[\"not\", \"json\"], {}",
    ];
    let mut ids = Vec::new();
    for title in titles {
        ids.push(browser.added(title).await);
    }
    browser.toggle_todo(&ids[1], true).await;

    let html = browser.get("/todos").await.text().await.unwrap();
    let rows: Vec<&str> = html.split("<li>").skip(1).collect();
    assert_eq!(rows.len(), 3, "{html}");
    let shown = |title: &str| title.replace('&', "&amp;").replace('"', "&quot;");
    for (i, (row, title)) in rows.iter().zip(titles).enumerate() {
        let text = row.split("</button>").next().unwrap_or_default();
        let text = &text[text.find('>').map_or(0, |at| at + 1)..];
        assert!(
            text == title || text == shown(title),
            "task {i}: {text:?} shown for {title:?}"
        );
        let checked = if i == 1 { "true" } else { "false" };
        assert!(
            row.contains(&format!(r#"aria-checked="{checked}""#)),
            "task {i}: {row}"
        );
    }
    assert!(html.contains("2 left"));

    // The JSON API writes them as they were typed too.
    let api = ApiClient::new(&app);
    let token = api.tokens("ada@example.com").await.access_token;
    let list = api.todos(&token).await;
    let listed: Vec<(&str, bool)> = list
        .iter()
        .map(|t| (t.title.as_str(), t.completed))
        .collect();
    assert_eq!(
        listed,
        [(titles[0], false), (titles[1], true), (titles[2], false)]
    );
}

/// "N left" comes from counts kept with the writes (`todo_counts`): the same change made many
/// times at once counts once, and every add, completion, reopening, rename and delete keeps
/// them equal to the list itself.
#[tokio::test]
async fn the_counts_stay_true_through_repeated_and_concurrent_changes() {
    let app = TestApp::spawn().await;
    let browser = Arc::new(app.signed_up_client("ada@example.com").await);
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(browser.added(&format!("Task {i}")).await);
    }

    let mut changes = tokio::task::JoinSet::new();
    for _ in 0..8 {
        for (id, done) in [(ids[0].clone(), true), (ids[1].clone(), false)] {
            let browser = browser.clone();
            changes.spawn(async move { browser.toggle_todo(&id, done).await.status() });
        }
    }
    while let Some(status) = changes.join_next().await {
        assert_eq!(status.expect("no request failed"), StatusCode::OK);
    }
    for done in [true, false, true] {
        browser.toggle_todo(&ids[2], done).await;
    }
    browser.delete_todo(&ids[2]).await;
    browser.delete_todo(&ids[3]).await;
    browser.rename_todo(&ids[0], "Renamed").await;

    // Left: Task 0 (done, renamed), Task 1, Task 4, Task 5.
    let page = browser.todo_page().await;
    assert_eq!(page.total, 4, "{page:?}");
    assert_eq!(page.open, 3, "{page:?}");
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(html.contains("3 left"), "{html}");
    for id in &ids[4..] {
        browser.toggle_todo(id, true).await;
    }
    browser.toggle_todo(&ids[1], true).await;
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(html.contains("All done"));
}

/// An install from before the counts were kept: the migration that adds them counts the tasks
/// already there, per person.
#[tokio::test]
async fn upgrading_counts_the_tasks_already_there() {
    let user = |id: &str| {
        format!(
            "insert into users (id, email, name, created_at, updated_at) \
             values ('{id}', '{id}@example.com', '{id}', '2026-01-01T00:00:00.000000Z', \
                     '2026-01-01T00:00:00.000000Z')"
        )
    };
    let task = |id: &str, user: &str, done: bool| {
        let completed = if done {
            "'2026-01-02T00:00:00.000000Z'"
        } else {
            "null"
        };
        format!(
            "insert into todos (id, user_id, title, completed_at, created_at, updated_at) \
             values ('{id}', '{user}', 'A task', {completed}, '2026-01-01T00:00:00.000000Z', \
                     '2026-01-01T00:00:00.000000Z')"
        )
    };
    let seed = [
        user("ada"),
        user("bob"),
        user("cy"),
        task("t1", "ada", false),
        task("t2", "ada", true),
        task("t3", "ada", true),
        task("t4", "bob", false),
    ];
    let app = TestApp::builder()
        .upgrading_from(20261201000006, seed)
        .spawn()
        .await;

    let counts = |user: &'static str| {
        let db = app.db.clone();
        async move {
            let row = seamless::server::db::query(
                "select total, done from todo_counts where user_id = $1",
            )
            .bind(user)
            .fetch_optional(db.read())
            .await
            .expect("query");
            row.map(|row| {
                use sqlx::Row;
                (row.get::<i64, _>("total"), row.get::<i64, _>("done"))
            })
        }
    };
    assert_eq!(counts("ada").await, Some((3, 2)));
    assert_eq!(counts("bob").await, Some((1, 0)));
    assert_eq!(counts("cy").await, None, "no tasks, no row (read as zero)");
}

#[tokio::test]
async fn a_task_can_be_added_completed_renamed_and_deleted() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;

    let res = browser.add_todo("  Water the plants  ").await;
    assert_eq!(res.status(), StatusCode::OK);
    let todo: Todo = res.json().await.unwrap();
    assert_eq!(todo.title, "Water the plants", "titles are trimmed");
    assert!(!todo.completed);
    let id = todo.id;

    let done: Todo = ok_json(browser.complete_todo(&id).await).await;
    assert!(done.completed);
    let again: Todo = ok_json(browser.complete_todo(&id).await).await;
    assert!(again.completed, "marking done twice keeps it done");

    let res = browser.rename_todo(&id, "Water the garden").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        location(&res),
        None,
        "a call from the page's script stays on the page (a plain form post goes to the list: below)"
    );
    assert_eq!(browser.titles().await, ["Water the garden"]);

    let undone: Todo = ok_json(browser.reopen_todo(&id).await).await;
    assert!(!undone.completed);

    assert_eq!(browser.delete_todo(&id).await.status(), StatusCode::OK);
    assert!(browser.titles().await.is_empty());
    assert_eq!(
        browser.delete_todo(&id).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn titles_must_have_1_to_200_characters() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let id = browser.added("Keep me").await;

    for bad in ["", "   ", &"x".repeat(201)] {
        let (status, body) = error_of(browser.add_todo(bad).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
        assert_eq!(body.field.as_deref(), Some("title"));
        let (status, _) = error_of(browser.rename_todo(&id, bad).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        browser.add_todo(&"é".repeat(200)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        browser.titles().await[0],
        "Keep me",
        "a refused rename changes nothing"
    );
}

#[tokio::test]
async fn another_users_task_is_not_found_for_every_operation() {
    let app = TestApp::spawn().await;
    let ada = app.signed_up_client("ada@example.com").await;
    let eve = app.signed_up_client("eve@example.com").await;
    let id = ada.added("Ada's private task").await;

    assert!(
        eve.titles().await.is_empty(),
        "lists hold only your own tasks"
    );
    assert_eq!(
        eve.toggle_todo(&id, true).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        eve.rename_todo(&id, "pwned").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(eve.delete_todo(&id).await.status(), StatusCode::NOT_FOUND);
    let eve_page = eve.get("/todos").await.text().await.unwrap();
    assert!(!eve_page.contains("Ada&#x27;s private task") && !eve_page.contains("private task"));

    let list = ada.todo_page().await.todos;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].title, "Ada's private task");
    assert!(!list[0].completed);
}

#[tokio::test]
async fn malformed_task_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;

    for id in ["", "1", "' or '1'='1", "../../etc/passwd"] {
        assert_eq!(
            browser.delete_todo(id).await.status(),
            StatusCode::NOT_FOUND,
            "{id}"
        );
    }
}

#[tokio::test]
async fn signed_out_callers_get_401_from_every_task_function() {
    let app = TestApp::spawn().await;
    let owner = app.signed_up_client("ada@example.com").await;
    let id = owner.added("Mine").await;
    let stranger = app.client();

    assert_eq!(
        stranger.list_todos().await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        stranger.add_todo("x").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        stranger.toggle_todo(&id, true).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        stranger.rename_todo(&id, "x").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        stranger.delete_todo(&id).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(owner.titles().await, ["Mine"]);
}

#[tokio::test]
async fn task_forms_work_without_javascript() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;

    let res = browser
        .post_form("add_todo", &[("title", "Plain HTML")])
        .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        location(&res).as_deref(),
        Some(format!("{}/todos", app.address).as_str())
    );
    let id = browser.todo_page().await.todos[0].id.clone();

    let res = browser.post_form("complete_todo", &[("id", &id)]).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let res = browser
        .post_form("rename_todo", &[("id", &id), ("title", "Still plain")])
        .await;
    assert_eq!(location(&res).as_deref(), Some("/todos"));
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(html.contains("Still plain"));
    assert!(
        html.contains(r#"aria-checked="true""#),
        "the task shows as done"
    );

    let bad = browser.post_form("add_todo", &[("title", "  ")]).await;
    let back = location(&bad).unwrap();
    assert!(back.contains("__err="), "{back}");
    let page = browser
        .get(back.trim_start_matches(&app.address))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"role="alert""#) && page.contains("Give the task a title."),
        "the error shows on the page"
    );
}

#[tokio::test]
async fn the_edit_form_opens_from_the_url_without_javascript() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client("ada@example.com").await;
    let id = browser.added("Rename me").await;

    let html = browser
        .get(&format!("/todos?edit={id}"))
        .await
        .text()
        .await
        .unwrap();

    assert!(html.contains("Edit task"), "the edit field's label");
    assert!(html.contains(r#"value="Rename me""#));
    assert!(html.contains(">Save<"));
}

/// Many people writing at once: every write lands, once, for its owner, while reads go on
/// beside them. (On SQLite the writes queue for the one write connection; a write that waited
/// for that connection while holding it would time out here.)
#[tokio::test]
async fn concurrent_writes_from_many_people_all_land() {
    let app = TestApp::spawn().await;
    let mut people = Vec::new();
    for n in 0..4 {
        people.push(Arc::new(
            app.signed_up_client(&format!("writer{n}@example.com"))
                .await,
        ));
    }

    let mut tasks = tokio::task::JoinSet::new();
    for (n, person) in people.iter().enumerate() {
        for k in 0..8 {
            let person = person.clone();
            tasks.spawn(async move {
                let res = person.add_todo(&format!("task {n}-{k}")).await;
                assert_eq!(res.status(), StatusCode::OK, "add {n}-{k}");
                let res = person.list_todos().await;
                assert_eq!(res.status(), StatusCode::OK, "list after {n}-{k}");
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("no request failed");
    }

    for (n, person) in people.iter().enumerate() {
        let mut titles = person.titles().await;
        titles.sort();
        let expected: Vec<String> = (0..8).map(|k| format!("task {n}-{k}")).collect();
        assert_eq!(
            titles, expected,
            "person {n} has their 8 tasks and no one else's"
        );
    }
}

#[tokio::test]
async fn a_person_may_keep_as_many_tasks_as_configured_and_one_more_is_refused_with_a_message() {
    let app = TestApp::builder()
        .env("TASKS_MAX_PER_USER", "5")
        .spawn()
        .await;
    let ada = app.signed_up_client("ada@example.com").await;
    let bob = app.signed_up_client("bob@example.com").await;
    let api = ApiClient::new(&app);
    let token = api.tokens("ada@example.com").await.access_token;

    // Ten at once through the API: exactly five are kept, the others refused, none lost.
    let creates = (0..10).map(|i| {
        let (api, token) = (&api, &token);
        async move { api.create_todo(token, &format!("Task {i}")).await.status() }
    });
    let statuses = futures::future::join_all(creates).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 5, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    assert_eq!(ada.todo_page().await.total, 5);
    let (status, body) = error_of(api.create_todo(&token, "One more").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body.key.as_deref(), Some("too_many_tasks"));
    // The page's form says so too; another person is not limited by Ada's tasks.
    let (_, body) = error_of(ada.add_todo("One more").await).await;
    assert_eq!(
        body.message,
        "You have as many tasks as one person may keep. Delete some to add more."
    );
    assert_eq!(ada.todo_page().await.total, 5, "nothing was added");
    bob.added("Bob's first").await;

    let first = ada.todo_page().await.todos[0].id.clone();
    ada.delete_todo(&first).await;
    assert_eq!(ada.add_todo("Room again").await.status(), StatusCode::OK);
}
