//! Persistence: one [`Store`] over SQLite, PostgreSQL or MySQL, the embedded migrations of
//! each engine, and [`Tx`], a write transaction. Each operation is one `match` over the engine
//! and calls that engine's own SQL (in `sqlite.rs`, `postgres.rs`, `mysql.rs`), always with
//! bound parameters. Rows are turned into domain types here.
//!
//! This module holds no business rule of its own: which thresholds a recording crossed is
//! [`crossed_thresholds`] of the domain, applied here only because the sums are read inside the
//! recording's transaction; which limits and periods to check, and who may see what, are the
//! ledger's. It never builds SQL from user text, and never logs note text or credentials.

mod mysql;
mod postgres;
mod rows;
mod sqlite;
mod sqlite_writer;

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{MySql, Postgres, Sqlite, Transaction};

use crate::domain::{
    Account, AccountId, Category, ChatIdentity, Currency, DateRange, Entry, EntryId, EntryKind,
    IdentityId, Limit, LimitId, LimitPeriod, Money, NewEntry, NewLimit, Note, Threshold,
    crossed_thresholds,
};

use rows::{AccountRow, AlertRow, EntryRow, LimitRow};
pub use rows::{
    EmailCodeRow, FailureRow, LinkCodeRow, LinkedIdentityRow, LoginRow, TotalRow, WebSessionRow,
    WebTokenRow,
};

/// How long connecting, or waiting for a free connection, may take before the database counts
/// as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections serve concurrent reads under WAL.
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

/// Why a store operation failed: only what a caller branches on, plus one opaque case.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (connection, pool or I/O trouble).
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A unique key already holds this value.
    #[error("a row with this key already exists")]
    Conflict,
    #[error("no such row")]
    NotFound,
    #[error("database error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    fn other(message: impl Into<String>) -> Self {
        Self::Other(message.into().into())
    }

    /// Whether the database gave up this transaction to break a deadlock (or a serialization
    /// conflict): running it again is safe.
    fn is_deadlock(&self) -> bool {
        let Self::Other(e) = self else { return false };
        let Some(sqlx::Error::Database(db)) = e.downcast_ref::<sqlx::Error>() else {
            return false;
        };
        matches!(db.code().as_deref(), Some("1213" | "40001" | "40P01"))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        match e {
            sqlx::migrate::MigrateError::Execute(e) => map_sqlx(e),
            other => Self::Other(Box::new(other)),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        map_sqlx(e)
    }
}

/// The one place that decides what an sqlx error means to callers.
fn map_sqlx(e: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match e {
        E::RowNotFound => StoreError::NotFound,
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
            StoreError::Unavailable(e)
        }
        E::Database(ref db) if db.is_unique_violation() => StoreError::Conflict,
        E::Database(ref db) if is_unavailable_code(db.code().as_deref()) => {
            StoreError::Unavailable(e)
        }
        E::Migrate(m) => StoreError::Other(m),
        other => StoreError::Other(Box::new(other)),
    }
}

/// Database error codes that mean "down or overloaded" rather than "this statement is wrong":
/// SQLite busy/locked/IO/cannot-open, PostgreSQL connection and shutdown classes, MySQL
/// connection-lost and too-many-connections.
fn is_unavailable_code(code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    matches!(
        code,
        "5" | "6" | "10" | "14" | "261" | "517" | "1040" | "2002" | "2006" | "2013"
    ) || code.starts_with("08")
        || code.starts_with("57P")
}

/// SQLite's two pools. SQLite lets one writer in at a time; with a single writing connection,
/// writers wait their turn in the pool's queue instead of sleeping in SQLite's busy handler,
/// which under load costs far more than the writes themselves. Readers never wait (WAL).
#[derive(Clone, Debug)]
pub struct SqlitePools {
    read: SqlitePool,
    write: SqlitePool,
    /// Recordings go through one task that commits them in groups (see `sqlite_writer`).
    recorder: sqlite_writer::Writer,
}

impl SqlitePools {
    async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<Sqlite>, sqlx::Error> {
        self.read.acquire().await
    }
}

/// One store over one of the three engines. Cheap to clone (it holds a pool).
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePools),
    Postgres(PgPool),
    MySql(MySqlPool),
}

/// A write transaction. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx(TxInner);

enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
    MySql(Transaction<'static, MySql>),
}

/// Runs `$f` of the right engine module on a connection taken from the pool.
macro_rules! read {
    ($store:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $store {
            Store::Sqlite(p) => {
                let mut c = p.acquire().await?;
                sqlite::$f(&mut c, $($arg),*).await?
            }
            Store::Postgres(p) => {
                let mut c = p.acquire().await?;
                postgres::$f(&mut c, $($arg),*).await?
            }
            Store::MySql(p) => {
                let mut c = p.acquire().await?;
                mysql::$f(&mut c, $($arg),*).await?
            }
        }
    };
}

/// Like `read!`, for a single statement that writes: on SQLite it takes the writing connection.
macro_rules! write {
    ($store:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $store {
            Store::Sqlite(p) => {
                let mut c = p.write.acquire().await?;
                sqlite::$f(&mut c, $($arg),*).await?
            }
            Store::Postgres(p) => {
                let mut c = p.acquire().await?;
                postgres::$f(&mut c, $($arg),*).await?
            }
            Store::MySql(p) => {
                let mut c = p.acquire().await?;
                mysql::$f(&mut c, $($arg),*).await?
            }
        }
    };
}

/// Runs `$f` of the right engine module inside the transaction.
macro_rules! in_tx {
    ($tx:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match &mut $tx.0 {
            TxInner::Sqlite(t) => sqlite::$f(&mut **t, $($arg),*).await?,
            TxInner::Postgres(t) => postgres::$f(&mut **t, $($arg),*).await?,
            TxInner::MySql(t) => mysql::$f(&mut **t, $($arg),*).await?,
        }
    };
}

// After the macros, which it uses with its own engine modules.
mod web;

/// Which setting of an account to change.
#[derive(Debug, Clone, Copy)]
pub enum AccountSetting<'a> {
    Currency(Currency),
    Timezone(chrono_tz::Tz),
    Language(&'a str),
}

/// What to list: every field narrows the result.
#[derive(Debug, Clone)]
pub struct EntryFilter<'a> {
    pub range: Option<DateRange>,
    pub category: Option<&'a Category>,
    pub kind: Option<EntryKind>,
    /// Substring of note or category, any case.
    pub text: Option<&'a str>,
    pub limit: u32,
    pub offset: u32,
}

/// A conversation state waiting for an answer.
#[derive(Debug, Clone)]
pub struct Pending {
    pub payload: String,
    pub expires_at: DateTime<Utc>,
}

/// The identity and account a chat identity maps to.
#[derive(Debug, Clone)]
pub struct Member {
    pub identity_id: IdentityId,
    pub account: Account,
    /// Marked unreachable (the person blocked the bot or closed their messages).
    pub unreachable: bool,
}

/// A sum of expenses to read once a recording's entries are in: in one currency, in one
/// category or all, over a range of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentQuery {
    pub currency: Currency,
    pub category: Option<Category>,
    pub range: DateRange,
}

/// Entries to record in one transaction, with the platform event they come from.
#[derive(Debug, Clone, Copy)]
pub struct NewRecording<'a> {
    pub account: AccountId,
    pub by: Option<IdentityId>,
    /// The platform event's key: when it was applied before, nothing changes.
    pub event: Option<&'a str>,
    pub entries: &'a [NewEntry],
    pub source_message: Option<&'a str>,
    pub now: DateTime<Utc>,
    /// Read in the same transaction, after the entries went in.
    pub sums: &'a [SpentQuery],
    /// Thresholds to check against those sums: each that the recording passed gets an outbox
    /// row in the same transaction (once per limit, period and threshold, ever).
    pub alerts: &'a [AlertCheck],
}

/// One limit in one period whose thresholds a recording may cross. Once the recording's sums
/// are read, the recording went from `after - added` to `after`, where `after` is `sums[sum]`;
/// for each threshold that [`crossed_thresholds`] says this crossed, an outbox row (limit,
/// `period_from`, threshold) is inserted unless one exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertCheck {
    pub limit: LimitId,
    pub period_from: NaiveDate,
    /// The index of the period's sum in [`NewRecording::sums`].
    pub sum: usize,
    /// What the recording's entries add to that sum (minor units).
    pub added: i64,
    pub limit_minor: i64,
}

impl AlertCheck {
    /// The thresholds crossed, given the recording's sums.
    fn crossed(&self, sums: &[i64]) -> Result<impl Iterator<Item = Threshold>, StoreError> {
        let after = sums
            .get(self.sum)
            .copied()
            .ok_or_else(|| StoreError::other("an alert check names no sum"))?;
        Ok(crossed_thresholds(
            self.limit_minor,
            after.saturating_sub(self.added),
            after,
        ))
    }
}

/// An outbox row as claimed, with its account and (for limit alerts) its limit.
#[derive(Debug, Clone)]
pub struct ClaimedAlert {
    pub id: i64,
    pub account: Account,
    /// `"limit"` or `"email_code"`.
    pub kind: String,
    /// `None` for email codes (or when the limit vanished after the claim).
    pub limit: Option<Limit>,
    pub period_from: Option<NaiveDate>,
    pub threshold: Option<i16>,
    pub payload: Option<String>,
    pub attempts: i32,
}

/// The account's email address as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    pub email: String,
    pub verified: bool,
    pub alerts_on: bool,
}

/// What [`Store::record`] did.
#[derive(Debug, Clone)]
pub enum RecordingOutcome {
    /// The entries as stored, and the sums (minor units) in the order asked.
    Recorded { entries: Vec<Entry>, sums: Vec<i64> },
    /// The event was applied before; nothing changed.
    Duplicate,
}

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

/// Every engine's migrations, listed by `build.rs` from `migrations/<engine>/` (which fails
/// the build when the engines' versions differ).
mod migrations {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// The days the store filters by when a query names no range: the range every engine's DATE
/// type holds (and that SQLite's text dates compare correctly within).
fn whole_time() -> DateRange {
    let from = NaiveDate::from_ymd_opt(1000, 1, 1).unwrap_or(NaiveDate::MIN);
    let to = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    DateRange { from, to }
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
            "sqlite" => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT);
                // Every connection to an in-memory database is a database of its own: keep one.
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(SQLITE_WRITE_WAIT)
                    .connect_with(options.clone())
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
            "postgres" | "postgresql" => {
                let options = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .acquire_timeout(CONNECT_TIMEOUT)
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

    /// `"sqlite"`, `"postgres"` or `"mysql"`.
    pub fn engine(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
            Store::MySql(_) => "mysql",
        }
    }

    /// Applies pending migrations. Running it again is a no-op; concurrent migrators of
    /// PostgreSQL and MySQL serialise on sqlx's database lock.
    #[tracing::instrument(skip_all, fields(engine = self.engine()))]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(p) => {
                // SQLite has no migration lock. A racing migrator of a fresh file either waits
                // on the busy timeout or fails on the migrations table; once the other is done
                // a second attempt finds everything applied.
                let mut attempt = 0;
                loop {
                    match migrator(migrations::SQLITE).run(&p.write).await {
                        Ok(()) => return Ok(()),
                        Err(e) if attempt < 3 => {
                            attempt += 1;
                            tracing::warn!(error = %e, attempt, "retrying SQLite migration");
                            tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                        }
                        Err(e) => return Err(StoreError::Other(Box::new(e))),
                    }
                }
            }
            Store::Postgres(p) => migrator(migrations::POSTGRES).run(p).await?,
            Store::MySql(p) => migrator(migrations::MYSQL).run(p).await?,
        }
        Ok(())
    }

    /// Succeeds when the database answers a trivial query.
    #[tracing::instrument(skip_all, level = "debug", fields(engine = self.engine()))]
    pub async fn ping(&self) -> Result<(), StoreError> {
        read!(self, ping());
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
        Ok(Tx(match self {
            Store::Sqlite(p) => TxInner::Sqlite(p.write.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(p) => TxInner::Postgres(p.begin().await?),
            Store::MySql(p) => TxInner::MySql(p.begin().await?),
        }))
    }

    /// Records the event, the entries and reads the sums in one transaction: all of it or
    /// nothing. On SQLite, concurrent recordings share a transaction (group commit), each
    /// still all or nothing on its own; elsewhere each has its own transaction.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %r.account))]
    pub async fn record(&self, r: &NewRecording<'_>) -> Result<RecordingOutcome, StoreError> {
        let Store::Sqlite(p) = self else {
            return record_in_tx(self, r).await;
        };
        let recording = sqlite_writer::Recording {
            account_id: r.account.0,
            event: r.event.map(str::to_owned),
            now: r.now,
            recorded_by: r.by.map(|i| i.0),
            source_message: r.source_message.map(str::to_owned),
            entries: r
                .entries
                .iter()
                .map(|e| sqlite_writer::EntryValues {
                    kind: e.kind.as_str(),
                    amount_minor: e.money.minor_units(),
                    currency: e.money.currency().code().to_owned(),
                    category: e.category.as_str().to_owned(),
                    note: e.note.as_ref().map(|n| n.as_str().to_owned()),
                    occurred_on: e.occurred_on,
                })
                .collect(),
            sums: r
                .sums
                .iter()
                .map(|s| sqlite_writer::SumValues {
                    currency: s.currency.code().to_owned(),
                    category: s.category.as_ref().map(|c| c.as_str().to_owned()),
                    from: s.range.from,
                    to: s.range.to,
                })
                .collect(),
            alerts: r.alerts.to_vec(),
        };
        let Some((ids, sums)) = p.recorder.record(recording).await? else {
            return Ok(RecordingOutcome::Duplicate);
        };
        if ids.len() != r.entries.len() {
            return Err(StoreError::other("the store returned too few entry ids"));
        }
        let entries = r
            .entries
            .iter()
            .zip(ids)
            .map(|(e, id)| stored_entry(e, EntryId(id), r.account, r.by, r.now))
            .collect();
        Ok(RecordingOutcome::Recorded { entries, sums })
    }

    /// The identity and account of a chat identity, if it was seen before.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn member(&self, identity: &ChatIdentity) -> Result<Option<Member>, StoreError> {
        let row = read!(
            self,
            member(identity.platform().as_str(), identity.external_id())
        );
        row.map(rows::MemberRow::into_member).transpose()
    }

    /// Marks a chat identity reachable or not; `false` when the identity is unknown.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn set_reachable(
        &self,
        identity: &ChatIdentity,
        reachable: bool,
    ) -> Result<bool, StoreError> {
        let changed = write!(
            self,
            set_unreachable(
                identity.platform().as_str(),
                identity.external_id(),
                !reachable
            )
        );
        Ok(changed > 0)
    }

    /// Whether a chat identity is marked reachable; `None` when it is unknown.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn reachable(&self, identity: &ChatIdentity) -> Result<Option<bool>, StoreError> {
        let unreachable = read!(
            self,
            unreachable(identity.platform().as_str(), identity.external_id())
        );
        Ok(unreachable.map(|u| !u))
    }

    #[tracing::instrument(skip_all, level = "debug", fields(account = %id))]
    pub async fn account(&self, id: AccountId) -> Result<Account, StoreError> {
        read!(self, account(id.0))
            .ok_or(StoreError::NotFound)?
            .into_account()
    }

    /// One entry of the account; `None` when the account has no such entry.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn entry(
        &self,
        account: AccountId,
        id: EntryId,
    ) -> Result<Option<Entry>, StoreError> {
        read!(self, entry(account.0, id.0))
            .map(EntryRow::into_entry)
            .transpose()
    }

    /// Entries newest first (day, then id), filtered.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn entries(
        &self,
        account: AccountId,
        filter: &EntryFilter<'_>,
    ) -> Result<Vec<Entry>, StoreError> {
        let q = rows::EntryQueryParams::new(filter, whole_time());
        let rows = read!(self, entries(account.0, &q));
        rows.into_iter().map(EntryRow::into_entry).collect()
    }

    /// Totals per kind, category and currency over a range.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn totals(
        &self,
        account: AccountId,
        range: DateRange,
        category: Option<&Category>,
    ) -> Result<Vec<TotalRow>, StoreError> {
        Ok(read!(
            self,
            totals(
                account.0,
                range.from,
                range.to,
                category.map(Category::as_str)
            )
        ))
    }

    /// Expenses in one currency (and category) over a range, in minor units.
    pub async fn spent(
        &self,
        account: AccountId,
        currency: Currency,
        category: Option<&Category>,
        range: DateRange,
    ) -> Result<i64, StoreError> {
        Ok(read!(
            self,
            spent(
                account.0,
                currency.code(),
                category.map(Category::as_str),
                range.from,
                range.to
            )
        ))
    }

    /// The categories the account's entries use.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn used_categories(&self, account: AccountId) -> Result<Vec<Category>, StoreError> {
        let names = read!(self, used_categories(account.0));
        Ok(names.iter().filter_map(|n| Category::parse(n)).collect())
    }

    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn limits(&self, account: AccountId) -> Result<Vec<Limit>, StoreError> {
        let rows = read!(self, limits(account.0));
        rows.into_iter().map(LimitRow::into_limit).collect()
    }

    /// Changes one setting of an account and returns the account as it now is.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn update_account(
        &self,
        account: AccountId,
        setting: AccountSetting<'_>,
    ) -> Result<Account, StoreError> {
        let changed = write!(self, update_account(account.0, setting));
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.account(account).await
    }

    /// Stores (or replaces) the conversation state of an identity.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn set_pending(
        &self,
        identity: IdentityId,
        payload: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        write!(self, set_pending(identity.0, payload, expires_at));
        Ok(())
    }

    /// Removes and returns the conversation state of an identity, expired or not.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn take_pending(&self, identity: IdentityId) -> Result<Option<Pending>, StoreError> {
        let row = write!(self, take_pending(identity.0));
        Ok(row.map(|r| Pending {
            payload: r.payload,
            expires_at: r.expires_at,
        }))
    }

    /// Claims up to `max` due alerts for `worker` in one transaction: pending ones whose
    /// `next_attempt_at` has come, and ones claimed before `stale_before` (their worker died).
    /// Each becomes `sending`, claimed by `worker` at `now`, one attempt more. On PostgreSQL
    /// and MySQL rows another claimer holds are skipped (`FOR UPDATE SKIP LOCKED`).
    #[tracing::instrument(skip_all, level = "debug", fields(engine = self.engine()))]
    pub async fn claim_alerts(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<ClaimedAlert>, StoreError> {
        // Two claimers can deadlock on InnoDB's index locks (the loser's transaction is rolled
        // back, nothing claimed); claiming again is safe and usually succeeds at once.
        let mut attempt = 0;
        loop {
            match self.claim_once(worker, now, stale_before, max).await {
                Err(e) if attempt < 3 && e.is_deadlock() => attempt += 1,
                other => return other,
            }
        }
    }

    async fn claim_once(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<ClaimedAlert>, StoreError> {
        let mut tx = self.begin_write().await?;
        let ids = in_tx!(tx, due_alerts(now, stale_before, i64::from(max)));
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            in_tx!(tx, mark_alert_claimed(id, worker, now));
            if let Some(row) = in_tx!(tx, alert(id)) {
                match row.into_alert() {
                    Ok(alert) => claimed.push(alert),
                    // One unreadable row must not stop every other alert: fail it alone.
                    Err(e) => {
                        tracing::error!(alert = id, error = %e, "an outbox row cannot be read");
                        in_tx!(tx, alert_failed(id, "unreadable outbox row", None));
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Marks an alert delivered; `false` when there is no such alert.
    #[tracing::instrument(skip_all, level = "debug", fields(alert = id))]
    pub async fn alert_sent(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(write!(self, alert_sent(id, now)) > 0)
    }

    /// Puts an alert back to pending for `retry_at`, or (without it) marks it failed, keeping
    /// the error; a delivered alert stays delivered. `false` when nothing changed.
    #[tracing::instrument(skip_all, level = "debug", fields(alert = id))]
    pub async fn alert_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        Ok(write!(self, alert_failed(id, error, retry_at)) > 0)
    }

    /// The account's chat identities not marked unreachable, oldest first.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn reachable_identities(
        &self,
        account: AccountId,
    ) -> Result<Vec<ChatIdentity>, StoreError> {
        let rows = read!(self, reachable_identities(account.0));
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let platform = crate::domain::Platform::parse(&r.platform)?;
                ChatIdentity::new(platform, &r.external_id).ok()
            })
            .collect())
    }

    /// The account's verified address, when alerts by email are on.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn alert_email(&self, account: AccountId) -> Result<Option<String>, StoreError> {
        Ok(read!(self, alert_email(account.0)))
    }

    /// The account's address as stored.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn email_address(
        &self,
        account: AccountId,
    ) -> Result<Option<EmailAddress>, StoreError> {
        let row = read!(self, email_address(account.0));
        Ok(row.map(|r| EmailAddress {
            email: r.email,
            verified: r.verified_at.is_some(),
            alerts_on: r.alerts_on,
        }))
    }

    /// Turns alerts by email off; `false` when they were not on.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn email_off(&self, account: AccountId) -> Result<bool, StoreError> {
        Ok(write!(self, email_off(account.0)) > 0)
    }
}

impl Tx {
    /// Locks a limit until the transaction ends (PostgreSQL, MySQL; SQLite's write
    /// transaction holds its single write lock already).
    pub async fn lock_limit(&mut self, limit: LimitId) -> Result<(), StoreError> {
        in_tx!(self, lock_limit(limit.0));
        Ok(())
    }

    /// Writes a limit alert to the outbox unless (limit, period, threshold) has one; `true`
    /// when written.
    pub async fn insert_limit_alert(
        &mut self,
        account: AccountId,
        limit: LimitId,
        period_from: NaiveDate,
        threshold: i16,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(in_tx!(
            self,
            insert_limit_alert(account.0, limit.0, period_from, threshold, now)
        ) > 0)
    }

    /// Writes a message of `kind` with a payload to the outbox, due at once; returns its id.
    pub async fn insert_outbox_message(
        &mut self,
        account: AccountId,
        kind: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(in_tx!(
            self,
            insert_outbox_message(account.0, kind, payload, now)
        ))
    }

    /// Locks an account until the transaction ends (PostgreSQL, MySQL).
    pub async fn lock_account(&mut self, account: AccountId) -> Result<(), StoreError> {
        in_tx!(self, lock_account(account.0));
        Ok(())
    }

    /// How many email codes the account was given after `since`.
    pub async fn count_email_codes_since(
        &mut self,
        account: AccountId,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(in_tx!(self, count_email_codes_since(account.0, since)))
    }

    pub async fn insert_email_code(
        &mut self,
        account: AccountId,
        email: &str,
        code: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(
            self,
            insert_email_code(account.0, email, code, now, expires_at)
        );
        Ok(())
    }

    /// Stores the account's address; a different one than before starts unverified, with
    /// alerts off.
    pub async fn upsert_email_address(
        &mut self,
        account: AccountId,
        email: &str,
    ) -> Result<(), StoreError> {
        in_tx!(self, upsert_email_address(account.0, email));
        Ok(())
    }

    /// The newest unused, unexpired email code of the account, locked until the transaction
    /// ends.
    pub async fn newest_email_code(
        &mut self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Option<EmailCodeRow>, StoreError> {
        Ok(in_tx!(self, newest_email_code(account.0, now)))
    }

    pub async fn mark_email_code_used(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, mark_email_code_used(id, now));
        Ok(())
    }

    /// Sets the account's address, verified at `now`, with alerts on.
    pub async fn verify_email_address(
        &mut self,
        account: AccountId,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, verify_email_address(account.0, email, now));
        Ok(())
    }

    /// Makes every change of the transaction durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.0 {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
            TxInner::MySql(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Undoes every change of the transaction.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.0 {
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
            TxInner::MySql(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Records that an inbound event is being applied. `false` when it was applied before:
    /// the caller then rolls back so the redelivery changes nothing.
    pub async fn claim_event(
        &mut self,
        key: &str,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(in_tx!(self, claim_event(key, account.0, now)))
    }

    /// See [`Store::member`]; inside the transaction.
    pub async fn member(&mut self, identity: &ChatIdentity) -> Result<Option<Member>, StoreError> {
        let row = in_tx!(
            self,
            member(identity.platform().as_str(), identity.external_id())
        );
        row.map(rows::MemberRow::into_member).transpose()
    }

    pub async fn account(&mut self, id: AccountId) -> Result<Account, StoreError> {
        in_tx!(self, account(id.0))
            .ok_or(StoreError::NotFound)?
            .into_account()
    }

    /// Creates an account and returns it.
    pub async fn insert_account(
        &mut self,
        currency: Currency,
        timezone: chrono_tz::Tz,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<Account, StoreError> {
        let id = in_tx!(
            self,
            insert_account(currency.code(), timezone.name(), language, now)
        );
        Ok(Account {
            id: AccountId(id),
            currency,
            timezone,
            language: language.to_owned(),
        })
    }

    /// Creates a chat identity in an account. [`StoreError::Conflict`] when it exists.
    pub async fn insert_identity(
        &mut self,
        identity: &ChatIdentity,
        display_name: Option<&str>,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<IdentityId, StoreError> {
        let id = in_tx!(
            self,
            insert_identity(
                identity.platform().as_str(),
                identity.external_id(),
                display_name,
                account.0,
                now
            )
        );
        Ok(IdentityId(id))
    }

    /// Records one entry and returns it.
    pub async fn insert_entry(
        &mut self,
        account: AccountId,
        by: Option<IdentityId>,
        entry: &NewEntry,
        source_message: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Entry, StoreError> {
        let currency = entry.money.currency();
        let new = rows::NewEntryParams {
            account_id: account.0,
            kind: entry.kind.as_str(),
            amount_minor: entry.money.minor_units(),
            currency: currency.code(),
            category: entry.category.as_str(),
            note: entry.note.as_ref().map(Note::as_str),
            occurred_on: entry.occurred_on,
            recorded_at: now,
            recorded_by: by.map(|i| i.0),
            source_message,
        };
        let id = in_tx!(self, insert_entry(&new));
        Ok(stored_entry(entry, EntryId(id), account, by, now))
    }

    /// One entry of the account.
    pub async fn entry(
        &mut self,
        account: AccountId,
        id: EntryId,
    ) -> Result<Option<Entry>, StoreError> {
        in_tx!(self, entry(account.0, id.0))
            .map(EntryRow::into_entry)
            .transpose()
    }

    /// The account's entries recorded from one platform message, oldest first; on PostgreSQL
    /// and MySQL locked until the transaction ends (SQLite's write transaction holds the lock).
    pub async fn entries_from_message(
        &mut self,
        account: AccountId,
        message: &str,
    ) -> Result<Vec<Entry>, StoreError> {
        let rows = in_tx!(self, entries_from_message(account.0, message));
        rows.into_iter().map(EntryRow::into_entry).collect()
    }

    /// Replaces kind, amount, category, note and day of one entry of the account, keeping its
    /// id, source message and when and by whom it was recorded; `false` when there is none.
    pub async fn update_entry(
        &mut self,
        account: AccountId,
        id: EntryId,
        entry: &NewEntry,
    ) -> Result<bool, StoreError> {
        let currency = entry.money.currency();
        let values = rows::EntryValuesParams {
            kind: entry.kind.as_str(),
            amount_minor: entry.money.minor_units(),
            currency: currency.code(),
            category: entry.category.as_str(),
            note: entry.note.as_ref().map(Note::as_str),
            occurred_on: entry.occurred_on,
        };
        Ok(in_tx!(self, update_entry(account.0, id.0, &values)) > 0)
    }

    /// Changes the category of one entry of the account; `false` when there is none.
    pub async fn set_entry_category(
        &mut self,
        account: AccountId,
        id: EntryId,
        category: &Category,
    ) -> Result<bool, StoreError> {
        Ok(in_tx!(self, set_entry_category(account.0, id.0, category.as_str())) > 0)
    }

    /// The account's most recently recorded entry.
    pub async fn latest_entry(&mut self, account: AccountId) -> Result<Option<Entry>, StoreError> {
        in_tx!(self, latest_entry(account.0))
            .map(EntryRow::into_entry)
            .transpose()
    }

    /// Deletes one entry of the account; `false` when there was none.
    pub async fn delete_entry(
        &mut self,
        account: AccountId,
        id: EntryId,
    ) -> Result<bool, StoreError> {
        Ok(in_tx!(self, delete_entry(account.0, id.0)) > 0)
    }

    /// See [`Store::spent`]; inside the transaction, so it sees the transaction's own writes.
    pub async fn spent(
        &mut self,
        account: AccountId,
        currency: Currency,
        category: Option<&Category>,
        range: DateRange,
    ) -> Result<i64, StoreError> {
        Ok(in_tx!(
            self,
            spent(
                account.0,
                currency.code(),
                category.map(Category::as_str),
                range.from,
                range.to
            )
        ))
    }

    /// Sets the account's limit for (period, category), replacing any earlier one.
    pub async fn upsert_limit(
        &mut self,
        account: AccountId,
        limit: &NewLimit,
        now: DateTime<Utc>,
    ) -> Result<Limit, StoreError> {
        let category = limit.category.as_ref().map(Category::as_str).unwrap_or("");
        let row = in_tx!(
            self,
            upsert_limit(
                account.0,
                limit.period.as_str(),
                category,
                limit.money.minor_units(),
                limit.money.currency().code(),
                now
            )
        );
        row.into_limit()
    }

    /// Removes the account's limit for (period, category); `false` when there was none.
    pub async fn delete_limit(
        &mut self,
        account: AccountId,
        period: LimitPeriod,
        category: Option<&Category>,
    ) -> Result<bool, StoreError> {
        let category = category.map(Category::as_str).unwrap_or("");
        Ok(in_tx!(self, delete_limit(account.0, period.as_str(), category)) > 0)
    }

    /// Stores a link code. [`StoreError::Conflict`] when the code is taken.
    pub async fn insert_link_code(
        &mut self,
        code: &str,
        account: AccountId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, insert_link_code(code, account.0, now, expires_at));
        Ok(())
    }

    /// A link code, locked against a concurrent redemption until the transaction ends.
    pub async fn link_code_for_update(
        &mut self,
        code: &str,
    ) -> Result<Option<LinkCodeRow>, StoreError> {
        Ok(in_tx!(self, link_code_for_update(code)))
    }

    pub async fn mark_link_code_used(
        &mut self,
        code: &str,
        by: IdentityId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, mark_link_code_used(code, by.0, now));
        Ok(())
    }

    /// Moves a chat identity into another account.
    pub async fn move_identity(
        &mut self,
        identity: IdentityId,
        to: AccountId,
    ) -> Result<(), StoreError> {
        in_tx!(self, move_identity(identity.0, to.0));
        Ok(())
    }

    /// How many chat identities an account has.
    pub async fn count_identities(&mut self, account: AccountId) -> Result<i64, StoreError> {
        Ok(in_tx!(self, count_identities(account.0)))
    }

    /// Moves every entry of one account into another; returns how many moved.
    pub async fn move_entries(
        &mut self,
        from: AccountId,
        to: AccountId,
    ) -> Result<u64, StoreError> {
        Ok(in_tx!(self, move_entries(from.0, to.0)))
    }

    /// Deletes an account with everything that cascades from it (limits, link codes).
    pub async fn delete_account(&mut self, account: AccountId) -> Result<(), StoreError> {
        in_tx!(self, delete_account(account.0));
        Ok(())
    }
}

/// [`Store::record`] as one transaction of its own, statement by statement.
async fn record_in_tx(store: &Store, r: &NewRecording<'_>) -> Result<RecordingOutcome, StoreError> {
    let mut tx = store.begin_write().await?;
    if let Some(key) = r.event {
        if !tx.claim_event(key, r.account, r.now).await? {
            tx.rollback().await?;
            return Ok(RecordingOutcome::Duplicate);
        }
    }
    // Recordings counting towards one limit serialise on it (PostgreSQL, MySQL), so that each
    // reads the sums the one before committed and no threshold is passed unseen. In id order,
    // so that two recordings never wait for each other.
    let mut locked: Vec<LimitId> = r.alerts.iter().map(|a| a.limit).collect();
    locked.sort_unstable();
    locked.dedup();
    for limit in locked {
        tx.lock_limit(limit).await?;
    }
    let mut entries = Vec::with_capacity(r.entries.len());
    for e in r.entries {
        entries.push(
            tx.insert_entry(r.account, r.by, e, r.source_message, r.now)
                .await?,
        );
    }
    let mut sums = Vec::with_capacity(r.sums.len());
    for s in r.sums {
        sums.push(
            tx.spent(r.account, s.currency, s.category.as_ref(), s.range)
                .await?,
        );
    }
    for check in r.alerts {
        for threshold in check.crossed(&sums)? {
            let (limit, from) = (check.limit, check.period_from);
            tx.insert_limit_alert(r.account, limit, from, threshold.as_i16(), r.now)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(RecordingOutcome::Recorded { entries, sums })
}

/// A new entry as stored under `id`.
fn stored_entry(
    entry: &NewEntry,
    id: EntryId,
    account: AccountId,
    by: Option<IdentityId>,
    now: DateTime<Utc>,
) -> Entry {
    Entry {
        id,
        account_id: account,
        kind: entry.kind,
        money: entry.money,
        category: entry.category.clone(),
        note: entry.note.clone(),
        occurred_on: entry.occurred_on,
        recorded_at: now,
        recorded_by: by,
    }
}

impl rows::MemberRow {
    fn into_member(self) -> Result<Member, StoreError> {
        let identity_id = IdentityId(self.identity_id);
        let unreachable = self.unreachable;
        let account = AccountRow {
            id: self.account_id,
            currency: self.currency,
            timezone: self.timezone,
            language: self.language,
        }
        .into_account()?;
        Ok(Member {
            identity_id,
            account,
            unreachable,
        })
    }
}

impl AccountRow {
    fn into_account(self) -> Result<Account, StoreError> {
        let currency = parse_currency(&self.currency)?;
        let timezone = self.timezone.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
            tracing::warn!(account = self.id, "stored time zone is unknown; using UTC");
            chrono_tz::UTC
        });
        Ok(Account {
            id: AccountId(self.id),
            currency,
            timezone,
            language: self.language,
        })
    }
}

impl EntryRow {
    fn into_entry(self) -> Result<Entry, StoreError> {
        let currency = parse_currency(&self.currency)?;
        Ok(Entry {
            id: EntryId(self.id),
            account_id: AccountId(self.account_id),
            kind: EntryKind::parse(&self.kind)
                .ok_or_else(|| StoreError::other(format!("entry {}: unknown kind", self.id)))?,
            money: Money::from_minor(self.amount_minor, currency),
            category: Category::parse(&self.category).unwrap_or_else(Category::other),
            note: self.note.as_deref().and_then(Note::new),
            occurred_on: self.occurred_on,
            recorded_at: self.recorded_at,
            recorded_by: self.recorded_by.map(IdentityId),
        })
    }
}

impl AlertRow {
    fn into_alert(self) -> Result<ClaimedAlert, StoreError> {
        let limit = match (
            self.limit_id,
            self.l_period,
            self.l_category,
            self.l_amount_minor,
            self.l_currency,
        ) {
            (Some(id), Some(period), Some(category), Some(amount_minor), Some(currency)) => Some(
                LimitRow {
                    id,
                    account_id: self.account_id,
                    period,
                    category,
                    amount_minor,
                    currency,
                }
                .into_limit()?,
            ),
            _ => None,
        };
        let account = AccountRow {
            id: self.account_id,
            currency: self.currency,
            timezone: self.timezone,
            language: self.language,
        }
        .into_account()?;
        Ok(ClaimedAlert {
            id: self.id,
            account,
            kind: self.kind,
            limit,
            period_from: self.period_from,
            threshold: self.threshold,
            payload: self.payload,
            attempts: self.attempts,
        })
    }
}

impl LimitRow {
    fn into_limit(self) -> Result<Limit, StoreError> {
        let currency = parse_currency(&self.currency)?;
        Ok(Limit {
            id: LimitId(self.id),
            account_id: AccountId(self.account_id),
            money: Money::from_minor(self.amount_minor, currency),
            period: LimitPeriod::parse(&self.period)
                .ok_or_else(|| StoreError::other(format!("limit {}: unknown period", self.id)))?,
            category: if self.category.is_empty() {
                None
            } else {
                Category::parse(&self.category)
            },
        })
    }
}

fn parse_currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).ok_or_else(|| StoreError::other("stored currency code is invalid"))
}

/// Escapes `%`, `_` and the escape character `!` for a `LIKE … ESCAPE '!'` pattern.
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_escape("50%_off!"), "50!%!_off!!");
        assert_eq!(like_escape("café ☕"), "café ☕");
    }

    #[test]
    fn connection_trouble_codes_mean_unavailable() {
        assert!(is_unavailable_code(Some("08006")));
        assert!(is_unavailable_code(Some("57P01")));
        assert!(is_unavailable_code(Some("5")));
        assert!(!is_unavailable_code(Some("23505")));
        assert!(!is_unavailable_code(None));
    }

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
