//! The test harness: a real `convene` on a random port with a fresh database per test —
//! a temporary SQLite file, or a new PostgreSQL database when CONVENE_TEST_DATABASE_URL is set.
//! Its background worker is off unless a test turns it on (`settings.worker.enabled`): tests
//! run due background work themselves with [`TestApp::run_pending_jobs`], so none waits for it.

use std::path::Path;
use std::sync::Arc;

use convene::audit::Actor;
use convene::auth::api_keys;
use convene::auth::passwords::hash_password;
use convene::auth::roles::Role;
use convene::clock::{Clock, FixedClock, SystemClock};
use convene::config::Settings;
use convene::db::Database;
use convene::jobs::Runner;
use convene::startup::Application;
use convene::users::model::CreateUserRequest;
use convene::users::repo;
use diesel::{Connection, RunQueryDsl};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub const TEST_PASSWORD: &str = "a long test password";

/// Where a test's database lives, removed when the test ends.
enum TestDatabase {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { server_url: String, name: String },
}

/// The server URL with `sslmode=disable` unless it says otherwise. The test server is local,
/// and libpq's TLS (OpenSSL) tears itself down when the test process exits while pooled
/// connections of finished tests may still be closing on other threads, which can crash the
/// process after every test has passed.
fn without_tls(server_url: &str) -> (String, String) {
    let (path, query) = server_url
        .split_once('?')
        .map_or((server_url, ""), |(path, query)| (path, query));
    let query = if query.contains("sslmode=") {
        query.to_owned()
    } else if query.is_empty() {
        "sslmode=disable".to_owned()
    } else {
        format!("{query}&sslmode=disable")
    };
    (path.to_owned(), query)
}

fn create_postgres_database(server_url: &str) -> (String, TestDatabase) {
    let (server_url, query) = without_tls(server_url);
    let server_url = format!("{server_url}?{query}");
    let server_url = server_url.as_str();
    let name = format!("convene_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = diesel::PgConnection::establish(server_url)
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {server_url}: {e}"));
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .expect("create test database");
    let path = server_url
        .split_once('?')
        .map_or(server_url, |(path, _)| path);
    let base = path.rsplit_once('/').map_or(path, |(base, _)| base);
    (
        format!("{base}/{name}?{query}"),
        TestDatabase::Postgres {
            server_url: server_url.to_owned(),
            name,
        },
    )
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { server_url, name } = self {
            let (server_url, name) = (server_url.clone(), name.clone());
            // Dropping runs inside the test's runtime; diesel blocks, so use a plain thread.
            let _ = std::thread::spawn(move || {
                if let Ok(mut conn) = diesel::PgConnection::establish(&server_url) {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut conn);
                }
            })
            .join();
        }
    }
}

fn fresh_database() -> (String, TestDatabase) {
    match std::env::var("CONVENE_TEST_DATABASE_URL") {
        Ok(server_url) if !server_url.is_empty() => create_postgres_database(&server_url),
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("convene.db").display());
            (url, TestDatabase::Sqlite { _dir: dir })
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub admin_key: String,
    pub db: Database,
    /// Where the file transport writes emails (the default transport in tests).
    pub mail_dir: tempfile::TempDir,
    /// Where the database is, for another instance to share it.
    pub database_url: String,
    jobs: Arc<Runner>,
    _database: TestDatabase,
    extra_databases: std::sync::Mutex<Vec<TestDatabase>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(Arc::new(SystemClock), customize).await
}

/// An app whose clock stands still at `clock`'s time until the test moves it.
pub async fn spawn_app_with_clock(clock: Arc<FixedClock>) -> TestApp {
    spawn_app_on(clock, |_| {}).await
}

/// An app on `clock`, its settings changed by `customize`.
pub async fn spawn_app_on(clock: Arc<dyn Clock>, customize: impl FnOnce(&mut Settings)) -> TestApp {
    let (database_url, guard) = fresh_database();
    let mut settings = Settings::load(Path::new("config"), Some(&database_url)).expect("settings");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.database.pool_size = 4;
    // Every test request comes from 127.0.0.1; the limit has its own test.
    settings.public.requests_per_minute = 0;
    let mail_dir = tempfile::tempdir().expect("temp dir");
    settings.email.file_dir = mail_dir.path().to_path_buf();
    settings.worker.enabled = false;
    settings.worker.poll_ms = 100;
    customize(&mut settings);
    let database_url = settings.database.url.clone();
    let db = Database::connect(&settings.database).expect("database");
    let app = Application::build(settings, clock)
        .await
        .expect("application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let jobs = app.runner();
    tokio::spawn(app.run_until_stopped());
    let admin_key = create_api_key(&db, Role::Admin);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        admin_key,
        db,
        mail_dir,
        database_url,
        jobs,
        _database: guard,
        extra_databases: Default::default(),
    }
}

pub fn create_api_key(db: &Database, role: Role) -> String {
    let mut conn = db.connection().expect("connection");
    let issued = api_keys::create(&mut conn, "test", role, chrono::Utc::now()).expect("api key");
    issued.secret.expose_secret().to_owned()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Runs every background task that is due at the app's clock (emails, expiries,
    /// escalations, follow-ups, calendar writes, upkeep) and returns when all of it is done.
    pub async fn run_pending_jobs(&self) {
        self.jobs.run_pending().await;
    }

    /// A second instance on this app's database, as behind a load balancer: its own server,
    /// worker runner and settings (changed by `customize`), sharing every row.
    pub async fn spawn_sibling(&self, customize: impl FnOnce(&mut Settings)) -> Arc<Runner> {
        let mut settings =
            Settings::load(Path::new("config"), Some(&self.database_url)).expect("settings");
        settings.server.bind = "127.0.0.1:0".into();
        settings.server.workers = 1;
        settings.database.pool_size = 4;
        settings.worker.enabled = false;
        settings.email.file_dir = self.mail_dir.path().to_path_buf();
        customize(&mut settings);
        let app = Application::build(settings, Arc::new(SystemClock))
            .await
            .expect("second application");
        let jobs = app.runner();
        tokio::spawn(app.run_until_stopped());
        jobs
    }

    /// Another empty PostgreSQL database on the test server, dropped with the app.
    pub fn fresh_postgres_database(&self) -> String {
        let server_url = std::env::var("CONVENE_TEST_DATABASE_URL").expect("PostgreSQL tests");
        let (url, guard) = create_postgres_database(&server_url);
        self.extra_databases.lock().unwrap().push(guard);
        url
    }

    pub fn key_for(&self, role: Role) -> String {
        create_api_key(&self.db, role)
    }

    pub async fn post_json(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, path: &str, key: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch_json(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// The starts (in `tz`) a prospect is offered on `day` through the link `slug`.
    pub async fn free_starts(&self, slug: &str, day: &str, tz: &str) -> Vec<String> {
        let body: Value = self
            .client
            .get(self.url(&format!("/book/{slug}/slots?from={day}&to={day}&tz={tz}")))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        body["slots"]
            .as_array()
            .expect("slots")
            .iter()
            .filter_map(|slot| slot["start"].as_str().map(str::to_owned))
            .collect()
    }

    pub async fn create_user(&self, body: Value) -> Value {
        let response = self
            .post_json("/api/v1/users", &self.admin_key, &body)
            .await;
        assert_eq!(response.status(), 201, "create user");
        response.json().await.expect("json")
    }

    /// A host user (an executive) in `timezone`; returns its id.
    pub async fn create_host(&self, email: &str, timezone: &str) -> String {
        let user = self
            .create_user(serde_json::json!({"email": email, "name": email.split('@').next().unwrap_or(email), "role": "host", "title": "VP Sales", "timezone": timezone}))
            .await;
        user["id"].as_str().expect("id").to_owned()
    }

    /// A meeting type over `host_ids` with `overrides` merged into sensible defaults.
    pub async fn create_meeting_type(
        &self,
        slug: &str,
        host_ids: &[String],
        overrides: Value,
    ) -> Value {
        let mut body = serde_json::json!({
            "slug": slug, "name": format!("Meeting {slug}"), "duration_minutes": 30, "host_ids": host_ids,
            "host_mode": "collective", "requires_approval": true, "survey": false
        });
        if let (Some(body), Some(overrides)) = (body.as_object_mut(), overrides.as_object()) {
            body.extend(overrides.clone());
        }
        let response = self
            .post_json("/api/v1/meeting-types", &self.admin_key, &body)
            .await;
        assert_eq!(response.status(), 201, "create meeting type");
        response.json().await.expect("json")
    }

    /// A lead; `hot` ones have all of BANT confirmed with timing `now`.
    pub async fn create_lead(&self, email: &str, hot: bool) -> Value {
        let bant = if hot {
            serde_json::json!({"budget": true, "authority": true, "need": true, "timing": "now"})
        } else {
            serde_json::json!({})
        };
        let response = self
            .post_json("/api/v1/leads", &self.admin_key, &serde_json::json!({"email": email, "name": "Prospect", "company": "Prospect Inc", "bant": bant}))
            .await;
        assert!(response.status().is_success(), "create lead");
        response.json().await.expect("json")
    }

    /// A user who can sign in to the admin UI with [`TEST_PASSWORD`].
    pub fn create_user_with_password(&self, email: &str, role: &str) -> String {
        let request = CreateUserRequest {
            email: email.into(),
            name: format!("Test {role}"),
            role: role.into(),
            title: None,
            timezone: Some("Europe/Berlin".into()),
            working_hours: None,
        };
        let new_user = request.parse().expect("valid user");
        let hash = hash_password(&SecretString::from(TEST_PASSWORD)).expect("hash");
        let mut conn = self.db.connection().expect("connection");
        repo::insert(
            &mut conn,
            &new_user,
            Some(hash),
            &Actor::System,
            chrono::Utc::now(),
        )
        .expect("insert")
        .id
    }
}

/// Asserts a response is an RFC 9457 problem with `status`, and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json", "content type");
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["status"].as_u64(), Some(u64::from(status)));
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// The value of a hidden `csrf_token` input in a page.
pub fn csrf_token_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a csrf token") + marker.len();
    let end = html[start..].find('"').expect("token ends") + start;
    html[start..end].to_owned()
}
