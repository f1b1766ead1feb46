//! Pruning: rows whose purpose has passed, deleted a batch at a time so that no statement
//! holds a table (or SQLite's one writer) for long. Which rows are old enough is the ledger's
//! decision ([`Prunable`] carries its cutoffs); this module only deletes what it is told.

use chrono::{DateTime, NaiveDate, Utc};

use super::sql::{Sql, execute, sql};
use super::{Store, StoreError};

/// `DELETE` of at most `?` rows of `$table` matching `$cond` (values bound first, then the
/// batch size): through a keyed subquery on SQLite and PostgreSQL, with `LIMIT` on MySQL
/// (which cannot read the table it deletes from in a subquery).
macro_rules! prune {
    ($table:literal, $key:literal, $cond:literal) => {
        sql!(
            concat!(
                "DELETE FROM ", $table, " WHERE ", $key, " IN (SELECT ", $key, " FROM ", $table,
                " WHERE ", $cond, " LIMIT ?)"
            ),
            mysql: concat!("DELETE FROM ", $table, " WHERE ", $cond, " LIMIT ?")
        )
    };
}

const PRUNE_EVENTS: Sql = prune!("inbound_events", "event_key", "created_at < ?");
/// Delivered or abandoned notices by age; limit alerts only once their period began long ago,
/// because a limit alert row is what keeps its period from alerting twice.
const PRUNE_OUTBOX: Sql = prune!(
    "outbox",
    "id",
    "status IN ('sent', 'failed') AND \
     ((kind <> 'limit' AND created_at < ?) OR (kind = 'limit' AND period_from < ?))"
);
const PRUNE_EMAIL_CODES: Sql = prune!("email_codes", "id", "expires_at < ?");
const PRUNE_LINK_CODES: Sql = prune!("link_codes", "code", "expires_at < ?");
const PRUNE_PENDING: Sql = prune!("pending_states", "identity_id", "expires_at < ?");
const PRUNE_WEB_TOKENS: Sql = prune!("web_tokens", "token_hash", "expires_at < ?");
const PRUNE_WEB_SESSIONS: Sql = prune!("web_sessions", "id_hash", "last_seen_at < ?");
const PRUNE_LOGIN_FAILURES: Sql = prune!("login_failures", "id", "failed_at < ?");

/// What to prune, with the ledger's cutoffs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prunable {
    /// Claims of inbound events recorded before this.
    Events(DateTime<Utc>),
    /// Sent or failed notices created before the first; limit alerts of periods that began
    /// before the second.
    Outbox(DateTime<Utc>, NaiveDate),
    /// Email codes, link codes, follow-up questions and web tokens that expired before this.
    Expired(DateTime<Utc>),
    /// Web sessions last seen before this.
    Sessions(DateTime<Utc>),
    /// Failed sign-ins before this.
    LoginFailures(DateTime<Utc>),
}

impl Store {
    /// Deletes at most `batch` rows of what `what` names; how many it deleted (for
    /// [`Prunable::Expired`], across its tables).
    #[tracing::instrument(skip_all, level = "debug", fields(engine = self.engine()))]
    pub async fn prune_batch(&self, what: Prunable, batch: i64) -> Result<u64, StoreError> {
        let mut c = self.writer().await?;
        Ok(match what {
            Prunable::Events(before) => execute!(c.conn(), PRUNE_EVENTS, before, batch)?,
            Prunable::Outbox(before, period) => {
                execute!(c.conn(), PRUNE_OUTBOX, before, period, batch)?
            }
            Prunable::Expired(before) => {
                let mut n = 0;
                for statement in [
                    PRUNE_EMAIL_CODES,
                    PRUNE_LINK_CODES,
                    PRUNE_PENDING,
                    PRUNE_WEB_TOKENS,
                ] {
                    n += execute!(c.conn(), statement, before, batch)?;
                }
                n
            }
            Prunable::Sessions(before) => execute!(c.conn(), PRUNE_WEB_SESSIONS, before, batch)?,
            Prunable::LoginFailures(before) => {
                execute!(c.conn(), PRUNE_LOGIN_FAILURES, before, batch)?
            }
        })
    }
}
