//! The black-box test harness: starts the real `xrm` binary on a fresh SQLite data directory or
//! a fresh PostgreSQL database, and talks to it over HTTP like any client would.
//!
//! Every [`TestServer`] owns its data: a temp directory named after the process, a counter and
//! the clock, and for PostgreSQL a database named the same way, dropped when the server is.
//! Tests therefore never share state and may run in parallel.
//!
//! The binary is not built by the tests. Build it first:
//!
//! ```text
//! cargo build -p xrm-host --bin xrm
//! ```
//!
//! or point `XRM_BIN` at one. PostgreSQL tests use `XRM_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create their databases; when it cannot be
//! reached they are skipped with a note on stderr, except under `CI=true`, where they fail.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use reqwest::Method;
pub use serde_json::{Value, json};

/// How long the server gets to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one HTTP request may take before the test fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The line the server prints on stdout once it accepts connections.
const LISTENING_PREFIX: &str = "xrm listening on http://";
/// Where PostgreSQL tests create their databases unless `XRM_TEST_POSTGRES` says otherwise.
const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The storage backend a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The instance admin every test server starts with (workspace `default`), made from
/// `XRM_BOOTSTRAP_ADMIN_EMAIL` / `XRM_BOOTSTRAP_ADMIN_PASSWORD`.
pub const ADMIN_EMAIL: &str = "admin@test.xrm";
pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// The same server through another client: another user's session or an API token.
pub struct Caller<'a> {
    server: &'a TestServer,
    client: reqwest::Client,
    /// `xrm_session=…`, for a signed-in caller.
    cookie: Option<String>,
}

impl Caller<'_> {
    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, &[], None).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, &[], None).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, body).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::PUT, path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::PATCH, path, body).await
    }

    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> Response {
        self.send(
            method,
            path,
            &[("content-type", "application/json")],
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Response {
        self.server
            .send_with(&self.client, method, path, headers, body)
            .await
    }

    /// The client, for tasks that outlive the borrow.
    pub fn client(&self) -> reqwest::Client {
        self.client.clone()
    }

    /// The session cookie (`xrm_session=…`) of a signed-in caller.
    pub fn cookie(&self) -> Option<String> {
        self.cookie.clone()
    }
}

/// A running `xrm serve` process with its own data directory (and database, on PostgreSQL).
///
/// Dropping it kills the process, removes the directory and drops the database.
pub struct TestServer {
    pub backend: Backend,
    data_dir: PathBuf,
    database: Option<PostgresDatabase>,
    /// For a [`TestServer::peer`]: the database another server owns.
    shared_database_url: Option<String>,
    extra_args: Vec<String>,
    process: Mutex<Option<Child>>,
    base_url: Mutex<String>,
    client: reqwest::Client,
}

fn plain_client(headers: reqwest::header::HeaderMap) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .default_headers(headers)
        .build()
        .expect("a plain HTTP client builds")
}

/// One HTTP response, read whole: status, headers, the body text and the body as JSON.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The body as text, whatever its content type.
    pub text: String,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub body: Value,
}

impl Response {
    /// A header's value as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `code` member of a problem document.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// The `errors` array of a problem document (empty when absent).
    pub fn errors(&self) -> Vec<Value> {
        self.body["errors"].as_array().cloned().unwrap_or_default()
    }

    /// The `path` of every entry of `errors`.
    pub fn error_paths(&self) -> Vec<String> {
        self.errors()
            .iter()
            .filter_map(|e| e["path"].as_str().map(str::to_owned))
            .collect()
    }

    /// The `value` array of a list response.
    pub fn values(&self) -> Vec<Value> {
        self.body["value"].as_array().cloned().unwrap_or_default()
    }

    /// Panics with the whole response unless the status is `expected`.
    #[track_caller]
    pub fn expect_status(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status, expected,
            "expected HTTP {expected}, got {}: {}",
            self.status, self.text
        );
        self
    }

    /// Panics unless this is a problem document with the given status and code.
    #[track_caller]
    pub fn expect_problem(&self, status: u16, code: &str) -> &Self {
        self.expect_status(status);
        let content_type = self.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/problem+json"),
            "expected Content-Type application/problem+json, got '{content_type}': {}",
            self.text
        );
        assert_eq!(self.code(), code, "unexpected problem code: {}", self.text);
        self
    }
}

impl TestServer {
    /// Starts `xrm serve` on a fresh data directory (and, for PostgreSQL, a fresh database).
    ///
    /// Panics when PostgreSQL is not reachable; tests that should be skipped instead use
    /// [`TestServer::start_or_skip`] (which the [`both_backends!`] macro does).
    pub async fn start(backend: Backend, extra_args: &[&str]) -> TestServer {
        let unique = unique_suffix();
        let data_dir = std::env::temp_dir().join(format!("xrm-test-{unique}"));
        std::fs::create_dir_all(&data_dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", data_dir.display()));
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                Some(PostgresDatabase::create(&format!("xrm_test_{unique}")).await)
            }
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("a plain HTTP client builds");
        let server = TestServer {
            backend,
            data_dir,
            database,
            shared_database_url: None,
            extra_args: extra_args.iter().map(|s| (*s).to_owned()).collect(),
            process: Mutex::new(None),
            base_url: Mutex::new(String::new()),
            client,
        };
        server.spawn().await;
        let admin = server
            .sign_in("default", ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .client();
        let mut server = server;
        server.client = admin;
        server
    }

    /// A client with no credentials at all.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            server: self,
            client: plain_client(reqwest::header::HeaderMap::new()),
            cookie: None,
        }
    }

    /// The signed-in instance admin's client (what every plain request of this server uses).
    pub fn client(&self) -> reqwest::Client {
        self.client.clone()
    }

    /// Signs a user in through `POST /api/v1/auth/login` and returns a caller that sends
    /// the session cookie and its CSRF token. Panics when sign-in fails.
    pub async fn sign_in(&self, workspace: &str, email: &str, password: &str) -> Caller<'_> {
        let response = self
            .anonymous()
            .post_json(
                "/api/v1/auth/login",
                &serde_json::json!({"workspace": workspace, "email": email, "password": password}),
            )
            .await;
        response.expect_status(200);
        let cookie = response
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .expect("sign-in sets the session cookie")
            .to_owned();
        let csrf = response.body["csrf_token"]
            .as_str()
            .expect("the session has a csrf_token")
            .to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", cookie.parse().expect("a cookie header"));
        headers.insert("x-csrf-token", csrf.parse().expect("a csrf header"));
        Caller {
            server: self,
            client: plain_client(headers),
            cookie: Some(cookie),
        }
    }

    /// A caller that sends an API token.
    pub fn with_token(&self, token: &str) -> Caller<'_> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "authorization",
            format!("Bearer {token}").parse().expect("a token header"),
        );
        Caller {
            server: self,
            client: plain_client(headers),
            cookie: None,
        }
    }

    /// Like [`TestServer::start`], but returns `None` (after saying so on stderr) when the
    /// backend is PostgreSQL and it cannot be reached outside CI. Under `CI=true` it panics.
    pub async fn start_or_skip(backend: Backend, extra_args: &[&str]) -> Option<TestServer> {
        if backend == Backend::Postgres && !postgres_available().await {
            let url = postgres_admin_url();
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("PostgreSQL tests must run in CI, but PostgreSQL is not reachable at {url}");
            }
            eprintln!("SKIPPED: PostgreSQL not reachable at {url}");
            return None;
        }
        Some(TestServer::start(backend, extra_args).await)
    }

    /// A second host on this server's PostgreSQL database, as several stateless hosts run in
    /// production: its own process, port and data directory, the same arguments. The database
    /// stays this server's; the peer only stops its process when dropped.
    pub async fn peer(&self) -> TestServer {
        let database = self
            .database
            .as_ref()
            .expect("hosts share a database only on PostgreSQL");
        let data_dir = std::env::temp_dir().join(format!("xrm-test-{}", unique_suffix()));
        std::fs::create_dir_all(&data_dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", data_dir.display()));
        let peer = TestServer {
            backend: self.backend,
            data_dir,
            database: None,
            shared_database_url: Some(database.url.clone()),
            extra_args: self.extra_args.clone(),
            process: Mutex::new(None),
            base_url: Mutex::new(String::new()),
            client: self.client.clone(),
        };
        peer.spawn().await;
        peer
    }

    /// The flags that point another `xrm` command (`xrm plugin …`, `xrm migrate`) at this
    /// server's data: its data directory and, on PostgreSQL, its database.
    pub fn database_args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), self.data_dir.display().to_string()];
        if let Some(url) = self
            .database
            .as_ref()
            .map(|d| &d.url)
            .or(self.shared_database_url.as_ref())
        {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }

    /// Runs one SQL statement directly on the server's database (bypassing the API), as an
    /// operator with database access could; returns the database's error, if any.
    pub async fn execute_sql(&self, sql: &str) -> Result<(), String> {
        use sqlx::Connection;
        let statement = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()));
        match self
            .database
            .as_ref()
            .map(|d| d.url.clone())
            .or(self.shared_database_url.clone())
        {
            Some(url) => {
                let mut connection = sqlx::postgres::PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                statement
                    .execute(&mut connection)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
            None => {
                let path = self.data_dir.join("xrm.sqlite3");
                let url = format!("sqlite://{}", path.display());
                let mut connection = sqlx::sqlite::SqliteConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                statement
                    .execute(&mut connection)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.base_url.lock().expect("base_url lock").clone()
    }

    /// The absolute URL of a path (which may carry a query string).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// The data directory the server runs on.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Everything the server(s) on this data directory wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr_path()).unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, &[], None).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, &[], None).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, "application/json", &[], body)
            .await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::PUT, path, "application/json", &[], body)
            .await
    }

    /// A JSON Merge Patch (`application/merge-patch+json`).
    pub async fn patch_json(&self, path: &str, body: &Value) -> Response {
        self.send_json(
            Method::PATCH,
            path,
            "application/merge-patch+json",
            &[],
            body,
        )
        .await
    }

    /// Sends a JSON body with the given content type and extra headers (`If-Match`, …).
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Response {
        let mut all_headers = vec![("content-type", content_type)];
        all_headers.extend_from_slice(headers);
        self.send(
            method,
            path,
            &all_headers,
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// Sends raw bytes (or no body) with arbitrary headers, the content type among them.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Response {
        self.send_with(&self.client, method, path, headers, body)
            .await
    }

    async fn send_with(
        &self,
        client: &reqwest::Client,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Response {
        let url = self.url(path);
        let mut request = client.request(method.clone(), &url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap_or_else(|e| {
            panic!(
                "{method} {url} failed: {e}\nserver stderr:\n{}",
                self.stderr_tail()
            )
        });
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: cannot read the body: {e}"));
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response {
            status,
            headers,
            text,
            body,
        }
    }

    /// Installs a built package (see [`package_tar`]) through the API.
    pub async fn install_package(&self, name: &str) -> Response {
        self.send(
            Method::POST,
            "/api/v1/packages",
            &[("content-type", "application/x-tar")],
            Some(package_tar(name)),
        )
        .await
    }

    /// Kills the process with SIGKILL, as a crash would, and waits for it to be gone.
    pub fn kill9(&self) {
        let mut process = self.process.lock().expect("process lock");
        if let Some(mut child) = process.take() {
            // `Child::kill` sends SIGKILL on Unix: no graceful shutdown, no flush.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a new process on the same data directory and database (after stopping the
    /// current one, if it still runs). The port changes; `url()` follows it.
    pub async fn restart(&self) {
        self.kill9();
        self.spawn().await;
    }

    /// The number of records of a type, by `$count=true&$top=1`.
    pub async fn count(&self, type_name: &str) -> u64 {
        let response = self
            .get(&format!("/api/v1/records/{type_name}?$count=true&$top=1"))
            .await;
        response.expect_status(200);
        response.body["count"]
            .as_u64()
            .unwrap_or_else(|| panic!("no count in {}", response.text))
    }

    /// Creates an entity type and panics unless the server answers 201.
    pub async fn create_type(&self, document: &Value) -> Response {
        let response = self.post_json("/api/v1/entity-types", document).await;
        assert_eq!(
            response.status, 201,
            "creating entity type {} failed: {}",
            document["x-xrm"]["name"], response.text
        );
        response
    }

    /// Creates a record and panics unless the server answers 201; returns the record.
    pub async fn create(&self, type_name: &str, record: &Value) -> Value {
        let response = self
            .post_json(&format!("/api/v1/records/{type_name}"), record)
            .await;
        assert_eq!(
            response.status, 201,
            "creating a {type_name} failed: {}",
            response.text
        );
        response.body
    }

    /// `GET /api/v1/records/{type}` with properly encoded query options.
    pub async fn list(&self, type_name: &str, options: &[(&str, &str)]) -> Response {
        self.get(&with_query(
            &format!("/api/v1/records/{type_name}"),
            options,
        ))
        .await
    }

    fn stderr_path(&self) -> PathBuf {
        self.data_dir.join("xrm-stderr.log")
    }

    fn stderr_tail(&self) -> String {
        let text = self.stderr();
        let start = text.len().saturating_sub(8000);
        let start = (start..text.len())
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(text.len());
        text[start..].to_owned()
    }

    /// Spawns `xrm serve` and waits for its listening line.
    async fn spawn(&self) {
        let binary = xrm_binary();
        let stderr_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.stderr_path())
            .unwrap_or_else(|e| panic!("cannot open the stderr log: {e}"));
        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&self.data_dir);
        if let Some(url) = self
            .database
            .as_ref()
            .map(|d| &d.url)
            .or(self.shared_database_url.as_ref())
        {
            command.arg("--database-url").arg(url);
        }
        // The tests install unsigned packages they build themselves; a test of the signature
        // policy says `--allow-unsigned-packages=false`.
        if !self
            .extra_args
            .iter()
            .any(|a| a.starts_with("--allow-unsigned-packages"))
        {
            command.arg("--allow-unsigned-packages");
        }
        command
            .args(&self.extra_args)
            // Settings of the developer's shell must not change what the tests see.
            .env_remove("XRM_CONFIG")
            .env_remove("XRM_DATABASE_URL")
            .env_remove("XRM_DATA_DIR")
            .env_remove("XRM_LISTEN")
            .env_remove("XRM_DEMO")
            .env("XRM_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("XRM_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr_file));
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = mpsc::channel::<Result<String, String>>();
        std::thread::spawn(move || read_listening_line(stdout, sender));
        let outcome = tokio::task::spawn_blocking(move || receiver.recv_timeout(START_TIMEOUT))
            .await
            .expect("the waiting task does not panic");
        match outcome {
            Ok(Ok(base_url)) => {
                *self.base_url.lock().expect("base_url lock") = base_url;
                *self.process.lock().expect("process lock") = Some(child);
            }
            Ok(Err(reason)) => {
                let status = child.wait().ok();
                panic!(
                    "xrm exited before it listened ({reason}; exit status {status:?})\nstderr:\n{}",
                    self.stderr_tail()
                );
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "xrm did not print '{LISTENING_PREFIX}…' within {START_TIMEOUT:?}\nstderr:\n{}",
                    self.stderr_tail()
                );
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
        if let Some(database) = self.database.take() {
            database.drop_now();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Reads the server's stdout until the listening line; then keeps draining it so the server
/// never blocks on a full pipe.
fn read_listening_line(
    stdout: std::process::ChildStdout,
    sender: mpsc::Sender<Result<String, String>>,
) {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => {
                let _ = sender.send(Err("stdout closed".to_owned()));
                return;
            }
            Ok(_) => {
                if let Some(address) = line.trim().strip_prefix(LISTENING_PREFIX) {
                    let _ = sender.send(Ok(format!("http://{address}")));
                    break;
                }
            }
            Err(e) => {
                let _ = sender.send(Err(format!("cannot read stdout: {e}")));
                return;
            }
        }
    }
    let mut sink = Vec::new();
    let _ = reader.read_to_end(&mut sink);
}

/// A name no other test (or test process) uses at the same time, for temp files.
pub fn unique_name() -> String {
    unique_suffix()
}

/// A per-process, per-call, per-instant suffix: `<pid>_<counter>_<nanos>`.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{}_{counter}_{nanos}", std::process::id())
}

/// Where `scripts/build-plugins` leaves package directories: `XRM_PACKAGES_DIR`, or
/// `target/packages` under the workspace root.
pub fn packages_dir() -> PathBuf {
    match std::env::var_os("XRM_PACKAGES_DIR").filter(|p| !p.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("target").join("packages"),
    }
}

/// A built package directory as the tar archive an admin uploads: a shipped one from
/// [`packages_dir`], or one of the test suite's own from `target/test-packages`.
pub fn package_tar(name: &str) -> Vec<u8> {
    let shipped = packages_dir().join(name);
    let dir = if shipped.is_dir() {
        shipped
    } else {
        packages_dir().with_file_name("test-packages").join(name)
    };
    assert!(
        dir.join("xrm-package.json").is_file(),
        "package {} is not built: run scripts/build-plugins first",
        dir.display()
    );
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_dir_all(name, &dir)
        .unwrap_or_else(|e| panic!("cannot archive {}: {e}", dir.display()));
    builder.into_inner().expect("a tar archive in memory")
}

/// A tar archive of the given files, for packages made up in a test.
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, *bytes)
            .expect("a file appends to an in-memory archive");
    }
    builder.into_inner().expect("a tar archive in memory")
}

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `xrm` binary under test: `XRM_BIN`, or `target/debug/xrm` (honouring `CARGO_TARGET_DIR`).
pub fn xrm_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("XRM_BIN").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "XRM_BIN={} is not a file; build it first: cargo build -p xrm-host --bin xrm",
            path.display()
        );
        return path;
    }
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|p| !p.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    };
    let path = target
        .join("debug")
        .join(format!("xrm{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} does not exist; build it first: cargo build -p xrm-host --bin xrm",
        path.display()
    );
    path
}

/// Appends query options to a path, percent-encoding every value (and key).
pub fn with_query(path: &str, options: &[(&str, &str)]) -> String {
    if options.is_empty() {
        return path.to_owned();
    }
    let pairs: Vec<String> = options
        .iter()
        .map(|(key, value)| format!("{}={}", encode_component(key), encode_component(value)))
        .collect();
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}{}", pairs.join("&"))
}

/// Percent-encodes everything but unreserved characters and `$` (kept for readable logs).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~$".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

// PostgreSQL --------------------------------------------------------------------------------

/// The URL the tests use to create and drop their databases.
pub fn postgres_admin_url() -> String {
    std::env::var("XRM_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_ADMIN_URL.to_owned())
}

/// Whether the admin URL accepts a connection within a few seconds.
pub async fn postgres_available() -> bool {
    use sqlx::Connection;
    let url = postgres_admin_url();
    let attempt = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::postgres::PgConnection::connect(&url),
    )
    .await;
    match attempt {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            true
        }
        _ => false,
    }
}

/// The admin URL with its database name replaced (query parameters kept).
fn database_url(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    // `postgres://user@host:port/db`: the database is what follows the third slash.
    let authority_end = base
        .match_indices('/')
        .nth(2)
        .map_or(base.len(), |(index, _)| index);
    let mut url = format!("{}/{database}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// A database created for one test server.
struct PostgresDatabase {
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create(name: &str) -> PostgresDatabase {
        use sqlx::Connection;
        let admin_url = postgres_admin_url();
        let mut connection = sqlx::postgres::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at {admin_url}: {e}"));
        // The name is generated here from digits and underscores, so quoting is enough.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        let _ = connection.close().await;
        PostgresDatabase {
            name: name.to_owned(),
            url: database_url(&admin_url, name),
        }
    }

    /// Drops the database from a thread of its own: `Drop` may run inside a tokio runtime,
    /// where blocking on another runtime is not allowed.
    fn drop_now(self) {
        let name = self.name;
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime builds");
            runtime.block_on(async move {
                use sqlx::Connection;
                let admin_url = postgres_admin_url();
                match sqlx::postgres::PgConnection::connect(&admin_url).await {
                    Ok(mut connection) => {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut connection)
                            .await
                        {
                            eprintln!("warning: cannot drop test database {name}: {e}");
                        }
                        let _ = connection.close().await;
                    }
                    Err(e) => eprintln!("warning: cannot drop test database {name}: {e}"),
                }
            });
        });
        let _ = handle.join();
    }
}

// Shipped entity types ----------------------------------------------------------------------

/// The documents in `<workspace>/entity-schemas/*.json`, by file name.
pub fn shipped_type_documents() -> Vec<(String, Value)> {
    let dir = workspace_root().join("entity-schemas");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let document: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (file, document)
        })
        .collect()
}

/// Orders documents so that every lookup target comes before the types that point at it.
/// Self references and targets outside the set do not constrain the order; among types that
/// are free to go, names sort alphabetically so the order is stable.
pub fn lookup_order(documents: &[(String, Value)]) -> Vec<(String, Value)> {
    let name_of = |document: &Value| -> String {
        document["x-xrm"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let names: BTreeSet<String> = documents.iter().map(|(_, d)| name_of(d)).collect();
    let mut waiting_on: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, document) in documents {
        let name = name_of(document);
        let targets = document["x-xrm"]["lookups"]
            .as_object()
            .map(|lookups| {
                lookups
                    .values()
                    .filter_map(|l| l["target"].as_str().map(str::to_owned))
                    .filter(|t| *t != name && names.contains(t))
                    .collect()
            })
            .unwrap_or_default();
        waiting_on.insert(name, targets);
    }
    let mut ordered = Vec::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    while done.len() < names.len() {
        let ready: Vec<String> = waiting_on
            .iter()
            .filter(|(name, targets)| !done.contains(*name) && targets.is_subset(&done))
            .map(|(name, _)| name.clone())
            .collect();
        // A cycle between types: lookup targets may not exist yet, so any order will do.
        let ready = if ready.is_empty() {
            waiting_on
                .keys()
                .filter(|name| !done.contains(*name))
                .take(1)
                .cloned()
                .collect()
        } else {
            ready
        };
        for name in ready {
            done.insert(name.clone());
            ordered.extend(
                documents
                    .iter()
                    .filter(|(_, d)| name_of(d) == name)
                    .cloned(),
            );
        }
    }
    ordered
}

/// Creates every shipped entity type, lookup targets first; returns their names in that order.
pub async fn load_shipped_types(server: &TestServer) -> Vec<String> {
    let documents = shipped_type_documents();
    assert!(
        !documents.is_empty(),
        "{} holds no *.json entity types",
        workspace_root().join("entity-schemas").display()
    );
    let mut loaded = Vec::new();
    for (file, document) in lookup_order(&documents) {
        let response = server.post_json("/api/v1/entity-types", &document).await;
        assert_eq!(
            response.status, 201,
            "entity-schemas/{file} was refused: {}",
            response.text
        );
        loaded.push(
            document["x-xrm"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    loaded
}

/// Writes one test per backend from one body.
///
/// ```ignore
/// both_backends! {
///     async fn stale_if_match_is_refused_with_412(server: &TestServer) { … }
/// }
/// ```
///
/// generates a module `stale_if_match_is_refused_with_412` with the tests `sqlite` and
/// `postgres`. The PostgreSQL test is skipped (with a note) when PostgreSQL is unreachable
/// outside CI. Extra arguments for `xrm serve` may follow the signature: `args ["--demo"]`.
#[macro_export]
macro_rules! both_backends {
    ($(#[$meta:meta])* async fn $name:ident($server:ident : &TestServer) $(args [$($arg:expr),*])? $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($server: &$crate::TestServer) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let args: &[&str] = &[$($($arg),*)?];
                let server = $crate::TestServer::start($crate::Backend::Sqlite, args).await;
                body(&server).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let args: &[&str] = &[$($($arg),*)?];
                let Some(server) = $crate::TestServer::start_or_skip($crate::Backend::Postgres, args).await else {
                    return;
                };
                body(&server).await;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_only_the_database_name() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "xrm_test_1"),
            "postgres://postgres@127.0.0.1:5432/xrm_test_1"
        );
        assert_eq!(
            database_url("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            database_url("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }

    #[test]
    fn lookup_targets_come_first() {
        let doc = |name: &str, targets: &[&str]| {
            let lookups: serde_json::Map<String, Value> = targets
                .iter()
                .map(|t| (format!("{t}_id"), json!({"target": t})))
                .collect();
            (
                format!("{name}.json"),
                json!({"x-xrm": {"name": name, "lookups": lookups}}),
            )
        };
        let documents = vec![
            doc("activity", &["customer", "contact", "activity"]),
            doc("complaint", &["customer", "product"]),
            doc("contact", &["customer"]),
            doc("customer", &["customer"]),
            doc("product", &[]),
            doc("elsewhere", &["not_shipped"]),
        ];
        let order: Vec<String> = lookup_order(&documents)
            .iter()
            .map(|(_, d)| d["x-xrm"]["name"].as_str().unwrap().to_owned())
            .collect();
        let position = |n: &str| order.iter().position(|o| o == n).unwrap();
        assert_eq!(order.len(), 6);
        assert!(position("customer") < position("contact"));
        assert!(position("contact") < position("activity"));
        assert!(position("product") < position("complaint"));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            with_query("/r", &[("$filter", "name eq 'a b'&x"), ("$top", "5")]),
            "/r?$filter=name%20eq%20%27a%20b%27%26x&$top=5"
        );
    }
}
