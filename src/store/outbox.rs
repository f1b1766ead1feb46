//! The outbox: alerts written in the transaction of the change that makes them due (a limit
//! alert unique per limit, period and threshold; messages such as emailed codes), claimed by
//! workers (rows another claimer holds are skipped on PostgreSQL and MySQL), and marked sent
//! or failed. Never decides what is due or sends anything: the ledger writes, `alerts`
//! delivers.

use backon::{ExponentialBuilder, Retryable as _};
use chrono::{DateTime, NaiveDate, Utc};

use super::accounts::account_of;
use super::rows::{AlertRow, LimitRow};
use super::sql::{Conn, Sql, as_text, execute, fetch, insert_id, scalar, sql};
use super::{Store, StoreError, Tx};
use crate::domain::{Account, AccountId, Limit, LimitId};

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
    /// Its chat messages went out on an earlier attempt.
    pub chats_sent: bool,
}

/// The columns of [`AlertRow`]: the outbox row, its account and its limit (`l_*`).
macro_rules! alert_columns {
    ($($engine:ident)?) => {
        concat!(
            "o.id, o.account_id, a.currency, a.timezone, a.language, o.kind, o.limit_id, \
             l.period AS l_period, ",
            as_text!("l.category" AS "l_category" $(, $engine)?),
            ", l.amount_minor AS l_amount_minor, l.currency AS l_currency, o.period_from, \
             o.threshold, o.payload, o.attempts, o.next_attempt_at, o.chats_sent_at"
        )
    };
}

/// The columns and values of a limit alert, due at once.
macro_rules! limit_alert {
    () => {
        "outbox (account_id, kind, limit_id, period_from, threshold, status, attempts, \
         next_attempt_at, created_at) VALUES (?, 'limit', ?, ?, ?, 'pending', 0, ?, ?)"
    };
}

/// Written once per (limit, period, threshold) ever: a second one is skipped, not an error.
/// Bound: account, limit, first day of the period, threshold, now twice. SQLite's group commit
/// runs it too.
pub(super) const INSERT_LIMIT_ALERT: Sql = sql!(
    concat!(
        "INSERT INTO ",
        limit_alert!(),
        " ON CONFLICT (limit_id, period_from, threshold) DO NOTHING"
    ),
    mysql: concat!("INSERT IGNORE INTO ", limit_alert!())
);
const INSERT_OUTBOX_MESSAGE: Sql = sql!(returning_id:
    "INSERT INTO outbox (account_id, kind, payload, status, attempts, next_attempt_at, \
     created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)"
);
/// Pending alerts whose time has come and claims older than the stale mark. On PostgreSQL and
/// MySQL locked until the transaction ends, skipping rows another claimer holds, so that
/// concurrent claimers never get the same alert; SQLite has one writer, so the claim that
/// follows in the same transaction cannot race.
const DUE_ALERTS: Sql = sql!(for_update_skip_locked:
    "SELECT id FROM outbox \
     WHERE (status = 'pending' AND next_attempt_at <= ?) \
        OR (status = 'sending' AND claimed_at < ?) \
     ORDER BY next_attempt_at, id LIMIT ?"
);
const MARK_CLAIMED: Sql = sql!(
    "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ?, \
     attempts = attempts + 1 WHERE id = ?"
);
const ALERT: Sql = sql!(columns: alert_columns,
    "FROM outbox o JOIN accounts a ON a.id = o.account_id \
       LEFT JOIN spending_limits l ON l.id = o.limit_id \
     WHERE o.id = ?"
);
/// A delivered notice keeps no code or link: its payload goes (limit alerts have none).
const ALERT_SENT: Sql = sql!(
    "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL, \
       payload = CASE WHEN kind = 'limit' THEN payload ELSE NULL END \
     WHERE id = ? AND claimed_by = ?"
);
/// Back to pending at the retry time (bound twice), or failed for good without one; never
/// undoes a sent alert.
/// Bound: now, the alert, its worker.
const ALERT_CHATS_SENT: Sql =
    sql!("UPDATE outbox SET chats_sent_at = ? WHERE id = ? AND claimed_by = ?");
/// A notice failed for good keeps no code or link either (the retry time is bound three times).
const ALERT_FAILED: Sql = sql!(
    "UPDATE outbox SET status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END, \
       next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?, \
       payload = CASE WHEN ? IS NULL AND kind <> 'limit' THEN NULL ELSE payload END \
     WHERE id = ? AND claimed_by = ? AND status <> 'sent'"
);

impl Store {
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
        // back, nothing claimed); claiming again is safe. A short random wait first, so that
        // the two do not meet again at once.
        let policy = ExponentialBuilder::default()
            .with_min_delay(std::time::Duration::from_millis(2))
            .with_max_delay(std::time::Duration::from_millis(100))
            .with_jitter()
            .with_max_times(8);
        (|| self.claim_once(worker, now, stale_before, i64::from(max)))
            .retry(policy)
            .when(StoreError::is_deadlock)
            .await
    }

    async fn claim_once(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
        max: i64,
    ) -> Result<Vec<ClaimedAlert>, StoreError> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<i64> = scalar!(tx.conn(), fetch_all, DUE_ALERTS, now, stale_before, max)?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            execute!(tx.conn(), MARK_CLAIMED, worker, now, id)?;
            let row: Option<AlertRow> = fetch!(tx.conn(), fetch_optional, ALERT, id)?;
            let Some(row) = row else { continue };
            // How long the alert waited past its time: the outbox's lag.
            if let Ok(lag) = (now - row.next_attempt_at).to_std() {
                crate::metrics::outbox_lag(lag);
            }
            match row.into_alert() {
                Ok(alert) => claimed.push(alert),
                // One unreadable row must not stop every other alert: fail it alone.
                Err(e) => {
                    tracing::error!(alert = id, error = %e, "an outbox row cannot be read");
                    alert_failed(tx.conn(), id, worker, "unreadable outbox row", None).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Marks an alert delivered by `worker`; `false` when there is no such alert or another
    /// worker holds its claim now (only a claim's owner records its outcome).
    #[tracing::instrument(skip_all, level = "debug", fields(alert = id))]
    pub async fn alert_sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(execute!(self.writer().await?.conn(), ALERT_SENT, now, id, worker)? > 0)
    }

    /// Records that an alert's chat messages went out (by `worker`, which holds the claim).
    pub async fn alert_chats_sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(execute!(
            self.writer().await?.conn(),
            ALERT_CHATS_SENT,
            now,
            id,
            worker
        )? > 0)
    }

    /// Puts an alert back to pending for `retry_at`, or (without it) marks it failed, keeping
    /// the error; a delivered alert stays delivered. `false` when nothing changed.
    #[tracing::instrument(skip_all, level = "debug", fields(alert = id))]
    pub async fn alert_failed(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        Ok(alert_failed(self.writer().await?.conn(), id, worker, error, retry_at).await? > 0)
    }
}

/// The limit alerts of a limit from a period on, whatever their state: a pending one is for the
/// old amount, a sent one would keep the new amount from alerting.
const REARM_LIMIT_ALERTS: Sql =
    sql!("DELETE FROM outbox WHERE kind = 'limit' AND limit_id = ? AND period_from >= ?");

impl Tx {
    /// Forgets the limit's alerts of the periods from `from` on, so that they can alert again.
    pub async fn rearm_limit_alerts(
        &mut self,
        limit: LimitId,
        from: NaiveDate,
    ) -> Result<u64, StoreError> {
        Ok(execute!(self.conn(), REARM_LIMIT_ALERTS, limit.0, from)?)
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
        let written = execute!(
            self.conn(),
            INSERT_LIMIT_ALERT,
            account.0,
            limit.0,
            period_from,
            threshold,
            now,
            now,
        )?;
        Ok(written > 0)
    }

    /// Writes a message of `kind` with a payload to the outbox, due at once; returns its id.
    pub async fn insert_outbox_message(
        &mut self,
        account: AccountId,
        kind: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(insert_id!(
            self.conn(),
            INSERT_OUTBOX_MESSAGE,
            account.0,
            kind,
            payload,
            now,
            now
        )?)
    }
}

async fn alert_failed(
    c: Conn<'_>,
    id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<u64, StoreError> {
    Ok(execute!(
        c,
        ALERT_FAILED,
        retry_at,
        retry_at,
        error,
        retry_at,
        id,
        worker
    )?)
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
        let account = account_of(
            self.account_id,
            &self.currency,
            &self.timezone,
            self.language,
        )?;
        Ok(ClaimedAlert {
            id: self.id,
            account,
            kind: self.kind,
            limit,
            period_from: self.period_from,
            threshold: self.threshold,
            payload: self.payload,
            attempts: self.attempts,
            chats_sent: self.chats_sent_at.is_some(),
        })
    }
}
