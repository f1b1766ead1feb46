//! Persistence: one [`Store`] over SQLite, PostgreSQL or MySQL, the embedded migrations of
//! each engine, and [`Tx`], a write transaction. Each operation is one `match` over the engine
//! (written once, in the statement macros of `sql`); each statement is written once with `?`
//! placeholders, with an engine's own SQL only where its dialect must differ, and always with
//! bound parameters. Rows are turned into domain types here.
//!
//! The operations live in rooms by what they keep: `accounts` (accounts and chat identities),
//! `entries`, `sums` (what entries add up to), `limits`, `recording` (entries with their event,
//! sums and alerts in one transaction; SQLite's group commit in `sqlite_writer`), `outbox`,
//! `email` (addresses and codes), `links` (link codes and pending questions), `web`
//! (sign-ins, sessions, tokens) and `prune` (old rows, a batch at a time). `connect` opens,
//! migrates and closes; `error` says what failed.
//!
//! This module holds no business rule of its own: which thresholds a recording crossed is
//! [`crossed_thresholds`](crate::domain::crossed_thresholds) of the domain, applied here only
//! because the sums are read inside the recording's transaction; which limits and periods to
//! check, and who may see what, are the ledger's. It never builds SQL from user text, and never
//! logs note text or credentials.

mod accounts;
mod connect;
mod email;
mod entries;
mod error;
mod limits;
mod links;
mod outbox;
mod prune;
mod recording;
mod rows;
mod sql;
mod sqlite_writer;
mod sums;
mod web;

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{MySql, MySqlPool, Postgres, Sqlite, Transaction};

pub use accounts::{AccountSetting, Member};
pub use email::EmailAddress;
pub use entries::EntryFilter;
pub use error::StoreError;
pub use links::Pending;
pub use outbox::ClaimedAlert;
pub use prune::Prunable;
pub use recording::{AlertCheck, NewRecording, RecordingOutcome, SpentQuery};
pub use rows::{
    EmailCodeRow, FailureRow, LinkCodeRow, LinkedIdentityRow, LoginRow, TotalRow, WebSessionRow,
    WebTokenRow,
};
use sql::Conn;

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

/// A connection taken from a pool for one operation; it goes back when dropped.
enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
    MySql(PoolConnection<MySql>),
}

impl Pooled {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Pooled::Sqlite(c) => Conn::Sqlite(c),
            Pooled::Postgres(c) => Conn::Postgres(c),
            Pooled::MySql(c) => Conn::MySql(c),
        }
    }
}

impl Store {
    /// A connection for reading: on SQLite one of the readers, which never wait for a writer.
    async fn reader(&self) -> Result<Pooled, StoreError> {
        Ok(match self {
            Store::Sqlite(p) => Pooled::Sqlite(p.read.acquire().await?),
            Store::Postgres(p) => Pooled::Postgres(p.acquire().await?),
            Store::MySql(p) => Pooled::MySql(p.acquire().await?),
        })
    }

    /// A connection for a single statement that writes: on SQLite the writing connection.
    async fn writer(&self) -> Result<Pooled, StoreError> {
        Ok(match self {
            Store::Sqlite(p) => Pooled::Sqlite(p.write.acquire().await?),
            Store::Postgres(p) => Pooled::Postgres(p.acquire().await?),
            Store::MySql(p) => Pooled::MySql(p.acquire().await?),
        })
    }
}

impl Tx {
    /// The transaction's connection, for its next statement.
    fn conn(&mut self) -> Conn<'_> {
        match &mut self.0 {
            TxInner::Sqlite(t) => Conn::Sqlite(t),
            TxInner::Postgres(t) => Conn::Postgres(t),
            TxInner::MySql(t) => Conn::MySql(t),
        }
    }
}
