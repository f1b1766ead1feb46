//! Recording entries and taking them back: [`Ledger::record`] writes the entries, the event
//! key and every limit alert they cause in one transaction, then tells where spending stands;
//! undo and delete remove one entry. A recording is planned before the write (which sums to
//! read, which thresholds to check), so the single writer does no more than it must.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::limits::status;
use super::{
    Crossing, Ledger, LedgerError, Session, Source, Threshold, claim, counts_towards, newly_crossed,
};
use crate::domain::{
    DateRange, Entry, EntryId, EntryKind, EventKey, Limit, LimitStatus, Money, NewEntry,
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

/// The sums one limit needs after a recording: where to find each.
struct LimitPlan {
    limit: Limit,
    /// The index of the sum over the period holding `today`.
    current: usize,
    /// Each period holding a counted entry: the range, what the entries add to it (minor
    /// units), and the index of its sum.
    ranges: Vec<(DateRange, i64, usize)>,
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
        // For each limit the new expenses count towards: the ranges holding them and the
        // current one, each a sum to read after the insert.
        let mut sums: Vec<SpentQuery> = Vec::new();
        let mut plans: Vec<LimitPlan> = Vec::new();
        // Each threshold of each such range: the store writes an outbox row, in the same
        // transaction, for every one the recording passes.
        let mut alerts: Vec<AlertCheck> = Vec::new();
        for limit in limits {
            let counted: Vec<&NewEntry> = entries
                .iter()
                .filter(|e| counts_towards(&limit, e))
                .collect();
            if counted.is_empty() {
                continue;
            }
            let current = limit.period.range_containing(today);
            let mut ranges: Vec<(DateRange, i64)> = Vec::new();
            for e in &counted {
                let range = limit.period.range_containing(e.occurred_on);
                match ranges.iter_mut().find(|(r, _)| *r == range) {
                    Some((_, added)) => *added += e.money.minor_units(),
                    None => ranges.push((range, e.money.minor_units())),
                }
            }
            let mut plan = LimitPlan {
                current: sum_index(&mut sums, &limit, current),
                ranges: Vec::with_capacity(ranges.len()),
                limit,
            };
            for (range, added) in ranges {
                let at = sum_index(&mut sums, &plan.limit, range);
                for threshold in Threshold::ALL {
                    alerts.push(AlertCheck {
                        limit: plan.limit.id,
                        period_from: range.from,
                        sum: at,
                        added,
                        limit_minor: plan.limit.money.minor_units(),
                        percent: threshold.as_i16(),
                    });
                }
                plan.ranges.push((range, added, at));
            }
            plans.push(plan);
        }
        let month = any_expense.then(|| {
            let q = SpentQuery {
                currency: account.currency,
                category: None,
                range: DateRange::month_of(today),
            };
            position_or_push(&mut sums, q)
        });
        let outcome = self
            .store
            .record(&NewRecording {
                account: account.id,
                by: Some(s.identity_id),
                event: source.event.as_ref().map(|k| k.0.as_str()),
                entries,
                source_message: source.message.as_deref(),
                now,
                sums: &sums,
                alerts: &alerts,
            })
            .await?;
        let (recorded, values) = match outcome {
            RecordingOutcome::Recorded { entries, sums } => (entries, sums),
            RecordingOutcome::Duplicate => return Err(LedgerError::Duplicate),
        };
        let value = |i: usize| {
            values
                .get(i)
                .copied()
                .ok_or_else(|| LedgerError::Other("the store returned too few sums".into()))
        };
        let mut statuses = Vec::with_capacity(plans.len());
        let mut crossings = Vec::new();
        for plan in plans {
            for &(range, added, at) in &plan.ranges {
                let after = value(at)?;
                for threshold in newly_crossed(plan.limit.money.minor_units(), after - added, after)
                {
                    crossings.push(Crossing {
                        limit: plan.limit.clone(),
                        range,
                        threshold,
                    });
                }
            }
            let current = plan.limit.period.range_containing(today);
            statuses.push(status(plan.limit, current, value(plan.current)?));
        }
        let month_spent = match month {
            Some(i) => Some(Money::from_minor(value(i)?, account.currency).amount()),
            None => None,
        };
        Ok(Recorded {
            entries: recorded,
            statuses,
            crossings,
            month_spent,
        })
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
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, Utc::now()).await?;
        let Some(entry) = tx.entry(s.account.id, id).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        tx.delete_entry(s.account.id, entry.id).await?;
        tx.commit().await?;
        Ok(Some(entry))
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
