//! Stale edits: a change made to a version of a task that has changed since is refused (412,
//! or the page's message), and the newer change stays. The API says each task's version in its
//! `ETag` and takes it back in `If-Match`; the task page's edit form carries it.

use reqwest::{header, StatusCode};

use crate::helpers::*;
use seamless::domain::Todo;

const ADA: &str = "ada@example.com";

fn etag(res: &reqwest::Response) -> String {
    res.headers()[header::ETAG].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_api_refuses_a_change_or_delete_made_to_an_old_version() {
    let app = TestApp::spawn().await;
    app.signed_up_client(ADA).await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let res = api.create_todo(&token, "Buy milk").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let first = etag(&res);
    let todo: Todo = res.json().await.unwrap();
    assert_eq!(
        api.get_todo(&token, &todo.id).await.headers()[header::ETAG],
        first.as_str()
    );

    // Two clients read version 1; the first to change it wins.
    let mine = TodoPatch {
        title: Some("Buy oat milk"),
        ..TodoPatch::default()
    };
    let res = api
        .update_todo_if(&token, &todo.id, &mine, Some(&first))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = etag(&res);
    assert_ne!(second, first, "a change makes a new version");
    let theirs = TodoPatch {
        title: Some("Buy soy milk"),
        completed: Some(true),
        ..TodoPatch::default()
    };
    let (status, body) = error_of(
        api.update_todo_if(&token, &todo.id, &theirs, Some(&first))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(body.error, "precondition_failed");
    assert_eq!(body.key.as_deref(), Some("task_changed"));
    let kept = api.todo(&token, &todo.id).await;
    assert_eq!(
        (kept.title.as_str(), kept.completed),
        ("Buy oat milk", false)
    );
    assert_eq!(app.count("todos").await, 1);

    // A weak tag, or one that is not ours, matches no version; a list matches any of its own.
    for tag in [
        format!("W/{second}"),
        "\"x\"".to_owned(),
        "nonsense".to_owned(),
    ] {
        let res = api
            .update_todo_if(&token, &todo.id, &theirs, Some(&tag))
            .await;
        assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED, "{tag}");
    }
    let res = api
        .update_todo_if(
            &token,
            &todo.id,
            &theirs,
            Some(&format!("{first}, {second}")),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let third = etag(&res);

    // Completing makes a new version too: a delete of the version before is refused.
    let (status, _) = error_of(api.delete_todo_if(&token, &todo.id, Some(&second)).await).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(api.todos(&token).await.len(), 1, "still there");
    let res = api.delete_todo_if(&token, &todo.id, Some(&third)).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Gone: not found, whatever the tag.
    let res = api.delete_todo_if(&token, &todo.id, Some(&third)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Without If-Match, or with `*`, the change is made whatever the version.
    let other = api.created(&token, "Call Bob").await;
    let res = api
        .update_todo_if(&token, &other.id, &mine, Some("*"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        api.update_todo(&token, &other.id, &theirs).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn of_many_changes_made_at_once_to_one_version_exactly_one_is_kept() {
    let app = TestApp::spawn().await;
    app.signed_up_client(ADA).await;
    let api = ApiClient::new(&app);
    let token = api.tokens(ADA).await.access_token;
    let res = api.create_todo(&token, "Start").await;
    let tag = etag(&res);
    let todo: Todo = res.json().await.unwrap();

    let titles: Vec<String> = (0..8).map(|i| format!("Edit {i}")).collect();
    let answers = futures::future::join_all(titles.iter().map(|title| {
        let patch = TodoPatch {
            title: Some(title),
            ..TodoPatch::default()
        };
        let (api, token, id, tag) = (&api, &token, &todo.id, &tag);
        async move {
            let res = api.update_todo_if(token, id, &patch, Some(tag)).await;
            (res.status(), title.clone())
        }
    }))
    .await;
    let kept: Vec<&String> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .map(|(_, title)| title)
        .collect();
    assert_eq!(kept.len(), 1, "{answers:?}");
    assert!(answers
        .iter()
        .all(|(s, _)| *s == StatusCode::OK || *s == StatusCode::PRECONDITION_FAILED));
    assert_eq!(&api.todo(&token, &todo.id).await.title, kept[0]);
}

#[tokio::test]
async fn an_edit_form_opened_before_another_change_does_not_overwrite_it() {
    let app = TestApp::spawn().await;
    let laptop = app.signed_up_client(ADA).await;
    let id = laptop.added("Buy milk").await;
    let short = seamless::domain::short_task_id(&id);

    // The laptop opens the edit form: it carries the version it shows.
    let html = laptop
        .get(&format!("/todos?edit={short}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"<input type="hidden" name="version" value="1">"#),
        "{html}"
    );

    // Meanwhile another tab renames it.
    let res = laptop
        .edit_todo(&id, "Buy oat milk", "From the corner shop")
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // The laptop's save, made to version 1, is refused with a message; the newer change stays.
    let form = [
        ("id", short.as_str()),
        ("title", "Buy milk!"),
        ("description", ""),
        ("version", "1"),
    ];
    let (status, body) = error_of(laptop.rpc("rename_todo", &form).await).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(body.key.as_deref(), Some("task_changed"));
    let page = laptop.todo_page().await;
    assert_eq!(page.todos[0].title, "Buy oat milk");
    assert_eq!(
        page.todos[0].description.as_deref(),
        Some("From the corner shop")
    );

    // Without JavaScript: back to the edit form with the message, which now carries the
    // new version, so saving again replaces the change on purpose.
    let res = laptop
        .post_form_from(&format!("/todos?edit={short}"), "rename_todo", &form)
        .await;
    let back = location(&res).expect("back to the page");
    let back = back.trim_start_matches(app.address.as_str());
    let html = laptop.get(back).await.text().await.unwrap();
    assert!(
        html.contains("changed somewhere else after you opened it"),
        "{html}"
    );
    assert!(html.contains(r#"<input type="hidden" name="version" value="2">"#));
    let again = [
        ("id", short.as_str()),
        ("title", "Buy milk!"),
        ("description", ""),
        ("version", "2"),
    ];
    let res = laptop.rpc("rename_todo", &again).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(laptop.todo_page().await.todos[0].title, "Buy milk!");

    // Completing it elsewhere is a change too.
    laptop.complete_todo(&id).await;
    let (status, _) = error_of(laptop.rpc("rename_todo", &again).await).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
}
