//! Due dates: a day with no time, in the JSON API (`due_on`) and on the task page, where it is
//! named by the person's own day ("Today", "Tomorrow", "Overdue: …"), in the time zone their
//! browser keeps in the `tz` cookie.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use seamless::domain::{today_in, Todo};

const ADA: &str = "ada@example.com";

#[tokio::test]
async fn a_due_date_is_a_day_set_changed_and_removed_through_the_api() {
    let app = TestApp::spawn().await;
    app.signed_up_client(ADA).await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;

    let res = api
        .post(
            "/api/v1/todos",
            Some(&token),
            &json!({ "title": "Pay rent", "due_on": "2026-12-31" }),
        )
        .await;
    let todo: Todo = json_of(res, StatusCode::CREATED).await;
    assert_eq!(todo.due_on.as_deref(), Some("2026-12-31"));
    assert_eq!(
        api.todo(&token, &todo.id).await.due_on.as_deref(),
        Some("2026-12-31")
    );

    // Not a day: a 422 that names the field, and nothing changes or is made.
    for bad in ["2027-02-29", "31/12/2026", "2026-12-31T09:00:00Z", "soon"] {
        let res = api
            .post(
                "/api/v1/todos",
                Some(&token),
                &json!({ "title": "Never", "due_on": bad }),
            )
            .await;
        let (status, body) = error_of(res).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(
            (body.key.as_deref(), body.field.as_deref()),
            (Some("due_invalid"), Some("due_on"))
        );
        let patch = TodoPatch {
            due_on: Some(Some(bad)),
            ..TodoPatch::default()
        };
        let (status, _) = error_of(api.update_todo(&token, &todo.id, &patch).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(app.count("todos").await, 1);

    let moved = TodoPatch {
        due_on: Some(Some("2027-01-04")),
        ..TodoPatch::default()
    };
    let changed = api.updated(&token, &todo.id, &moved).await;
    assert_eq!(changed.due_on.as_deref(), Some("2027-01-04"));
    // Changing another field keeps it; null removes it.
    let renamed = TodoPatch {
        title: Some("Pay the rent"),
        ..TodoPatch::default()
    };
    assert_eq!(
        api.updated(&token, &todo.id, &renamed)
            .await
            .due_on
            .as_deref(),
        Some("2027-01-04")
    );
    let removed = TodoPatch {
        due_on: Some(None),
        ..TodoPatch::default()
    };
    assert_eq!(api.updated(&token, &todo.id, &removed).await.due_on, None);
    let list = api.todos(&token).await;
    assert_eq!(list[0].due_on, None);
}

#[tokio::test]
async fn the_page_names_a_due_date_by_the_persons_own_day() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client(ADA).await;
    // Kiritimati (UTC+14) is always a day ahead of Pago Pago (UTC-11).
    let kiritimati = today_in(Some("Pacific/Kiritimati"));
    let id = browser.added("Call the bank").await;
    let res = browser.edit_todo(&id, "Call the bank", "Before noon").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = browser
        .edit_todo_due(&id, "Call the bank", &kiritimati.to_string())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let late = browser.added("Renew passport").await;
    let yesterday = kiritimati.previous_day().unwrap();
    browser
        .edit_todo_due(&late, "Renew passport", &yesterday.to_string())
        .await;

    let url: reqwest::Url = browser.base.parse().unwrap();
    browser
        .jar
        .add_cookie_str("tz=Pacific/Kiritimati; Path=/", &url);
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"<time datetime="{kiritimati}">Today</time>"#)),
        "{html}"
    );
    assert!(
        html.contains(r#"data-late="""#),
        "overdue is marked: {html}"
    );
    assert!(html.contains(">Overdue: "));

    browser
        .jar
        .add_cookie_str("tz=Pacific/Pago_Pago; Path=/", &url);
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(html.contains(&format!(r#"<time datetime="{kiritimati}">Tomorrow</time>"#)));
    assert!(html.contains(&format!(r#"<time datetime="{yesterday}">Today</time>"#)));
    assert!(!html.contains("Overdue"));

    // Done, it is not overdue any more; a time zone that is not one is read as UTC.
    browser.complete_todo(&late).await;
    browser.jar.add_cookie_str("tz=Mars/Olympus; Path=/", &url);
    let res = browser.get("/todos").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.text().await.unwrap().contains("Overdue"));

    // The edit form shows the date in its "Due" field; a blank one removes it, a bad one is
    // refused with a message and changes nothing.
    let short = seamless::domain::short_task_id(&id);
    let html = browser
        .get(&format!("/todos?edit={short}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!(
        r#"type="date" name="due_on" value="{kiritimati}""#
    )));
    assert!(html.contains(">Due</label>"));
    let (status, body) = error_of(
        browser
            .edit_todo_due(&id, "Call the bank", "2026-02-30")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body.key.as_deref(), Some("due_invalid"));
    let rows = browser.todo_page().await.todos;
    assert_eq!(rows[0].due_on, Some(kiritimati.to_string()));
    // The whole form, as the page posts it: blank fields remove the notes and the date.
    let version = rows[0].version.to_string();
    let form = [
        ("id", short.as_str()),
        ("title", "Call the bank"),
        ("description", ""),
        ("due_on", ""),
        ("version", &version),
    ];
    let res = browser.rpc("rename_todo", &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = &browser.todo_page().await.todos[0];
    assert_eq!(
        (row.due_on.as_deref(), row.description.as_deref()),
        (None, None)
    );
}

#[tokio::test]
async fn a_time_zone_chosen_on_the_account_page_names_the_days_without_javascript() {
    let app = TestApp::spawn().await;
    let browser = app.signed_up_client(ADA).await;
    let kiritimati = today_in(Some("Pacific/Kiritimati"));
    let id = browser.added("Call the bank").await;
    browser
        .edit_todo_due(&id, "Call the bank", &kiritimati.to_string())
        .await;

    // By default, the browser's (none here: no script ran, so UTC) is used.
    let page = browser.get("/account").await.text().await.unwrap();
    assert!(
        page.contains(r#"<label for="time-zone">Time zone</label>"#),
        "{page}"
    );
    assert!(page.contains(r#"<option value="" selected>Your browser’s</option>"#));
    assert!(page.contains("<option>Europe/Paris</option>"));
    assert!(!page.contains("<option>EST5EDT</option>"), "not a place");

    let res = browser
        .post_form_from(
            "/account",
            "set_time_zone",
            &[("time_zone", "Pacific/Kiritimati")],
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/account?done=time_zone"));
    let page = browser
        .get("/account?done=time_zone")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your time zone is saved."));
    assert!(page.contains("<option selected>Pacific/Kiritimati</option>"));
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"<time datetime="{kiritimati}">Today</time>"#)),
        "{html}"
    );
    // Chosen, it holds whatever the browser says.
    let url: reqwest::Url = browser.base.parse().unwrap();
    browser
        .jar
        .add_cookie_str("tz=Pacific/Pago_Pago; Path=/", &url);
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(html.contains(&format!(r#"<time datetime="{kiritimati}">Today</time>"#)));

    // Not a time zone: a message, and the choice stays.
    for bad in ["Mars/Olympus", "Europe/Paris/../../etc"] {
        let (status, body) =
            error_of(browser.rpc("set_time_zone", &[("time_zone", bad)]).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body.message, "Choose a time zone from the list.");
    }
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(html.contains(&format!(r#"<time datetime="{kiritimati}">Today</time>"#)));
    // Back to the browser's.
    browser.rpc("set_time_zone", &[("time_zone", "")]).await;
    let html = browser.get("/todos").await.text().await.unwrap();
    assert!(html.contains(&format!(r#"<time datetime="{kiritimati}">Tomorrow</time>"#)));
}
