//! A real server on a random port with a fresh SQLite file, and HTTP clients that keep
//! cookies the way a browser does. One helper per server function.

use std::{collections::HashMap, sync::Arc};

use reqwest::{cookie::CookieStore, header, redirect, Response, StatusCode};
use seamless::server::{config::Settings, db::Db, startup::Application};
use serde_json::Value;
use tempfile::TempDir;

pub const PASSWORD: &str = "violet staple orbit canyon";

pub struct TestApp {
    pub address: String,
    pub db: Db,
    /// Keeps the data directory alive for the test's duration.
    pub _dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Starts the app with extra environment settings, e.g. `("SESSION_TOUCH_INTERVAL", "0s")`.
    pub async fn spawn_with(env: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut vars: HashMap<String, String> = HashMap::from([
            ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
            (
                "APP_DATA_DIR".into(),
                dir.path().to_string_lossy().into_owned(),
            ),
            ("LOG_ACCESS".into(), "false".into()),
            ("LEPTOS_HASH_FILES".into(), "false".into()),
        ]);
        for (k, v) in env {
            vars.insert((*k).into(), (*v).into());
        }
        let settings = Settings::from_toml("", &vars).expect("settings");
        let app = Application::build(settings).await.expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.state().db.clone();
        tokio::spawn(app.run_until(std::future::pending()));
        TestApp {
            address,
            db,
            _dir: dir,
        }
    }

    /// A new browser: its own cookie jar.
    pub fn client(&self) -> TestClient {
        TestClient::new(&self.address)
    }

    /// A browser with a freshly signed-up account.
    pub async fn signed_up_client(&self, email: &str) -> TestClient {
        let client = self.client();
        let res = client.signup("Test User", email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "sign-up should succeed");
        client
    }

    /// Starts the app with environment given as owned pairs (e.g. from the OAuth stand-in).
    pub async fn spawn_with_owned(env: &[(String, String)]) -> TestApp {
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Self::spawn_with(&pairs).await
    }

    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "select count(*) as n from {table}"
        )))
        .fetch_one(&self.db)
        .await
        .expect("count")
        .try_get::<i64, _>("n")
        .expect("n")
    }

    pub async fn session_count(&self) -> i64 {
        use sqlx::Row;
        sqlx::query("select count(*) as n from sessions")
            .fetch_one(&self.db)
            .await
            .expect("count sessions")
            .try_get::<i64, _>("n")
            .expect("n")
    }
}

pub struct TestClient {
    pub base: String,
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl TestClient {
    pub fn new(base: &str) -> TestClient {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .build()
            .expect("client");
        TestClient {
            base: base.to_owned(),
            http,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The cookie header this browser would send.
    pub fn cookies(&self) -> Option<String> {
        let url: reqwest::Url = self.base.parse().expect("url");
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().expect("ascii").to_owned())
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookies()?
            .split("; ")
            .find(|c| c.starts_with("seamless_session="))
            .map(str::to_owned)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .header(header::ACCEPT, "text/html")
            .send()
            .await
            .expect("GET")
    }

    /// Calls a server function the way the hydrated page does (fetch, same origin).
    pub async fn rpc(&self, name: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(&format!("/rpc/{name}")))
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Posts a form the way a browser without JavaScript does.
    pub async fn post_form(&self, name: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(&format!("/rpc/{name}")))
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, self.url("/todos"))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    pub async fn signup(&self, name: &str, email: &str, password: &str) -> Response {
        self.rpc(
            "signup",
            &[("name", name), ("email", email), ("password", password)],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.rpc("login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn logout(&self) -> Response {
        self.rpc("logout", &[]).await
    }

    pub async fn list_todos(&self) -> Response {
        self.rpc("list_todos", &[]).await
    }

    pub async fn add_todo(&self, title: &str) -> Response {
        self.rpc("add_todo", &[("title", title)]).await
    }

    /// Adds a task and returns its id.
    pub async fn added(&self, title: &str) -> String {
        let res = self.add_todo(title).await;
        assert_eq!(res.status(), StatusCode::OK);
        let todo: Value = res.json().await.expect("json");
        todo["id"].as_str().expect("id").to_owned()
    }

    pub async fn toggle_todo(&self, id: &str, completed: bool) -> Response {
        self.rpc(
            "toggle_todo",
            &[
                ("id", id),
                ("completed", if completed { "true" } else { "false" }),
            ],
        )
        .await
    }

    pub async fn rename_todo(&self, id: &str, title: &str) -> Response {
        self.rpc("rename_todo", &[("id", id), ("title", title)])
            .await
    }

    pub async fn delete_todo(&self, id: &str) -> Response {
        self.rpc("delete_todo", &[("id", id)]).await
    }

    /// The titles of this user's tasks, as the server function lists them.
    pub async fn titles(&self) -> Vec<String> {
        let res = self.list_todos().await;
        assert_eq!(res.status(), StatusCode::OK);
        let list: Vec<Value> = res.json().await.expect("json");
        list.iter()
            .map(|t| t["title"].as_str().expect("title").to_owned())
            .collect()
    }
}

/// The JSON error body of a failed server function call.
pub async fn error_of(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let body: Value = res.json().await.expect("error body is JSON");
    (status, body)
}

/// The `Set-Cookie` header for the session, if the response has one.
pub fn session_set_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("seamless_session="))
        .map(str::to_owned)
}

pub fn location(res: &Response) -> Option<String> {
    res.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
