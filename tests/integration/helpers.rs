//! A real server on a random port with a fresh SQLite file, and HTTP clients that keep
//! cookies the way a browser does, with a method per server function and API endpoint.

use std::{collections::HashMap, sync::Arc};

use reqwest::{cookie::CookieStore, header, redirect, Response, StatusCode};
use seamless::{
    domain::{
        AccountOverview, CurrentUser, ErrorBody, Provider, SessionRef, TaskRow, Todo, TodoPage,
    },
    server::{
        api::{Me, TokenResponse},
        config::Settings,
        db::Db,
        startup::Application,
    },
};
pub use seamless_standins::passkey::Authenticator as Passkeys;
use seamless_standins::smtp::SmtpServer;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};
use tempfile::TempDir;

/// A fixed Ed25519 seed for access tokens, so tests can forge tokens with our own key.
pub const JWT_SEED: [u8; 32] = [42; 32];

pub const PASSWORD: &str = "violet staple orbit canyon";

pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of `/metrics`, when `METRICS_ADDR` is set.
    pub metrics_address: Option<String>,
    pub db: Db,
    pub database_url: String,
    /// Keeps the data directory (and, on PostgreSQL, the test's database) alive while any
    /// instance sharing them runs.
    resources: Arc<Resources>,
}

/// The runtime every test app runs on.
pub fn server_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime")
    })
}

/// Which database the integration tests run on: SQLite unless `TEST_DATABASE=postgres`.
pub fn postgres_selected() -> bool {
    std::env::var("TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

struct Resources {
    dir: TempDir,
    /// Dropped (and with it the database) after the last instance using it.
    _postgres: Option<PgDatabase>,
}

/// A database created for one test on the PostgreSQL server, dropped when the test ends.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl PgDatabase {
    async fn create() -> (PgDatabase, String) {
        use sqlx::{Connection, Executor};
        let admin_url = postgres_admin_url();
        let name = format!("seamless_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::postgres::PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL is reachable (start it, or set TEST_POSTGRES_URL)");
        conn.execute(sqlx::AssertSqlSafe(format!("create database \"{name}\"")))
            .await
            .expect("create database");
        let mut url = reqwest::Url::parse(&admin_url).expect("admin url");
        url.set_path(&format!("/{name}"));
        (PgDatabase { admin_url, name }, url.to_string())
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Async work cannot run in `drop`; a short-lived runtime on its own thread can.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                use sqlx::{Connection, Executor};
                if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(&admin_url).await {
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!(
                            "drop database if exists \"{name}\" with (force)"
                        )))
                        .await;
                }
            })
        })
        .join();
    }
}

impl TestApp {
    /// Starts the app with nothing changed: `TestApp::builder().spawn()`.
    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    /// An app to start: on a fresh database (SQLite, or PostgreSQL when `TEST_DATABASE=postgres`)
    /// unless told otherwise, with the settings given to it.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            env: Vec::new(),
            config: String::new(),
            postgres: postgres_selected(),
            upgrading: None,
            sharing: None,
        }
    }

    /// A fresh database (SQLite, or PostgreSQL when `postgres`) and its URL.
    async fn fresh_database(postgres: bool) -> (Arc<Resources>, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let (postgres, database_url) = if postgres {
            let (db, url) = PgDatabase::create().await;
            (Some(db), url)
        } else {
            (
                None,
                format!("sqlite:{}", dir.path().join("test.db").display()),
            )
        };
        let resources = Arc::new(Resources {
            dir,
            _postgres: postgres,
        });
        (resources, database_url)
    }

    /// Leaves the database as an older version would: the migrations up to `version`, then the
    /// statements `seed` (its data).
    async fn migrate_to(database_url: &str, version: i64, seed: &[String]) {
        sqlx::any::install_default_drivers();
        let url = if database_url.starts_with("sqlite:") {
            format!("{database_url}?mode=rwc")
        } else {
            database_url.to_owned()
        };
        let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
        seamless::server::db::migrator()
            .run_to(version, &pool)
            .await
            .expect("the older migrations");
        for statement in seed {
            seamless::server::db::query(sqlx::AssertSqlSafe(statement.as_str()))
                .execute(&pool)
                .await
                .expect("seed");
        }
        pool.close().await;
    }

    async fn start(
        resources: Arc<Resources>,
        database_url: String,
        env: &[(String, String)],
        config: &str,
    ) -> TestApp {
        let mut vars: HashMap<String, String> = HashMap::from([
            ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
            (
                "APP_DATA_DIR".into(),
                resources.dir.path().to_string_lossy().into_owned(),
            ),
            ("DATABASE_URL".into(), database_url.clone()),
            ("LOG_ACCESS".into(), "false".into()),
            ("LEPTOS_HASH_FILES".into(), "false".into()),
        ]);
        for (k, v) in env {
            vars.insert(k.clone(), v.clone());
        }
        let settings = Settings::from_toml(config, &vars).expect("settings");
        // The app runs on one multi-threaded runtime shared by all tests, as it does in
        // production; each test's own runtime only drives its clients. (Rendering pages on many
        // short-lived per-test runtimes at once can strand Leptos' spawned tasks.)
        let (address, metrics_address, db) = server_runtime()
            .spawn(async move {
                let app = Application::build(settings).await.expect("app builds");
                // Opened as `localhost` when APP_URL says so (`on_localhost`, for passkeys);
                // else by address (an APP_URL of another host is only what it claims to be).
                let settings = &app.state().settings;
                let host = match settings.app_url.host_str() {
                    Some("localhost") if settings.app_url_configured => "localhost",
                    _ => "127.0.0.1",
                };
                let address = format!("http://{host}:{}", app.port());
                let metrics = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
                let db = app.state().db.clone();
                tokio::spawn(app.run_until(std::future::pending()));
                (address, metrics, db)
            })
            .await
            .expect("app starts");
        TestApp {
            address,
            metrics_address,
            db,
            database_url,
            resources,
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

    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        seamless::server::db::query(sqlx::AssertSqlSafe(format!(
            "select count(*) as n from {table}"
        )))
        .fetch_one(self.db.write())
        .await
        .expect("count")
        .try_get::<i64, _>("n")
        .expect("n")
    }

    pub async fn session_count(&self) -> i64 {
        use sqlx::Row;
        seamless::server::db::query("select count(*) as n from sessions")
            .fetch_one(self.db.write())
            .await
            .expect("count sessions")
            .try_get::<i64, _>("n")
            .expect("n")
    }
}

/// How to start a [`TestApp`]: `TestApp::builder()`, then what differs from a plain app.
pub struct TestAppBuilder {
    env: Vec<(String, String)>,
    /// The settings file's text (the environment is written over it).
    config: String,
    postgres: bool,
    /// The migrations to run up to, and the data to leave, before the app starts.
    upgrading: Option<(i64, Vec<String>)>,
    /// Another instance's database and data directory.
    sharing: Option<(Arc<Resources>, String)>,
}

impl TestAppBuilder {
    /// An environment setting, e.g. `.env("SESSION_TOUCH_INTERVAL", "0s")`; a later one of the
    /// same name wins.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Several environment settings, e.g. the OAuth stand-in's `github_env()`.
    pub fn envs<K: Into<String>, V: Into<String>>(
        mut self,
        settings: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env
            .extend(settings.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Text of the settings file, e.g. `[[oidc]]` entries (which only the file can give); added
    /// to what earlier calls gave.
    pub fn config(mut self, toml: &str) -> Self {
        self.config.push_str(toml);
        self.config.push('\n');
        self
    }

    /// Served at `http://localhost:PORT` (`APP_URL`) rather than `http://127.0.0.1:PORT`:
    /// browsers refuse an IP address as a passkey's relying party.
    pub fn on_localhost(self) -> Self {
        // A free port, for the address and APP_URL to agree before the app binds it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        self.env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("APP_URL", format!("http://localhost:{port}"))
    }

    /// On a fresh PostgreSQL database, whatever `TEST_DATABASE` says.
    pub fn postgres(mut self) -> Self {
        self.postgres = true;
        self
    }

    /// On a database an older version left: the migrations up to `version`, then the
    /// statements `seed` (its data). The app's start-up migrates the rest.
    pub fn upgrading_from(
        mut self,
        version: i64,
        seed: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.upgrading = Some((version, seed.into_iter().map(Into::into).collect()));
        self
    }

    /// A second instance on `other`'s database and data directory, as behind a load balancer
    /// (the same secret, hence the same keys). Only the settings given here, not `other`'s.
    pub fn sharing(mut self, other: &TestApp) -> Self {
        self.sharing = Some((other.resources.clone(), other.database_url.clone()));
        self
    }

    /// The database the app is to start on, prepared (or `other`'s).
    async fn database(&mut self) -> (Arc<Resources>, String) {
        if let Some(shared) = self.sharing.take() {
            assert!(
                self.upgrading.is_none(),
                "a shared database is already migrated"
            );
            return shared;
        }
        let (resources, database_url) = TestApp::fresh_database(self.postgres).await;
        if let Some((version, seed)) = &self.upgrading {
            TestApp::migrate_to(&database_url, *version, seed).await;
        }
        (resources, database_url)
    }

    pub async fn spawn(mut self) -> TestApp {
        let (resources, database_url) = self.database().await;
        TestApp::start(resources, database_url, &self.env, &self.config).await
    }

    /// Two instances with the same settings starting at the same moment on one database (both
    /// run the migrations; the advisory lock must make that safe on PostgreSQL).
    pub async fn spawn_two_at_once(mut self) -> (TestApp, TestApp) {
        let (resources, database_url) = self.database().await;
        tokio::join!(
            TestApp::start(
                resources.clone(),
                database_url.clone(),
                &self.env,
                &self.config
            ),
            TestApp::start(resources, database_url, &self.env, &self.config)
        )
    }
}

pub struct TestClient {
    pub base: String,
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl TestClient {
    pub fn new(base: &str) -> TestClient {
        Self::with_headers(base, header::HeaderMap::new())
    }

    /// A browser behind a proxy that says it is `ip` (for an app started with
    /// `CLIENT_IP_HEADER=x-forwarded-for`).
    pub fn from_ip(base: &str, ip: &str) -> TestClient {
        let mut headers = header::HeaderMap::new();
        headers.insert("x-forwarded-for", ip.parse().expect("ip header"));
        Self::with_headers(base, headers)
    }

    fn with_headers(base: &str, headers: header::HeaderMap) -> TestClient {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .default_headers(headers)
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

    /// Posts a form of the task page the way a browser without JavaScript does.
    pub async fn post_form(&self, name: &str, form: &[(&str, &str)]) -> Response {
        self.post_form_from("/todos", name, form).await
    }

    /// Posts a form of the page at `page` the way a browser without JavaScript does.
    pub async fn post_form_from(&self, page: &str, name: &str, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(&format!("/rpc/{name}")))
            .header(header::ORIGIN, &self.base)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, self.url(page))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    // One method per server function the tests call (`src/app/**/mod.rs`), named after it and
    // taking its arguments. Where tests only ever read a function's success body, the method
    // checks the status and returns that body as the crate's own type; the others return the
    // response, for its status, headers and error body. `rpc` stays for input no typed method
    // can send (malformed values, missing fields).

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

    /// `login` with the page to go to afterwards.
    pub async fn login_then(&self, email: &str, password: &str, next: &str) -> Response {
        self.rpc(
            "login",
            &[("email", email), ("password", password), ("next", next)],
        )
        .await
    }

    pub async fn logout(&self) -> Response {
        self.rpc("logout", &[]).await
    }

    /// Who this browser is signed in as (`None`: nobody).
    pub async fn current_user(&self) -> Option<CurrentUser> {
        ok_json(self.rpc("current_user", &[]).await).await
    }

    /// Links the provider identity waiting in this browser's cookie, with the account's
    /// password.
    pub async fn link_account(&self, password: &str) -> Response {
        self.rpc("link_account", &[("password", password)]).await
    }

    pub async fn list_todos(&self) -> Response {
        self.rpc("list_todos", &[]).await
    }

    /// `list_todos` from the task after `after`.
    pub async fn list_todos_after(&self, after: &str) -> Response {
        self.rpc("list_todos", &[("after", after)]).await
    }

    /// The first page of this user's tasks.
    pub async fn todo_page(&self) -> TodoPage<TaskRow> {
        ok_json(self.list_todos().await).await
    }

    pub async fn add_todo(&self, title: &str) -> Response {
        self.rpc("add_todo", &[("title", title)]).await
    }

    /// Adds a task and returns its id.
    pub async fn added(&self, title: &str) -> String {
        let todo: Todo = ok_json(self.add_todo(title).await).await;
        todo.id
    }

    pub async fn complete_todo(&self, id: &str) -> Response {
        self.rpc("complete_todo", &[("id", id)]).await
    }

    pub async fn reopen_todo(&self, id: &str) -> Response {
        self.rpc("reopen_todo", &[("id", id)]).await
    }

    /// `complete_todo` or `reopen_todo`.
    pub async fn toggle_todo(&self, id: &str, completed: bool) -> Response {
        if completed {
            self.complete_todo(id).await
        } else {
            self.reopen_todo(id).await
        }
    }

    pub async fn rename_todo(&self, id: &str, title: &str) -> Response {
        self.rpc("rename_todo", &[("id", id), ("title", title)])
            .await
    }

    /// The edit form of a task as the page posts it: its title and its notes.
    pub async fn edit_todo(&self, id: &str, title: &str, notes: &str) -> Response {
        self.rpc(
            "rename_todo",
            &[("id", id), ("title", title), ("description", notes)],
        )
        .await
    }

    /// The edit form with its "Due" field (`YYYY-MM-DD`, or blank for none).
    pub async fn edit_todo_due(&self, id: &str, title: &str, due_on: &str) -> Response {
        self.rpc(
            "rename_todo",
            &[("id", id), ("title", title), ("due_on", due_on)],
        )
        .await
    }

    pub async fn delete_todo(&self, id: &str) -> Response {
        self.rpc("delete_todo", &[("id", id)]).await
    }

    /// "Undo" of the delete `undo` (its id, from the address the delete sent the page to).
    pub async fn restore_todos(&self, undo: &str) -> Response {
        self.rpc("restore_todos", &[("undo", undo)]).await
    }

    /// What the account page shows.
    pub async fn account_overview(&self) -> AccountOverview {
        ok_json(self.rpc("account_overview", &[]).await).await
    }

    pub async fn resend_verification(&self) -> Response {
        self.rpc("resend_verification", &[]).await
    }

    /// Changes the password (`current_password` may be left out when the account has none).
    pub async fn change_password(
        &self,
        current_password: Option<&str>,
        new_password: &str,
    ) -> Response {
        let mut form = vec![("new_password", new_password)];
        if let Some(current) = current_password {
            form.insert(0, ("current_password", current));
        }
        self.rpc("change_password", &form).await
    }

    pub async fn revoke_session(&self, id: &SessionRef) -> Response {
        self.rpc("revoke_session", &[("id", &id.to_string())]).await
    }

    pub async fn sign_out_everywhere(&self) -> Response {
        self.rpc("sign_out_everywhere", &[]).await
    }

    pub async fn unlink_provider(&self, provider: &Provider) -> Response {
        self.rpc("unlink_provider", &[("provider", provider.slug())])
            .await
    }

    pub async fn delete_account(&self, confirm_email: &str) -> Response {
        self.rpc("delete_account", &[("confirm_email", confirm_email)])
            .await
    }

    pub async fn request_password_reset(&self, email: &str) -> Response {
        self.rpc("request_password_reset", &[("email", email)])
            .await
    }

    /// Chooses a new password with a reset link's token.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Response {
        self.rpc(
            "reset_password",
            &[("token", token), ("new_password", new_password)],
        )
        .await
    }

    /// `reset_password` of an account with two-factor authentication on: with its code.
    pub async fn reset_password_with_code(
        &self,
        token: &str,
        new_password: &str,
        code: &str,
    ) -> Response {
        self.rpc(
            "reset_password",
            &[
                ("token", token),
                ("new_password", new_password),
                ("code", code),
            ],
        )
        .await
    }

    pub async fn verify_email(&self, token: &str) -> Response {
        self.rpc("verify_email", &[("token", token)]).await
    }

    /// Starts a sign-in with a provider (`/auth/github…`) and follows the app to the provider:
    /// the authorize URL and the provider's answer (its redirect back).
    pub async fn authorize(&self, start: &str) -> (String, Response) {
        let res = self.get(start).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "start redirects to the provider"
        );
        let to_provider = location(&res).expect("authorize URL");
        let back = self
            .http
            .get(&to_provider)
            .send()
            .await
            .expect("provider answers");
        (to_provider, back)
    }

    /// The whole round trip with a provider: start, provider, callback. The callback's response.
    pub async fn sign_in_with(&self, start: &str) -> Response {
        let (_, back) = self.authorize(start).await;
        let callback = location(&back).expect("provider redirects back");
        self.http.get(&callback).send().await.expect("callback")
    }

    pub async fn begin_totp_setup(&self) -> Response {
        self.rpc("begin_totp_setup", &[]).await
    }

    pub async fn turn_on_two_factor(&self, code: &str) -> Response {
        self.rpc("turn_on_two_factor", &[("code", code)]).await
    }

    pub async fn turn_off_two_factor(&self, proof: Option<&str>) -> Response {
        let form: Vec<(&str, &str)> = proof.map(|p| ("proof", p)).into_iter().collect();
        self.rpc("turn_off_two_factor", &form).await
    }

    pub async fn new_recovery_codes(&self, proof: Option<&str>) -> Response {
        let form: Vec<(&str, &str)> = proof.map(|p| ("proof", p)).into_iter().collect();
        self.rpc("new_recovery_codes", &form).await
    }

    /// "Add a passkey" with `device`: the options, the device's answer, the post. The post's
    /// response, or `None` when the device refused (it holds an excluded passkey).
    pub async fn add_passkey(&self, device: &mut Passkeys, name: &str) -> Option<Response> {
        let ceremony = self.ceremony("passkey_options").await;
        let answer = device.create(&ceremony["options"], &self.base)?;
        let token = ceremony["token"].as_str().unwrap_or_default();
        Some(
            self.rpc(
                "add_passkey",
                &[
                    ("token", token),
                    ("credential", &answer.to_string()),
                    ("name", name),
                ],
            )
            .await,
        )
    }

    /// "Sign in with a passkey" with `device`: the post's response.
    pub async fn sign_in_with_passkey(&self, device: &mut Passkeys) -> Response {
        let ceremony = self.ceremony("passkey_sign_in_options").await;
        let answer = device
            .get(&ceremony["options"], &self.base)
            .expect("the device holds a passkey for this site");
        let token = ceremony["token"].as_str().unwrap_or_default();
        self.rpc(
            "sign_in_with_passkey",
            &[("token", token), ("credential", &answer.to_string())],
        )
        .await
    }

    /// A passkey ceremony's start: `{"token": …, "options": {"publicKey": …}}`.
    pub async fn ceremony(&self, server_fn: &str) -> Value {
        self.ceremony_for(server_fn, &[]).await
    }

    /// [`TestClient::ceremony`] from a server function that takes `form`.
    pub async fn ceremony_for(&self, server_fn: &str, form: &[(&str, &str)]) -> Value {
        let res = self.rpc(server_fn, form).await;
        assert_eq!(res.status(), StatusCode::OK, "{server_fn}");
        let text: String = res.json().await.expect("a JSON string");
        serde_json::from_str(&text).expect("the ceremony's JSON")
    }

    /// `/login/verify`'s form with a code from the authenticator app.
    pub async fn verify_sign_in(&self, code: &str) -> Response {
        self.rpc("verify_sign_in", &[("code", code)]).await
    }

    /// `/login/verify`'s form with a recovery code.
    pub async fn verify_with_recovery_code(&self, code: &str) -> Response {
        self.rpc("verify_sign_in", &[("recovery_code", code)]).await
    }

    /// Sets up an authenticator app and turns it on: the app (to compute codes with, as a
    /// phone would) and the recovery codes the account page showed once. The code that
    /// turned it on was the previous time step's, so this step's and the next are still
    /// unused.
    pub async fn turn_on_authenticator(&self) -> (Authenticator, Vec<String>) {
        assert_eq!(self.begin_totp_setup().await.status(), StatusCode::OK);
        let setup = self
            .account_overview()
            .await
            .two_factor
            .setup
            .expect("an app being set up");
        let app = Authenticator::from_url(&setup.otpauth_url);
        let mut res = self.turn_on_two_factor(&app.code_in(-1)).await;
        if res.status() == StatusCode::UNPROCESSABLE_ENTITY {
            // The 30-second step changed between reading the code and the server checking it
            // (two steps back is too old), as when a person types a code just as it changes:
            // the code shown now.
            res = self.turn_on_two_factor(&app.code_in(-1)).await;
        }
        assert_eq!(
            location(&res).as_deref(),
            Some("/account?done=two_factor_on")
        );
        let codes = self.account_overview().await.two_factor.new_recovery_codes;
        assert_eq!(codes.len(), 10, "the recovery codes, shown once");
        (app, codes)
    }

    /// Asks for a password reset link for `email` and returns its token, from the `nth`
    /// reset message `smtp` receives for that address.
    pub async fn reset_token(&self, smtp: &SmtpServer, email: &str, nth: usize) -> String {
        let res = self.request_password_reset(email).await;
        assert_eq!(res.status(), StatusCode::OK, "reset link requested");
        smtp.wait_for_link(email, "/reset-password", nth)
            .await
            .token("/reset-password")
            .expect("a reset link")
    }

    /// The titles of this user's tasks, as the server function lists them.
    pub async fn titles(&self) -> Vec<String> {
        self.todo_page()
            .await
            .todos
            .into_iter()
            .map(|t| t.title)
            .collect()
    }
}

/// After a password reset of `email`'s account with two-factor authentication on (`res`, the
/// reset's answer): it sent the browser to sign in, `owner`'s sessions ended, and a sign-in
/// with the new password `new` still waits for the second factor. The browser it waits in.
pub async fn assert_reset_keeps_two_steps(
    app: &TestApp,
    owner: &TestClient,
    res: &Response,
    email: &str,
    new: &str,
) -> TestClient {
    assert_eq!(location(res).as_deref(), Some("/login?reset=1"));
    assert_eq!(owner.current_user().await, None, "signed out everywhere");
    let browser = app.client();
    let res = browser.login(email, new).await;
    assert_eq!(
        location(&res).as_deref(),
        Some("/login/verify"),
        "still two steps"
    );
    browser
}

/// The body of an answer with the status `expected`, as `T`; panics with the status and body
/// otherwise.
pub async fn json_of<T: DeserializeOwned>(res: Response, expected: StatusCode) -> T {
    let status = res.status();
    let path = res.url().path().to_owned();
    let text = res.text().await.expect("a body");
    assert_eq!(status, expected, "{path}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
}

/// The body of a 200 answer, as `T`.
pub async fn ok_json<T: DeserializeOwned>(res: Response) -> T {
    json_of(res, StatusCode::OK).await
}

/// A 429 that says when to come back (within `window_secs`) and explains itself to people.
pub async fn assert_rate_limited(res: Response, window_secs: u64) {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=window_secs).contains(&retry), "{retry}");
    let body: ErrorBody = res.json().await.expect("json");
    assert!(body.message.starts_with("Too many attempts"), "{body:?}");
}

/// The status and JSON error body of a failed call (server function or API).
pub async fn error_of(res: Response) -> (StatusCode, ErrorBody) {
    let status = res.status();
    let body: ErrorBody = res.json().await.expect("the error body is JSON");
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

/// An authenticator app on a phone: the codes of a secret read from its `otpauth://` link
/// (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps).
pub struct Authenticator(totp_rs::Totp);

impl Authenticator {
    pub fn from_url(url: &str) -> Authenticator {
        Authenticator(totp_rs::Totp::from_url(url).expect("an otpauth:// link"))
    }

    /// The code the app shows `steps` time steps from now (-1: the previous one).
    pub fn code_in(&self, steps: i64) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        self.0.generate((now + steps * 30) as u64).to_string()
    }

    /// The code it shows now.
    pub fn code(&self) -> String {
        self.code_in(0)
    }
}

/// A non-browser client of `/api/v1`: no cookies, bearer tokens.
///
/// One method per endpoint (`src/server/api/`), named after what it does, returning the
/// response, for tests that look at statuses and headers; and, for the endpoints whose success
/// body tests read, a method named after that body which checks the status and returns it as
/// the crate's own type (`tokens`, `refreshed`, `me`, `todos`, `created`, `todo`, `updated`,
/// `jwks`). `get` and `post` stay for paths and bodies no typed method sends.
pub struct ApiClient {
    pub base: String,
    pub http: reqwest::Client,
}

/// The fields of `PATCH /api/v1/todos/{id}`; those left `None` are not sent.
#[derive(Debug, Default, Serialize)]
pub struct TodoPatch<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'a str>,
    /// `Some(None)` is sent as null (remove the notes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<&'a str>>,
    /// `Some(None)` is sent as null (remove the due date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
}

impl ApiClient {
    pub fn new(app: &TestApp) -> ApiClient {
        ApiClient {
            base: app.address.clone(),
            http: reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `POST /api/v1/auth/token`.
    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/token",
            None,
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// `POST /api/v1/auth/token/mfa`.
    pub async fn sign_in_mfa(&self, mfa_token: &str, code: &str) -> Response {
        self.post(
            "/api/v1/auth/token/mfa",
            None,
            &json!({ "mfa_token": mfa_token, "code": code }),
        )
        .await
    }

    /// Signs in with [`PASSWORD`] and returns the tokens (the account must exist).
    pub async fn tokens(&self, email: &str) -> TokenResponse {
        ok_json(self.sign_in(email, PASSWORD).await).await
    }

    /// `POST /api/v1/auth/refresh`.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post(
            "/api/v1/auth/refresh",
            None,
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// Refreshes and returns the new tokens.
    pub async fn refreshed(&self, refresh_token: &str) -> TokenResponse {
        ok_json(self.refresh(refresh_token).await).await
    }

    /// `POST /api/v1/auth/logout`.
    pub async fn logout(&self, refresh_token: &str) -> Response {
        self.post(
            "/api/v1/auth/logout",
            None,
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// `GET /api/v1/me`.
    pub async fn get_me(&self, token: &str) -> Response {
        self.get("/api/v1/me", Some(token)).await
    }

    /// The user `token` belongs to.
    pub async fn me(&self, token: &str) -> Me {
        ok_json(self.get_me(token).await).await
    }

    /// `GET /api/v1/todos` (the first page).
    pub async fn list_todos(&self, token: &str) -> Response {
        self.get("/api/v1/todos", Some(token)).await
    }

    /// The first page of the tasks of `token`'s user.
    pub async fn todos(&self, token: &str) -> Vec<Todo> {
        ok_json(self.list_todos(token).await).await
    }

    /// `POST /api/v1/todos`.
    pub async fn create_todo(&self, token: &str, title: &str) -> Response {
        self.post("/api/v1/todos", Some(token), &json!({ "title": title }))
            .await
    }

    /// Creates a task (201) and returns it.
    pub async fn created(&self, token: &str, title: &str) -> Todo {
        json_of(self.create_todo(token, title).await, StatusCode::CREATED).await
    }

    /// `GET /api/v1/todos/{id}`.
    pub async fn get_todo(&self, token: &str, id: &str) -> Response {
        self.get(&format!("/api/v1/todos/{id}"), Some(token)).await
    }

    pub async fn todo(&self, token: &str, id: &str) -> Todo {
        ok_json(self.get_todo(token, id).await).await
    }

    /// `PATCH /api/v1/todos/{id}`.
    pub async fn update_todo(&self, token: &str, id: &str, patch: &TodoPatch<'_>) -> Response {
        self.update_todo_if(token, id, patch, None).await
    }

    /// `PATCH /api/v1/todos/{id}` with `If-Match` when given.
    pub async fn update_todo_if(
        &self,
        token: &str,
        id: &str,
        patch: &TodoPatch<'_>,
        if_match: Option<&str>,
    ) -> Response {
        let mut req = self
            .http
            .patch(self.url(&format!("/api/v1/todos/{id}")))
            .bearer_auth(token)
            .json(patch);
        if let Some(tag) = if_match {
            req = req.header(header::IF_MATCH, tag);
        }
        req.send().await.expect("PATCH")
    }

    /// Changes a task and returns it.
    pub async fn updated(&self, token: &str, id: &str, patch: &TodoPatch<'_>) -> Todo {
        ok_json(self.update_todo(token, id, patch).await).await
    }

    /// `DELETE /api/v1/todos/{id}`.
    pub async fn delete_todo(&self, token: &str, id: &str) -> Response {
        self.delete_todo_if(token, id, None).await
    }

    /// `DELETE /api/v1/todos/{id}` with `If-Match` when given.
    pub async fn delete_todo_if(&self, token: &str, id: &str, if_match: Option<&str>) -> Response {
        let mut req = self
            .http
            .delete(self.url(&format!("/api/v1/todos/{id}")))
            .bearer_auth(token);
        if let Some(tag) = if_match {
            req = req.header(header::IF_MATCH, tag);
        }
        req.send().await.expect("DELETE")
    }

    /// `GET /.well-known/jwks.json`: the keys that verify our access tokens.
    pub async fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        ok_json(self.get("/.well-known/jwks.json", None).await).await
    }

    /// `GET /api/v1/openapi.json` (a document read as JSON: no type of ours describes it).
    pub async fn openapi(&self) -> Value {
        ok_json(self.get("/api/v1/openapi.json", None).await).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("POST")
    }
}

/// Sends only the head of a POST announcing a body of `content_length` bytes, and returns the
/// status the server answers with before any body is sent (as a server should for 413).
pub async fn status_for_announced_body(
    base: &str,
    path: &str,
    content_length: usize,
    extra_headers: &[(&str, &str)],
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {content_length}\r\n"
    );
    for (k, v) in extra_headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 1024];
    let n = stream.read(&mut buf).await.expect("read");
    let line = String::from_utf8_lossy(&buf[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line")
}

/// The built binary (`seamless`) on a data directory of its own, with only `env` (and `PATH`)
/// in its environment and JSON logs, each line read as it comes.
pub struct Binary {
    child: std::process::Child,
    pub port: u16,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Binary {
    /// Starts it and waits for its "listening" line.
    pub async fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Binary {
        use std::io::BufRead;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_seamless"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("APP_DATA_DIR", dir)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .current_dir(dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let mut seen = Vec::new();
        let port = loop {
            let line = lines.recv().await.expect("the server logs that it listens");
            seen.push(line.clone());
            let v: Value = serde_json::from_str(&line).expect("JSON log line");
            if v["fields"]["message"] == "listening" {
                break v["fields"]["port"].as_u64().expect("a port") as u16;
            }
        };
        Binary {
            child,
            port,
            lines,
            seen,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn terminate(&self) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM sent");
    }

    /// Waits for it to exit; its exit status and every line it logged.
    pub async fn exit(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let mut child = self.child;
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .expect("wait")
            .expect("exits");
        while let Some(line) = self.lines.recv().await {
            self.seen.push(line);
        }
        (status, self.seen)
    }
}
