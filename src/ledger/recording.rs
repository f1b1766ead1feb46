//! Recording entries and taking them back: [`Ledger::record`] writes the entries, the event
//! key and every limit alert they cause in one transaction, then tells where spending stands;
//! undo and delete remove one entry. A recording is planned before the write (which sums to
//! read, which thresholds to check), so the single writer does no more than it must.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::limits::status;
use super::{Crossing, Ledger, LedgerError, Session, Source, claim, counts_towards};
use crate::domain::crossed_thresholds;
use crate::domain::{
    Currency, DateRange, Entry, EntryId, EntryKind, EventKey, Limit, LimitStatus, Money, NewEntry,
};
use crate::store::{AlertCheck, NewRecording, RecordingOutcome, SpentQuery};

/// What [`Ledger::record`] did.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub entries: Vec<Entry>,
    /// Every limit the entries count towards, in the period holding `today`.
    pub statuses: Vec<LimitStatus>,
    pub crossings: Vec<Crossing>,
    /// Expenses in the account's currency during the calendar month holding `today`, these
    /// included; `None` when no expense was recorded.
    pub month_spent: Option<Decimal>,
}

/// What a recording will read and check, decided before the write transaction so that the
/// single writer does no more than insert, sum and compare.
struct RecordingPlan {
    /// Each sum of expenses to read once the entries are in, asked once however often needed.
    sums: Vec<SpentQuery>,
    /// Each threshold of each period a limit's new expenses fall in: the store writes an outbox
    /// row, in the same transaction, for every one the recording passes.
    alerts: Vec<AlertCheck>,
    limits: Vec<LimitPlan>,
    /// The index of the sum over the calendar month holding `today`, in the account's
    /// currency; `None` when no expense is recorded.
    month: Option<usize>,
}

/// The sums one limit needs after a recording: where to find each.
struct LimitPlan {
    limit: Limit,
    /// The index of the sum over the period holding `today`.
    current: usize,
    /// Each period holding a counted entry, in the order the entries first name it.
    ranges: Vec<RangePlan>,
}

/// One period of a limit that the recorded entries count towards.
struct RangePlan {
    range: DateRange,
    /// What the entries add to the period, in minor units of the limit's currency.
    added: i64,
    /// The index of the sum over the period, the entries included.
    sum: usize,
}

impl Ledger {
    /// Records entries in one transaction together with `source.event` ([`LedgerError::Duplicate`]
    /// when that event was applied before: then nothing changes). Returns the entries, the status
    /// of every limit the expenses count towards in the period holding `today`, the thresholds
    /// this change newly crossed in the period holding each entry's day, and the month so far.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, count = entries.len()))]
    pub async fn record(
        &self,
        s: &Session,
        source: &Source,
        entries: &[NewEntry],
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Recorded, LedgerError> {
        let account = &s.account;
        let any_expense = entries.iter().any(|e| e.kind == EntryKind::Expense);
        // The limits are read before the write transaction, where reading costs the single
        // writer nothing. A limit set or removed concurrently with this recording is simply
        // not (or still) considered for it; the sums themselves are read inside the write
        // transaction, so the spending and the thresholds crossed are exact.
        let limits = if any_expense {
            self.store.limits(account.id).await?
        } else {
            Vec::new()
        };
        let month_currency = any_expense.then_some(account.currency);
        let plan = RecordingPlan::new(limits, entries, today, month_currency);
        let outcome = self
            .store
            .record(&NewRecording {
                account: account.id,
                by: Some(s.identity_id),
                event: source.event.as_ref().map(|k| k.0.as_str()),
                entries,
                source_message: source.message.as_deref(),
                now,
                sums: &plan.sums,
                alerts: &plan.alerts,
                clears_pending: source.answers_pending.then_some(s.identity_id),
            })
            .await?;
        match outcome {
            RecordingOutcome::Recorded { entries, sums } => {
                plan.results(entries, &sums, today, account.currency)
            }
            RecordingOutcome::Duplicate => Err(LedgerError::Duplicate),
        }
    }

    /// The entries recorded from one platform message (for repeating its confirmation).
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn recorded_from(
        &self,
        s: &Session,
        message: &str,
    ) -> Result<Vec<Entry>, LedgerError> {
        Ok(self
            .store
            .recorded_from_message(s.account.id, message)
            .await?)
    }

    /// Deletes the account's most recently recorded entry; `Ok(None)` when there is none.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn undo_last(
        &self,
        s: &Session,
        event: Option<&EventKey>,
    ) -> Result<Option<Entry>, LedgerError> {
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, Utc::now()).await?;
        let Some(entry) = tx.latest_entry(s.account.id).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        tx.delete_entry(s.account.id, entry.id).await?;
        tx.commit().await?;
        Ok(Some(entry))
    }

    /// Deletes one entry of this account; `Ok(None)` when no such entry belongs to it.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, entry = %id))]
    pub async fn delete(
        &self,
        s: &Session,
        id: EntryId,
        event: Option<&EventKey>,
    ) -> Result<Option<Entry>, LedgerError> {
        Ok(self.delete_all(s, &[id], event).await?.pop())
    }

    /// Deletes these entries of this account in one transaction with `event`: all of them or,
    /// when anything fails, none. Ids that are not the account's are skipped. Returns what was
    /// deleted, in the order asked.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, count = ids.len()))]
    pub async fn delete_all(
        &self,
        s: &Session,
        ids: &[EntryId],
        event: Option<&EventKey>,
    ) -> Result<Vec<Entry>, LedgerError> {
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, Utc::now()).await?;
        let mut deleted = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(entry) = tx.entry(s.account.id, id).await? {
                tx.delete_entry(s.account.id, entry.id).await?;
                deleted.push(entry);
            }
        }
        tx.commit().await?;
        Ok(deleted)
    }
}

impl RecordingPlan {
    /// Plans the sums and threshold checks of recording `entries`: for each limit the expenses
    /// count towards, the period holding `today` and each period holding one of them; and the
    /// month so far in `month_currency` when it is given.
    fn new(
        limits: Vec<Limit>,
        entries: &[NewEntry],
        today: NaiveDate,
        month_currency: Option<Currency>,
    ) -> RecordingPlan {
        let mut plan = RecordingPlan {
            sums: Vec::new(),
            alerts: Vec::new(),
            limits: Vec::new(),
            month: None,
        };
        for limit in limits {
            let counted: Vec<&NewEntry> = entries
                .iter()
                .filter(|e| counts_towards(&limit, e))
                .collect();
            if !counted.is_empty() {
                plan.plan_limit(limit, &counted, today);
            }
        }
        plan.month = month_currency.map(|currency| {
            let q = SpentQuery {
                currency,
                category: None,
                range: DateRange::month_of(today),
            };
            position_or_push(&mut plan.sums, q)
        });
        plan
    }

    /// Adds the sums of one limit that `counted` entries count towards, and a check of every
    /// threshold in each period holding one of them.
    fn plan_limit(&mut self, limit: Limit, counted: &[&NewEntry], today: NaiveDate) {
        let current = sum_index(&mut self.sums, &limit, limit.period.range_containing(today));
        let mut ranges: Vec<RangePlan> = Vec::new();
        for e in counted {
            let range = limit.period.range_containing(e.occurred_on);
            match ranges.iter_mut().find(|r| r.range == range) {
                Some(r) => r.added += e.money.minor_units(),
                None => ranges.push(RangePlan {
                    range,
                    added: e.money.minor_units(),
                    sum: sum_index(&mut self.sums, &limit, range),
                }),
            }
        }
        // Each such range: the store writes an outbox row, in the same transaction, for every
        // threshold the recording crosses there.
        for r in &ranges {
            self.alerts.push(AlertCheck {
                limit: limit.id,
                period_from: r.range.from,
                sum: r.sum,
                added: r.added,
                limit_minor: limit.money.minor_units(),
            });
        }
        self.limits.push(LimitPlan {
            limit,
            current,
            ranges,
        });
    }

    /// What the recording did, from the entries written and the sums read after them
    /// (`values[i]` answers `self.sums[i]`).
    fn results(
        self,
        entries: Vec<Entry>,
        values: &[i64],
        today: NaiveDate,
        currency: Currency,
    ) -> Result<Recorded, LedgerError> {
        let value = |i: usize| {
            values
                .get(i)
                .copied()
                .ok_or_else(|| LedgerError::Other("the store returned too few sums".into()))
        };
        let mut statuses = Vec::with_capacity(self.limits.len());
        let mut crossings = Vec::new();
        for plan in self.limits {
            for r in &plan.ranges {
                let after = value(r.sum)?;
                let limit_minor = plan.limit.money.minor_units();
                for threshold in crossed_thresholds(limit_minor, after - r.added, after) {
                    crossings.push(Crossing {
                        limit: plan.limit.clone(),
                        range: r.range,
                        threshold,
                    });
                }
            }
            let current = plan.limit.period.range_containing(today);
            statuses.push(status(plan.limit, current, value(plan.current)?));
        }
        let month_spent = match self.month {
            Some(i) => Some(Money::from_minor(value(i)?, currency).amount()),
            None => None,
        };
        Ok(Recorded {
            entries,
            statuses,
            crossings,
            month_spent,
        })
    }
}

/// The index of the sum spent against a limit over a range, asked once however often needed.
fn sum_index(sums: &mut Vec<SpentQuery>, limit: &Limit, range: DateRange) -> usize {
    let q = SpentQuery {
        currency: limit.money.currency(),
        category: limit.category.clone(),
        range,
    };
    position_or_push(sums, q)
}

fn position_or_push(sums: &mut Vec<SpentQuery>, q: SpentQuery) -> usize {
    match sums.iter().position(|s| *s == q) {
        Some(i) => i,
        None => {
            sums.push(q);
            sums.len() - 1
        }
    }
}
