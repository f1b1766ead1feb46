//! A fresh, empty database per test, for each engine: SQLite in a temporary directory,
//! PostgreSQL from `TEST_POSTGRES_URL` and MySQL from `TEST_MYSQL_URL` (a uniquely named
//! database created on that server and dropped afterwards, best effort). When a URL is absent
//! the test prints a `SKIPPED:` line and returns; it never passes as if it had run. With
//! `SPENDBOT_TEST_REQUIRE_ENGINES` set (CI sets it), a missing URL fails the test instead.
//!
//! Use [`each_engine!`] to turn one async story `fn(String)` (taking the database URL) into one
//! `#[tokio::test]` per engine.

#![allow(dead_code, reason = "helpers are shared by several test files")]

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

/// The three engines a story runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
    MySql,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
            Engine::MySql => "mysql",
        }
    }

    fn env_var(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("TEST_POSTGRES_URL"),
            Engine::MySql => Some("TEST_MYSQL_URL"),
        }
    }
}

/// A database that exists for one test. Dropping it removes it (best effort).
pub struct TestDb {
    pub engine: Engine,
    /// The URL to give `Store::connect` (or `DATABASE_URL`).
    pub url: String,
    admin_url: Option<String>,
    pub name: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "spendbot_test_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `scheme://user@host:port/db?params` with the database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestDb {
    /// A fresh database on `engine`, or `None` (after printing why) when the engine's URL is
    /// not set.
    pub async fn new(engine: Engine, story: &str) -> Option<TestDb> {
        let name = unique_name();
        let Some(var) = engine.env_var() else {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("spendbot.db").display()
            );
            println!("{story}: ran against sqlite");
            return Some(TestDb {
                engine,
                url,
                admin_url: None,
                name,
                _dir: Some(dir),
            });
        };
        let Some(admin_url) = std::env::var(var).ok().filter(|u| !u.trim().is_empty()) else {
            // CI sets this so that a missing server fails the run instead of skipping quietly.
            if std::env::var_os("SPENDBOT_TEST_REQUIRE_ENGINES").is_some() {
                panic!(
                    "{story} must run against {} but {var} is not set",
                    engine.name()
                );
            }
            println!(
                "SKIPPED: {story} not run against {} (set {var})",
                engine.name()
            );
            return None;
        };
        let sql = match engine {
            Engine::Postgres => format!("CREATE DATABASE \"{name}\""),
            _ => {
                format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            }
        };
        admin_execute(engine, &admin_url, &sql)
            .await
            .unwrap_or_else(|e| panic!("cannot create a test database with {var}: {e}"));
        println!("{story}: ran against {}", engine.name());
        Some(TestDb {
            engine,
            url: with_database(&admin_url, &name),
            admin_url: Some(admin_url),
            name,
            _dir: None,
        })
    }
}

pub async fn admin_execute(engine: Engine, url: &str, sql: &str) -> Result<(), sqlx::Error> {
    match engine {
        Engine::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await?;
            sqlx::raw_sql(sql).execute(&mut c).await?;
            c.close().await
        }
        Engine::MySql => {
            let mut c = sqlx::MySqlConnection::connect(url).await?;
            sqlx::raw_sql(sql).execute(&mut c).await?;
            c.close().await
        }
        Engine::Sqlite => Ok(()),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin_url) = self.admin_url.take() else {
            return;
        };
        let engine = self.engine;
        let sql = match engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS `{}`", self.name),
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread with
        // its own small runtime.
        let handle = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            if let Err(e) = rt.block_on(admin_execute(engine, &admin_url, &sql)) {
                eprintln!("could not drop a test database: {e}");
            }
        });
        let _ = handle.join();
    }
}

/// One `#[tokio::test]` per engine for each story: `each_engine!(story_name);` defines a module
/// `story_name` with `on_sqlite`, `on_postgres` and `on_mysql`, each calling
/// `story_name(url).await` on a fresh database.
#[macro_export]
macro_rules! each_engine {
    ($($story:ident),* $(,)?) => {
        $(
            mod $story {
                use $crate::test_db::{Engine, TestDb};

                async fn run(engine: Engine) {
                    let Some(db) = TestDb::new(engine, stringify!($story)).await else { return };
                    super::$story(db.url.clone()).await;
                    drop(db);
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    run(Engine::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    run(Engine::Postgres).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_mysql() {
                    run(Engine::MySql).await;
                }
            }
        )*
    };
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("mysql://root@127.0.0.1:3306/test?ssl-mode=disabled", "x"),
        "mysql://root@127.0.0.1:3306/x?ssl-mode=disabled"
    );
    assert_eq!(
        with_database("mysql://root@127.0.0.1:3306", "x"),
        "mysql://root@127.0.0.1:3306/x"
    );
}
