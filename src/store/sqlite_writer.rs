//! Group commit for recording on SQLite. Every statement costs a hop to the connection's worker
//! thread, and SQLite lets one writer in at a time; so one task takes the recordings that are
//! waiting, applies them in one transaction on the writing connection (one query per
//! recording, two when it may cross a limit's threshold), and commits once for all of them.
//!
//! Each recording still stands alone: it runs inside a savepoint of its own, so a failing
//! recording is rolled back without touching the others, and a redelivered event key skips only
//! its own entries. Nobody hears back before the commit: a failed commit fails them all. The
//! statements are the store's own (`CLAIM_EVENT`, `SPENT`, `INSERT_LIMIT_ALERT`), and it never
//! decides which thresholds were crossed: [`AlertCheck::crossed`] asks the domain.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteArguments, SqlitePool};
use sqlx::{Arguments, Connection, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use super::outbox::INSERT_LIMIT_ALERT;
use super::recording::{AlertCheck, CLAIM_EVENT, NewRecording, SpentQuery};
use super::sums::SPENT;
use crate::domain::{Category, NewEntry, Note};

/// At most this many recordings share one transaction.
const MAX_BATCH: usize = 64;
/// Recordings waiting for the writer beyond this make their senders wait.
const QUEUE: usize = 1024;

/// What one recording writes and reads, owned so that it can travel to the writer task.
#[derive(Debug)]
pub(super) struct Recording {
    account_id: i64,
    event: Option<String>,
    now: DateTime<Utc>,
    recorded_by: Option<i64>,
    source_message: Option<String>,
    entries: Vec<NewEntry>,
    sums: Vec<SpentQuery>,
    alerts: Vec<AlertCheck>,
    clears_pending: Option<i64>,
}

impl Recording {
    pub(super) fn new(r: &NewRecording<'_>) -> Self {
        Recording {
            account_id: r.account.0,
            event: r.event.map(str::to_owned),
            now: r.now,
            recorded_by: r.by.map(|i| i.0),
            source_message: r.source_message.map(str::to_owned),
            entries: r.entries.to_vec(),
            sums: r.sums.to_vec(),
            alerts: r.alerts.to_vec(),
            clears_pending: r.clears_pending.map(|i| i.0),
        }
    }
}

/// The ids of the new entries and the sums, in order; `None` when the event was applied before.
pub(super) type Outcome = Option<(Vec<i64>, Vec<i64>)>;

struct Job {
    recording: Recording,
    reply: oneshot::Sender<Result<Outcome, StoreError>>,
}

/// The writer task's door. Cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Writer(mpsc::Sender<Job>);

impl Writer {
    /// Starts the writer task on the current Tokio runtime. It ends when every `Writer` is gone.
    pub fn spawn(pool: SqlitePool) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, rx));
        Self(tx)
    }

    /// Applies one recording in the next group commit.
    pub async fn record(&self, recording: Recording) -> Result<Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Job { recording, reply })
            .await
            .map_err(|_| StoreError::Unavailable(sqlx::Error::WorkerCrashed))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable(sqlx::Error::WorkerCrashed))?
    }
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let conn = pool.acquire().await;
        // Those that arrived while the connection was busy join this transaction.
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A caller that gave up (its future was dropped) is not written for.
        batch.retain(|j: &Job| !j.reply.is_closed());
        match conn {
            Ok(mut conn) => commit_group(&mut conn, &mut batch).await,
            Err(e) => {
                let e = StoreError::from(e);
                for job in batch.drain(..) {
                    job.reply.send(Err(share(&e))).ok();
                }
            }
        }
        batch.clear();
    }
}

/// Applies the batch in one transaction and answers every job once it is committed.
async fn commit_group(conn: &mut SqliteConnection, batch: &mut Vec<Job>) {
    if batch.is_empty() {
        return;
    }
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => return fail_all(batch, &StoreError::from(e)),
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch.iter() {
        let result = apply(&mut tx, &job.recording).await;
        if result.is_err() {
            // Undo this recording only; the transaction goes on for the others.
            let undone = undo_one(&mut tx).await;
            if let Err(e) = undone {
                drop(tx);
                return fail_all(batch, &StoreError::from(e));
            }
        }
        results.push(result);
    }
    if let Err(e) = tx.commit().await {
        return fail_all(batch, &StoreError::from(e));
    }
    for (job, result) in batch.drain(..).zip(results) {
        job.reply.send(result).ok();
    }
}

/// Rolls back the savepoint of the recording that failed.
async fn undo_one(c: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("ROLLBACK TO record_one; RELEASE record_one")
        .execute(c)
        .await
        .map(drop)
}

fn fail_all(batch: &mut Vec<Job>, e: &StoreError) {
    for job in batch.drain(..) {
        job.reply.send(Err(share(e))).ok();
    }
}

/// The same error for one more caller (sqlx errors cannot be cloned), of the same kind.
fn share(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(inner) => {
            StoreError::Unavailable(sqlx::Error::Io(std::io::Error::other(inner.to_string())))
        }
        StoreError::Conflict => StoreError::Conflict,
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Other(inner) => StoreError::other(inner.to_string()),
    }
}

/// One recording as one query (one trip to the connection's thread): a savepoint, the event
/// claim, the entries and the sums, then the release of the savepoint. The parameters are
/// anonymous (`?`), bound in the order they appear across the statements: sqlx-sqlite treats
/// a numbered parameter that a statement skips as a positional one, so numbers reused across
/// statements would shift the values. After a claim that found the event already applied,
/// `changes()` is 0 and no entry is inserted; each entry insert passes its own `changes()` on to
/// the next, so either all of them go in or none. A recording that may cross a limit's
/// threshold keeps its savepoint open for a second query: the outbox rows of the thresholds its
/// sums crossed, and the release.
async fn apply(c: &mut SqliteConnection, r: &Recording) -> Result<Outcome, StoreError> {
    let mut sql = String::with_capacity(256 + 300 * (r.entries.len() + r.sums.len()));
    let mut a = Args::default();
    sql.push_str("SAVEPOINT record_one;\n");
    if let Some(key) = &r.event {
        let _ = writeln!(sql, "{} RETURNING 1;", CLAIM_EVENT.sqlite);
        a.bind(key.as_str())?;
        a.bind(r.account_id)?;
        a.bind(r.now)?;
    }
    let guard = if r.event.is_some() {
        " WHERE changes() = 1"
    } else {
        ""
    };
    for e in &r.entries {
        let _ = writeln!(
            sql,
            "INSERT INTO entries (account_id, kind, amount_minor, currency, category, note, \
             occurred_on, recorded_at, recorded_by, source_message) \
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?{guard} RETURNING id;"
        );
        a.bind(r.account_id)?;
        a.bind(e.kind.as_str())?;
        a.bind(e.money.minor_units())?;
        a.bind(e.money.currency().code().to_owned())?;
        a.bind(e.category.as_str())?;
        a.bind(e.note.as_ref().map(Note::as_str))?;
        a.bind(e.occurred_on)?;
        a.bind(r.now)?;
        a.bind(r.recorded_by)?;
        a.bind(r.source_message.as_deref())?;
    }
    if let Some(identity) = r.clears_pending {
        // After the inserts: `changes()` still says whether the last entry went in, so a
        // redelivery (no entry) leaves the question alone.
        let only_if_recorded = if r.event.is_some() {
            " AND changes() = 1"
        } else {
            ""
        };
        let _ = writeln!(
            sql,
            "DELETE FROM pending_states WHERE identity_id = ?{only_if_recorded};"
        );
        a.bind(identity)?;
    }
    for s in &r.sums {
        let _ = writeln!(sql, "{};", SPENT.sqlite);
        let category = s.category.as_ref().map(Category::as_str);
        a.bind(r.account_id)?;
        a.bind(s.range.from)?;
        a.bind(s.range.to)?;
        a.bind(s.currency.code())?;
        a.bind(category)?;
        a.bind(category)?;
    }
    if r.alerts.is_empty() {
        sql.push_str("RELEASE record_one;");
    }
    let values: Vec<i64> = sqlx::query_scalar_with::<Sqlite, i64, _>(&sql, a.0)
        .fetch_all(&mut *c)
        .await?;
    let outcome = split(r, &values)?;
    if !r.alerts.is_empty() {
        let sums = outcome.as_ref().map(|(_, sums)| sums.as_slice());
        write_alerts(c, r, sums).await?;
    }
    Ok(outcome)
}

/// The entry ids and the sums among the values the recording's query returned; `None` when the
/// event was applied before (the claim returned nothing, and no entry went in).
fn split(r: &Recording, values: &[i64]) -> Result<Outcome, StoreError> {
    let (n, m) = (r.entries.len(), r.sums.len());
    let values = match (r.event.is_some(), values.len()) {
        (true, len) if len == 1 + n + m => &values[1..],
        (true, len) if len == m => return Ok(None),
        (false, len) if len == n + m => values,
        (_, len) => {
            return Err(StoreError::other(format!(
                "recording returned {len} values where {n} entries and {m} sums were expected"
            )));
        }
    };
    let (ids, sums) = values.split_at(n);
    Ok(Some((ids.to_vec(), sums.to_vec())))
}

/// Ends the savepoint of a recording with alert checks, first writing an outbox row for every
/// threshold its sums crossed, once per (limit, period, threshold) ever. `sums` is `None` when
/// the event was applied before: then nothing was recorded and nothing is written.
async fn write_alerts(
    c: &mut SqliteConnection,
    r: &Recording,
    sums: Option<&[i64]>,
) -> Result<(), StoreError> {
    let mut sql = String::new();
    let mut a = Args::default();
    if let Some(sums) = sums {
        for check in &r.alerts {
            for threshold in check.crossed(sums)? {
                let _ = writeln!(sql, "{};", INSERT_LIMIT_ALERT.sqlite);
                a.bind(r.account_id)?;
                a.bind(check.limit.0)?;
                a.bind(check.period_from)?;
                a.bind(threshold.as_i16())?;
                a.bind(r.now)?;
                a.bind(r.now)?;
            }
        }
    }
    sql.push_str("RELEASE record_one;");
    sqlx::query_with::<Sqlite, _>(&sql, a.0)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Bound values, in the order of their `?`.
#[derive(Default)]
struct Args<'a>(SqliteArguments<'a>);

impl<'a> Args<'a> {
    /// Binds the next `?`.
    fn bind<T>(&mut self, value: T) -> Result<(), StoreError>
    where
        T: sqlx::Encode<'a, Sqlite> + sqlx::Type<Sqlite> + 'a,
    {
        self.0
            .add(value)
            .map_err(|e| StoreError::Other(e.to_string().into()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};

    use crate::domain::{AccountId, Category, Currency, EntryKind, Money, NewEntry};
    use crate::store::{NewRecording, RecordingOutcome, Store, StoreError};

    fn entry(minor: i64) -> NewEntry {
        NewEntry {
            kind: EntryKind::Expense,
            money: Money::from_minor(minor, Currency::USD),
            category: Category::other(),
            note: None,
            occurred_on: NaiveDate::from_ymd_opt(2026, 3, 4).unwrap_or_default(),
        }
    }

    /// Concurrent recordings share transactions; each still stands alone: a redelivered key
    /// skips only itself, a failing recording (a zero amount breaks a CHECK) leaves no claim.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_recording_in_a_group_stands_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display());
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let mut tx = store.begin_write().await.expect("begin");
        let account = tx
            .insert_account(Currency::USD, chrono_tz::UTC, "en", Utc::now())
            .await
            .expect("account");
        tx.commit().await.expect("commit");
        let record = |key: String, minor: i64| {
            let store = store.clone();
            async move {
                let entries = [entry(minor)];
                let r = NewRecording {
                    account: account.id,
                    by: None,
                    event: Some(&key),
                    entries: &entries,
                    source_message: None,
                    now: Utc::now(),
                    sums: &[],
                    alerts: &[],
                    clears_pending: None,
                };
                store.record(&r).await
            }
        };
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..40 {
            // Keys 0..20 twice, and one zero amount (key "bad").
            let (key, minor) = match i {
                39 => ("bad".to_owned(), 0),
                i => (format!("k{}", i % 20), 100),
            };
            tasks.spawn(record(key, minor));
        }
        let (mut recorded, mut duplicates, mut failed) = (0, 0, 0);
        while let Some(done) = tasks.join_next().await {
            match done.expect("task") {
                Ok(RecordingOutcome::Recorded { entries, .. }) => {
                    assert_eq!(entries.len(), 1);
                    recorded += 1;
                }
                Ok(RecordingOutcome::Duplicate) => duplicates += 1,
                Err(StoreError::Other(_)) => failed += 1,
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!((recorded, duplicates, failed), (20, 19, 1));
        let spent = store
            .spent(
                AccountId(account.id.0),
                Currency::USD,
                None,
                crate::domain::DateRange::month_of(
                    NaiveDate::from_ymd_opt(2026, 3, 4).unwrap_or_default(),
                ),
            )
            .await
            .expect("spent");
        assert_eq!(spent, 20 * 100);
        // The failed one claimed nothing: the same key records once it is right.
        match record("bad".to_owned(), 5).await.expect("retry") {
            RecordingOutcome::Recorded { entries, .. } => assert_eq!(entries.len(), 1),
            RecordingOutcome::Duplicate => panic!("the failed recording kept its claim"),
        }
    }
}
