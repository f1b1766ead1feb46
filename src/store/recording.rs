//! Recording: entries, the platform event they come from, the sums read after them and the
//! outbox rows of the limit thresholds they crossed, in one transaction (all of it or
//! nothing); and the claim of an inbound event, which makes any write of the ledger happen
//! once per event. On SQLite recordings go through the group commit of `sqlite_writer`.
//!
//! Which limits and periods to check is the ledger's choice, brought in [`AlertCheck`]s; the
//! rule of a crossed threshold is the domain's [`crossed_thresholds`]. Nothing here decides
//! either.

use chrono::{DateTime, NaiveDate, Utc};

use super::entries::stored_entry;
use super::sql::{Sql, execute, sql};
use super::{Store, StoreError, Tx, sqlite_writer};
use crate::domain::{
    AccountId, Category, Currency, DateRange, Entry, EntryId, IdentityId, LimitId, NewEntry,
    Threshold, crossed_thresholds,
};

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
    /// Limits to check against those sums: each threshold the recording crossed gets an
    /// outbox row in the same transaction (once per limit, period and threshold, ever).
    pub alerts: &'a [AlertCheck],
    /// The identity whose pending question this recording answers: its state is removed in the
    /// same transaction, so a recording that fails leaves the question to be answered again.
    pub clears_pending: Option<IdentityId>,
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
    pub(super) fn crossed(
        &self,
        sums: &[i64],
    ) -> Result<impl Iterator<Item = Threshold>, StoreError> {
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

/// What [`Store::record`] did.
#[derive(Debug, Clone)]
pub enum RecordingOutcome {
    /// The entries as stored, and the sums (minor units) in the order asked.
    Recorded { entries: Vec<Entry>, sums: Vec<i64> },
    /// The event was applied before; nothing changed.
    Duplicate,
}

/// MySQL has no `ON CONFLICT … DO NOTHING` that reports a skipped row (`ON DUPLICATE KEY
/// UPDATE` counts a found row either way with the found-rows flag sqlx sets) and `INSERT
/// IGNORE` would hide other errors too: there a duplicate key fails this statement alone, not
/// the transaction, and [`Tx::claim_event`] reads that as "applied before".
pub(super) const CLAIM_EVENT: Sql = sql!(
    "INSERT INTO inbound_events (event_key, account_id, created_at) VALUES (?, ?, ?) \
     ON CONFLICT (event_key) DO NOTHING",
    mysql: "INSERT INTO inbound_events (event_key, account_id, created_at) VALUES (?, ?, ?)"
);

impl Store {
    /// Records the event, the entries and reads the sums in one transaction: all of it or
    /// nothing. On SQLite, concurrent recordings share a transaction (group commit), each
    /// still all or nothing on its own; elsewhere each has its own transaction.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %r.account))]
    pub async fn record(&self, r: &NewRecording<'_>) -> Result<RecordingOutcome, StoreError> {
        let Store::Sqlite(p) = self else {
            return record_in_tx(self, r).await;
        };
        let recording = sqlite_writer::Recording::new(r);
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
}

impl Tx {
    /// Records that an inbound event is being applied. `false` when it was applied before:
    /// the caller then rolls back so the redelivery changes nothing.
    pub async fn claim_event(
        &mut self,
        key: &str,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        match execute!(self.conn(), CLAIM_EVENT, key, account.0, now) {
            Ok(inserted) => Ok(inserted == 1),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
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
    if let Some(identity) = r.clears_pending {
        execute!(tx.conn(), super::links::DELETE_PENDING, identity.0)?;
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
