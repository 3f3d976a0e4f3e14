//! `TestApp`: the real router on a free port, a fresh database, a clock the test controls.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use steward::server::{self, Server};
use steward_domain::{Actor, Role, Timestamp};
use steward_service::{ManualClock, NewPersonInput, Service};
use steward_store::{Store, StoreOptions};
use steward_web::WebConfig;

/// The variable that points the PostgreSQL half of the suite at a server.
pub const PG_VAR: &str = "STEWARD_TEST_POSTGRES_URL";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Defines a test per backend for an `async fn(TestApp)`.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::harness::TestApp::start($crate::harness::Db::Sqlite)
                    .await
                    .unwrap();
                super::$name(&app).await;
                app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) =
                    $crate::harness::TestApp::start($crate::harness::Db::Postgres).await
                else {
                    return;
                };
                super::$name(&app).await;
                app.stop().await;
            }
        }
    };
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!(
        "steward_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A running Steward for one test.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub service: Service,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    server: Server,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Schema { url: String, schema: String },
}

/// The instant every test starts at: a Monday morning.
pub fn start_instant() -> Timestamp {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

impl TestApp {
    /// Starts Steward on a fresh database. `None` (after saying so) when PostgreSQL is asked for
    /// but not configured.
    pub async fn start(db: Db) -> Option<TestApp> {
        let name = unique_name();
        let (store, cleanup) = match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                let store = Store::open(&Store::sqlite_url_for_dir(&dir), &StoreOptions::default())
                    .await
                    .unwrap();
                (store, Cleanup::Dir(dir))
            }
            Db::Postgres => {
                let Ok(url) = std::env::var(PG_VAR) else {
                    // Written to the real stderr, past the test harness's capture, so it is seen.
                    use std::io::Write;
                    let test = std::thread::current()
                        .name()
                        .unwrap_or("a test")
                        .to_string();
                    let _ = writeln!(
                        std::io::stderr(),
                        "SKIPPED on PostgreSQL: {test} (set {PG_VAR}, e.g. postgres://postgres@127.0.0.1:5432/test)"
                    );
                    return None;
                };
                pg_execute(&url, &format!("CREATE SCHEMA {name}")).await;
                let opts = StoreOptions {
                    pg_schema: Some(name.clone()),
                    max_connections: 4,
                    ..StoreOptions::default()
                };
                let store = Store::open(&url, &opts).await.unwrap();
                (store, Cleanup::Schema { url, schema: name })
            }
        };
        store.migrate().await.unwrap();
        let clock = Arc::new(ManualClock::new(start_instant()));
        let service = Service::new(store.clone(), clock.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = server::start(service.clone(), WebConfig::default(), listener)
            .await
            .unwrap();
        let base = format!("http://{}", server.addr);
        Some(TestApp {
            base,
            store,
            service,
            clock,
            http: reqwest::Client::new(),
            server,
            cleanup,
        })
    }

    /// Starts a second Steward node on the same database (another store, another port), as a
    /// cluster would run. Returns its base URL and the server, to stop before [`TestApp::stop`].
    pub async fn second_node(&self) -> (String, Server) {
        let store = self.reopen().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let service = Service::new(store, self.clock.clone());
        let server = server::start(service, WebConfig::default(), listener)
            .await
            .unwrap();
        (format!("http://{}", server.addr), server)
    }

    /// The same database opened again (as another process would open it).
    pub async fn reopen(&self) -> Store {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                Store::open(&Store::sqlite_url_for_dir(dir), &StoreOptions::default())
                    .await
                    .unwrap()
            }
            Cleanup::Schema { url, schema } => {
                let opts = StoreOptions {
                    pg_schema: Some(schema.clone()),
                    max_connections: 4,
                    ..StoreOptions::default()
                };
                Store::open(url, &opts).await.unwrap()
            }
        }
    }

    /// The database's URL, as the command line takes it (`--database-url`).
    pub fn database_url(&self) -> String {
        match &self.cleanup {
            Cleanup::Dir(dir) => Store::sqlite_url_for_dir(dir),
            Cleanup::Schema { url, schema } => pg_url_in_schema(url, schema),
        }
    }

    /// Runs SQL on the database directly, past Steward (to check what the schema itself refuses).
    /// Returns the database's error message if it refused.
    pub async fn raw_sql(&self, sql: &str) -> Result<(), String> {
        use sqlx::Connection;
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let url = Store::sqlite_url_for_dir(dir);
                let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                let r = sqlx::raw_sql(sql).execute(&mut c).await;
                c.close().await.unwrap();
                r.map(|_| ()).map_err(|e| e.to_string())
            }
            Cleanup::Schema { url, schema } => {
                let mut c = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql(&format!("SET search_path TO {schema}"))
                    .execute(&mut c)
                    .await
                    .unwrap();
                let r = sqlx::raw_sql(sql).execute(&mut c).await;
                c.close().await.unwrap();
                r.map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }

    /// The test clock's instant.
    pub fn clock_now(&self) -> Timestamp {
        use steward_service::Clock;
        self.clock.now()
    }

    /// Signs in with a password over the API; returns the session cookie (`name=value`).
    pub async fn session_cookie(&self, base: &str, email: &str, password: &str) -> String {
        let res = self
            .http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let c = res.headers().get("set-cookie").unwrap().to_str().unwrap();
        c.split(';').next().unwrap().to_string()
    }

    /// Stops the server and removes the database.
    pub async fn stop(self) {
        self.server.stop().await.unwrap();
        self.store.close().await;
        match self.cleanup {
            Cleanup::Dir(d) => {
                let _ = std::fs::remove_dir_all(d);
            }
            Cleanup::Schema { url, schema } => {
                pg_execute(&url, &format!("DROP SCHEMA {schema} CASCADE")).await;
            }
        }
    }

    /// Creates a person directly (as the system) and returns an API token for them.
    pub async fn person(
        &self,
        email: &str,
        role: Role,
        org: Option<i64>,
        org_access: bool,
    ) -> (i64, String) {
        let p = self
            .service
            .create_person(
                &Actor::system(),
                NewPersonInput {
                    email: email.into(),
                    name: email.split('@').next().unwrap_or(email).into(),
                    role,
                    organisation_id: org.map(steward_domain::OrgId),
                    org_access,
                    password: None,
                },
            )
            .await
            .unwrap();
        let t = self
            .service
            .create_token(&Actor::system(), p.id, "test", None)
            .await
            .unwrap();
        (p.id.0, t.secret)
    }

    /// Sends a request with an optional bearer token and JSON body; returns status and JSON body
    /// (`Value::Null` when the body is empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
}

/// The `steward` binary, with no `STEWARD_*` settings from the environment.
pub fn steward_cli() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_steward"));
    for v in [
        "STEWARD_DATABASE_URL",
        "STEWARD_CONFIG",
        "STEWARD_DATA_DIR",
        "STEWARD_LISTEN",
    ] {
        c.env_remove(v);
    }
    c
}

/// With the command line and `config`: an administrator `admin@msp.example` and an API token for
/// them.
pub fn cli_admin_token(config: &str) -> String {
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    ok(steward_cli()
        .args([
            "--config",
            config,
            "user",
            "create",
            "--email",
            "admin@msp.example",
        ])
        .args(["--name", "Admin", "--role", "admin"])
        .output()
        .unwrap());
    ok(steward_cli()
        .args([
            "--config",
            config,
            "token",
            "create",
            "--email",
            "admin@msp.example",
        ])
        .output()
        .unwrap())
}

/// Starts `steward serve` with `config` on a free port; returns the process (stopped when
/// dropped) and its base URL once it is ready.
pub async fn serve_binary(config: &std::path::Path) -> (Process, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Process(
        steward_cli()
            .args(["--config", config.to_str().unwrap_or_default()])
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let addr = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.strip_prefix("Steward is listening on ")
                    .map(|r| r.split_whitespace().next().unwrap_or_default().to_string())
            })
            .expect("serve stopped before it was ready")
    });
    let addr = tokio::time::timeout(std::time::Duration::from_secs(60), addr)
        .await
        .expect("serve did not become ready within 60 s")
        .unwrap();
    (child, addr)
}

/// A child process that is killed when dropped, so that a failing test leaves no server behind.
pub struct Process(pub std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Says on the real standard error (past the test harness's capture) that a test was skipped:
/// `SKIPPED {why}`. `.ci/run` fails on the kinds it must never skip.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {why}");
}

/// A PostgreSQL URL whose connections use `schema`.
pub fn pg_url_in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

/// A new, empty PostgreSQL schema for a test (`None` without PostgreSQL); drop it with
/// [`drop_pg_schema`].
pub async fn new_pg_schema() -> Option<(String, String)> {
    let url = std::env::var(PG_VAR).ok()?;
    let name = unique_name();
    pg_execute(&url, &format!("CREATE SCHEMA {name}")).await;
    Some((url, name))
}

pub async fn drop_pg_schema(url: &str, schema: &str) {
    pg_execute(url, &format!("DROP SCHEMA {schema} CASCADE")).await;
}

async fn pg_execute(url: &str, sql: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    c.close().await.unwrap();
}

/// Asserts a status, showing the body when it differs.
#[track_caller]
pub fn expect(got: (StatusCode, Value), status: u16) -> Value {
    assert_eq!(got.0.as_u16(), status, "unexpected status; body: {}", got.1);
    got.1
}
