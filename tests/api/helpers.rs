//! Test helpers: [`spawn_app`] starts the real service in-process on port 0 over a fresh
//! SQLite file, exactly the way `main` does; [`spendbot`] runs the real binary with a given
//! environment and stdin. Only remote platforms are ever faked, never our own code.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use spendbot::settings::Settings;
use spendbot::startup::{self, AppState};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a run of the binary may take before the helper kills it.
const BINARY_TIMEOUT: Duration = Duration::from_secs(60);

/// A running service. Dropping it asks the service to stop.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: TempDir,
}

impl TestApp {
    /// The full URL of `path` on this app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `GET path`, returning the status and the body.
    pub async fn get(&self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let response = reqwest::get(self.url(path)).await.expect("the app answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.text().await.expect("a text body"), headers)
    }

    /// Signals shutdown and waits until the server has stopped; returns what `serve` returned.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(handle) => tokio::time::timeout(Duration::from_secs(15), handle)
                .await
                .expect("the server stops within 15 s")
                .expect("the server task does not panic"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Settings for a test: the defaults plus `pairs`, never the process environment.
pub fn settings_with(pairs: &[(&str, &str)]) -> Settings {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::from_env(&env).expect("test settings are valid")
}

/// A SQLite URL for a new database file in `dir`.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("spendbot.db").display())
}

/// Starts the service on 127.0.0.1:0 over a fresh SQLite file, through `startup` like `main`.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(dir.path());
    let settings = settings_with(&[("DATABASE_URL", &url), ("SPENDBOT_LOG", "warn")]);
    let state = startup::build_state(settings)
        .await
        .expect("the app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port on localhost");
    let addr: SocketAddr = listener.local_addr().expect("a local address");
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(startup::serve(state.clone(), listener, async move {
        let _ = rx.await;
    }));
    TestApp {
        address: format!("http://{addr}"),
        state,
        shutdown: Some(tx),
        server: Some(server),
        _dir: dir,
    }
}

/// [`spawn_app`] with `pairs` added to the settings (they win over the test defaults).
pub async fn spawn_app_with(pairs: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(dir.path());
    let mut all: Vec<(&str, &str)> = vec![("DATABASE_URL", &url), ("SPENDBOT_LOG", "warn")];
    all.extend_from_slice(pairs);
    let state = startup::build_state(settings_with(&all))
        .await
        .expect("the app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port on localhost");
    let addr: SocketAddr = listener.local_addr().expect("a local address");
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(startup::serve(state.clone(), listener, async move {
        let _ = rx.await;
    }));
    TestApp {
        address: format!("http://{addr}"),
        state,
        shutdown: Some(tx),
        server: Some(server),
        _dir: dir,
    }
}

/// Starts the service like [`spawn_app_with`], but binds first so that `SPENDBOT_PUBLIC_URL` is
/// the app's own address (links in emails then lead back to it), over `database_url` when
/// given (a fresh SQLite file otherwise).
pub async fn spawn_app_at(pairs: &[(&str, &str)], database_url: Option<&str>) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = match database_url {
        Some(u) => u.to_owned(),
        None => sqlite_url(dir.path()),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port on localhost");
    let addr: SocketAddr = listener.local_addr().expect("a local address");
    let public = format!("http://{addr}");
    let mut all: Vec<(&str, &str)> = vec![
        ("DATABASE_URL", &url),
        ("SPENDBOT_LOG", "warn"),
        ("SPENDBOT_PUBLIC_URL", &public),
    ];
    all.extend_from_slice(pairs);
    let state = startup::build_state(settings_with(&all))
        .await
        .expect("the app builds");
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(startup::serve(state.clone(), listener, async move {
        let _ = rx.await;
    }));
    TestApp {
        address: public,
        state,
        shutdown: Some(tx),
        server: Some(server),
        _dir: dir,
    }
}

/// What a run of the binary printed, and how it ended.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Asserts a failure reported as exactly one `error: …` line, without a panic.
    pub fn assert_one_line_error(&self) {
        assert!(!self.status.success(), "expected a failure: {self:?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line on stderr: {self:?}");
        assert!(lines[0].starts_with("error: "), "{self:?}");
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("backtrace"),
            "{self:?}"
        );
    }
}

/// A directory to run the binary in, so a default `spendbot.db` never lands in the clone.
pub fn workdir() -> TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// The real binary, with only `env` as its environment (plus `PATH`), run in `dir`.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spendbot"));
    cmd.args(args).current_dir(dir).env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.envs(env.iter().copied());
    cmd
}

/// Runs the binary to completion with `stdin` piped in; kills it after a minute.
pub fn spendbot(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let mut child = command(dir, args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut pipe = child.stdin.take().expect("a stdin pipe");
    let input = stdin.to_vec();
    // A separate writer keeps a large input from deadlocking against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let pid = child.id().to_string();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(BINARY_TIMEOUT).is_err() {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
    });
    let output = child.wait_with_output().expect("the binary runs");
    let _ = done_tx.send(());
    let _ = writer.join();
    let _ = watchdog.join();
    Output {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A port that was free a moment ago, for a binary that must bind a known address.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
