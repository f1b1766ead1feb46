//! Opening a store (the URL's scheme picks the engine; SQLite gets its two pools and the
//! group-commit writer), migrating it with the migrations `build.rs` embeds, pinging, closing,
//! and beginning, committing and rolling back a write transaction. Never logs a URL: it may
//! hold a password.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use backon::{ConstantBuilder, ExponentialBuilder, Retryable as _};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::sql::{Sql, execute, fetch, sql, within};
use super::{SqlitePools, Store, StoreError, Tx, TxInner, sqlite_writer};

/// How long connecting, or waiting for a free connection, may take before the database counts
/// as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Readers of SQLite: one per core. Each connection is a thread of its own; more threads than
/// cores only add context switches, which dominate the cost of a statement.
fn sqlite_readers() -> u32 {
    std::thread::available_parallelism()
        .map_or(2, |n| u32::try_from(n.get()).unwrap_or(8))
        .clamp(2, 8)
}
/// How long a writer waits for its turn at SQLite's single writing connection.
const SQLITE_WRITE_WAIT: Duration = Duration::from_secs(30);
/// How long SQLite waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The embedded migrations of one engine, in version order: (version, description, SQL).
fn migrator(migrations: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    Migrator {
        migrations: Cow::Owned(
            migrations
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect(),
        ),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    }
}

/// The named lock MySQL and MariaDB migrators take, and how long one waits for another.
const MYSQL_MIGRATION_LOCK: &str = "spendbot_migrations";
const MYSQL_MIGRATION_WAIT_SECS: i64 = 60;

/// MySQL's migrations under a named lock held on the connection that runs them. sqlx's own
/// lock asks `GET_LOCK(name, -1)`, which MariaDB answers at once with NULL (no lock taken), so
/// two replicas starting on a fresh database would both migrate and one would fail halfway.
async fn migrate_mysql(pool: &sqlx::MySqlPool) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
        .bind(MYSQL_MIGRATION_LOCK)
        .bind(MYSQL_MIGRATION_WAIT_SECS)
        .fetch_one(&mut *conn)
        .await?;
    if locked != Some(1) {
        return Err(StoreError::Other(
            format!(
                "another migrator held the migration lock for over {MYSQL_MIGRATION_WAIT_SECS} s"
            )
            .into(),
        ));
    }
    let mut migrator = migrator(migrations::MYSQL);
    migrator.set_locking(false);
    let ran = migrator.run(&mut *conn).await;
    // Released before the connection goes back to the pool (a lock lives with its connection).
    let released = sqlx::query("SELECT RELEASE_LOCK(?)")
        .bind(MYSQL_MIGRATION_LOCK)
        .execute(&mut *conn)
        .await;
    ran?;
    released?;
    Ok(())
}

/// Every engine's migrations, listed by `build.rs` from `migrations/<engine>/` (which fails
/// the build when the engines' versions differ).
mod migrations {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

impl Store {
    /// Connects to `url` (`sqlite:…`, `postgres://…`, `postgresql://…`, `mysql://…` or
    /// `mariadb://…`). Fails promptly (within about five seconds) when the database is down.
    #[tracing::instrument(skip_all, fields(engine))]
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        tracing::Span::current().record("engine", scheme.as_str());
        match scheme.as_str() {
            "sqlite" => connect_sqlite(url).await,
            "postgres" | "postgresql" => {
                // A custom plan per execution: after five runs PostgreSQL would otherwise settle
                // on a generic plan that assumes every account is small, and read a large
                // account's whole history to list one page of it.
                let options = PgConnectOptions::from_str(url)?
                    .options([("plan_cache_mode", "force_custom_plan")]);
                let pool = PgPoolOptions::new()
                    .acquire_timeout(CONNECT_TIMEOUT)
                    // No ping before each use: a connection the server dropped fails its
                    // statement, which the store answers as unavailable, like any outage.
                    .test_before_acquire(false)
                    .connect_with(options)
                    .await?;
                Ok(Store::Postgres(pool))
            }
            "mysql" | "mariadb" => {
                let url = match url.strip_prefix("mariadb") {
                    Some(rest) => Cow::Owned(format!("mysql{rest}")),
                    None => Cow::Borrowed(url),
                };
                let options = MySqlConnectOptions::from_str(&url)?.charset("utf8mb4");
                let pool = MySqlPoolOptions::new()
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .test_before_acquire(false)
                    .connect_with(options)
                    .await?;
                Ok(Store::MySql(pool))
            }
            // Only the scheme is named: the rest of the URL may hold a password.
            other => Err(StoreError::other(format!(
                "unsupported database URL scheme {other:?}: use sqlite:, postgres:// or mysql://"
            ))),
        }
    }

    /// Whether every migration of this engine is recorded as applied. Any doubt (no
    /// migrations table yet, a failed migration, a read error) says no, and the migrator then
    /// decides (and reports) with its own checks.
    async fn up_to_date(&self) -> bool {
        const APPLIED: Sql =
            sql!("SELECT version, checksum FROM _sqlx_migrations WHERE success = TRUE");
        let (mut conn, wanted) = match self {
            Store::Sqlite(_) => (self.reader().await, migrations::SQLITE),
            Store::Postgres(_) => (self.reader().await, migrations::POSTGRES),
            Store::MySql(_) => (self.reader().await, migrations::MYSQL),
        };
        let Ok(conn) = conn.as_mut() else {
            return false;
        };
        let applied: Result<Vec<(i64, Vec<u8>)>, _> = fetch!(conn.conn(), fetch_all, APPLIED);
        let Ok(applied) = applied else {
            return false;
        };
        // Each migration applied, and applied as it reads now (an edited one is the migrator's
        // to report).
        migrator(wanted).migrations.iter().all(|m| {
            applied
                .iter()
                .any(|(v, checksum)| *v == m.version && checksum.as_slice() == &*m.checksum)
        })
    }

    /// `"sqlite"`, `"postgres"` or `"mysql"`.
    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
            Store::MySql(_) => "mysql",
        }
    }

    /// Applies pending migrations. Running it again is a no-op; concurrent migrators serialise:
    /// on PostgreSQL on sqlx's advisory lock, on MySQL on a named lock taken here.
    #[tracing::instrument(skip_all, fields(engine = self.engine()))]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if self.up_to_date().await {
            // Nothing to apply, so no DDL at all: the service may run as a database role that
            // can only read and write rows, with migrations applied by the schema's owner.
            return Ok(());
        }
        match self {
            Store::Sqlite(p) => {
                // SQLite has no migration lock. A racing migrator of a fresh file either waits
                // on the busy timeout or fails on the migrations table; once the other is done
                // a second attempt finds everything applied.
                let policy = ConstantBuilder::default()
                    .with_delay(Duration::from_millis(100))
                    .with_max_times(3);
                let migrator = migrator(migrations::SQLITE);
                (|| migrator.run(&p.write))
                    .retry(policy)
                    .notify(|e, _| tracing::warn!(error = %e, "retrying SQLite migration"))
                    .await
                    .map_err(|e| StoreError::Other(Box::new(e)))?;
            }
            Store::Postgres(p) => migrator(migrations::POSTGRES).run(p).await?,
            Store::MySql(p) => migrate_mysql(p).await?,
        }
        Ok(())
    }

    /// Succeeds when the database answers a trivial query.
    #[tracing::instrument(skip_all, level = "debug", fields(engine = self.engine()))]
    pub async fn ping(&self) -> Result<(), StoreError> {
        const PING: Sql = sql!("SELECT 1");
        execute!(self.reader().await?.conn(), PING)?;
        Ok(())
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(p) => {
                p.write.close().await;
                p.read.close().await;
            }
            Store::Postgres(p) => p.close().await,
            Store::MySql(p) => p.close().await,
        }
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing when a
    /// read turns into a write.
    #[tracing::instrument(skip_all, level = "debug", fields(engine = self.engine()))]
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        // A begin waits its turn for SQLite's one writer (the pool's own timeout bounds that)
        // and is then bounded like any statement.
        Ok(Tx(match self {
            Store::Sqlite(p) => TxInner::Sqlite(p.write.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(p) => TxInner::Postgres(within(p.begin()).await?),
            Store::MySql(p) => TxInner::MySql(within(p.begin()).await?),
        }))
    }
}

/// SQLite's two pools over one file (one pool when the database is in memory) and the writer
/// task of its group commit.
/// SQLite's "database is busy" or "locked" (codes 5 and 6).
fn sqlite_locked(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("5" | "6")))
}

async fn connect_sqlite(url: &str) -> Result<Store, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    // Every connection to an in-memory database is a database of its own: keep one.
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    // Two processes opening a fresh file at once both switch it to WAL, which takes the file
    // alone and is not covered by the busy timeout: the one that loses retries.
    let policy = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(50))
        .with_max_times(6)
        .with_jitter();
    let write = (|| {
        SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(SQLITE_WRITE_WAIT)
            // A file needs no ping: the connection is in this process.
            .test_before_acquire(false)
            .connect_with(options.clone())
    })
    .retry(policy)
    .when(sqlite_locked)
    .await?;
    let read = if in_memory {
        write.clone()
    } else {
        SqlitePoolOptions::new()
            .max_connections(sqlite_readers())
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options.read_only(true))
            .await?
    };
    let recorder = sqlite_writer::Writer::spawn(write.clone());
    Ok(Store::Sqlite(SqlitePools {
        read,
        write,
        recorder,
    }))
}

impl Tx {
    /// Makes every change of the transaction durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.0 {
            TxInner::Sqlite(t) => within(t.commit()).await?,
            TxInner::Postgres(t) => within(t.commit()).await?,
            TxInner::MySql(t) => within(t.commit()).await?,
        }
        Ok(())
    }

    /// Undoes every change of the transaction.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.0 {
            TxInner::Sqlite(t) => within(t.rollback()).await?,
            TxInner::Postgres(t) => within(t.rollback()).await?,
            TxInner::MySql(t) => within(t.rollback()).await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_schemes_are_refused_without_echoing_the_url() {
        let err = Store::connect("redis://user:secret@host/db").await.err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("unsupported database URL scheme"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }

    #[tokio::test]
    async fn an_unreachable_database_is_unavailable_promptly() {
        let started = std::time::Instant::now();
        let (pg, my) = tokio::join!(
            Store::connect("postgres://nobody@127.0.0.1:1/x"),
            Store::connect("mysql://nobody@127.0.0.1:1/x"),
        );
        assert!(matches!(pg, Err(StoreError::Unavailable(_))), "{pg:?}");
        assert!(matches!(my, Err(StoreError::Unavailable(_))), "{my:?}");
        assert!(started.elapsed() < Duration::from_secs(8));
    }

    #[tokio::test]
    async fn sqlite_migrates_twice_and_answers_pings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("first migration");
        store.migrate().await.expect("second migration is a no-op");
        store.ping().await.expect("ping");
        assert_eq!(store.engine(), "sqlite");
    }
}
