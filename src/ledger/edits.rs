//! Changes to recorded entries that can push spending past a limit: editing one entry (from the
//! web), applying an edit of the platform message entries came from, and changing an entry's
//! category. Like a recording, a change writes each threshold it newly passes to the outbox in
//! its own transaction, once per limit, period and threshold. Nothing here formats or sends.

use chrono::{DateTime, Utc};

use super::{Crossing, Ledger, LedgerError, Session, claim, counts_towards};
use crate::domain::crossed_thresholds;
use crate::domain::{AccountId, Category, DateRange, Entry, EntryId, EventKey, Limit, NewEntry};
use crate::store::Tx;

/// The sums of the limits a change counts towards, read before the change, to compare with
/// the sums after it.
pub(super) struct Watch {
    before: Vec<Watched>,
}

/// What was spent against one limit in one period before the change.
struct Watched {
    limit: Limit,
    range: DateRange,
    /// Minor units of the limit's currency.
    spent: i64,
}

impl Watch {
    /// Locks the limits `entries` count towards (in id order, so that two changes never wait
    /// for each other) and reads what was spent against each in the periods holding them.
    pub(super) async fn start(
        tx: &mut Tx,
        account: AccountId,
        limits: &[Limit],
        entries: &[&NewEntry],
    ) -> Result<Watch, LedgerError> {
        let mut pairs: Vec<(Limit, DateRange)> = Vec::new();
        for limit in limits {
            for e in entries.iter().filter(|e| counts_towards(limit, e)) {
                let range = limit.period.range_containing(e.occurred_on);
                if !pairs.iter().any(|(l, r)| l.id == limit.id && *r == range) {
                    pairs.push((limit.clone(), range));
                }
            }
        }
        let mut ids: Vec<_> = pairs.iter().map(|(l, _)| l.id).collect();
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        for id in ids {
            tx.lock_limit(id).await?;
        }
        let mut before = Vec::with_capacity(pairs.len());
        for (limit, range) in pairs {
            let spent = tx
                .spent(
                    account,
                    limit.money.currency(),
                    limit.category.as_ref(),
                    range,
                )
                .await?;
            before.push(Watched {
                limit,
                range,
                spent,
            });
        }
        Ok(Watch { before })
    }

    /// Reads the sums again after the change and writes an outbox alert for every threshold
    /// newly passed; returns those.
    pub(super) async fn finish(
        self,
        tx: &mut Tx,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Crossing>, LedgerError> {
        let mut crossings = Vec::new();
        for Watched {
            limit,
            range,
            spent: before,
        } in self.before
        {
            let after = tx
                .spent(
                    account,
                    limit.money.currency(),
                    limit.category.as_ref(),
                    range,
                )
                .await?;
            for threshold in crossed_thresholds(limit.money.minor_units(), before, after) {
                let written = tx
                    .insert_limit_alert(account, limit.id, range.from, threshold.as_i16(), now)
                    .await?;
                if written {
                    crossings.push(Crossing {
                        limit: limit.clone(),
                        range,
                        threshold,
                    });
                }
            }
        }
        Ok(crossings)
    }
}

/// The entries of one platform message before and after an edit, each in id order.
pub type EditedEntries = (Vec<Entry>, Vec<Entry>);

/// An entry before and after an edit, and the thresholds the edit newly passed.
#[derive(Debug, Clone)]
pub struct Edited {
    pub before: Entry,
    pub after: Entry,
    pub crossings: Vec<Crossing>,
}

impl Ledger {
    /// Replaces what one entry of this account says (kind, amount, currency, category, note,
    /// day); `Ok(None)` when the account has no such entry. The event key is claimed in the
    /// same transaction ([`LedgerError::Duplicate`] on a repeat), and a limit the edit pushes
    /// past a threshold gets its alert, as a recording would.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, entry = %id))]
    pub async fn edit_entry(
        &self,
        s: &Session,
        id: EntryId,
        entry: &NewEntry,
        event: Option<&EventKey>,
        now: DateTime<Utc>,
    ) -> Result<Option<Edited>, LedgerError> {
        let account = s.account.id;
        let limits = self.store.limits(account).await?;
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, now).await?;
        let Some(before) = tx.entry(account, id).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let watch = Watch::start(&mut tx, account, &limits, &[entry]).await?;
        if !tx.update_entry(account, id, entry).await? {
            return Err(LedgerError::NotFound);
        }
        let crossings = watch.finish(&mut tx, account, now).await?;
        tx.commit().await?;
        let after = Entry {
            kind: entry.kind,
            money: entry.money,
            category: entry.category.clone(),
            note: entry.note.clone(),
            occurred_on: entry.occurred_on,
            ..before.clone()
        };
        Ok(Some(Edited {
            before,
            after,
            crossings,
        }))
    }

    /// One entry of this account; `Ok(None)` when it has no such entry.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, entry = %id))]
    pub async fn entry(&self, s: &Session, id: EntryId) -> Result<Option<Entry>, LedgerError> {
        Ok(self.store.entry(s.account.id, id).await?)
    }

    /// Applies an edit of the platform message `message` (the [`Source::message`] the entries
    /// were recorded with): the entries recorded from it are changed in place, pairwise in id
    /// order (same ids, so an Undo button on the old confirmation still works), extra old ones
    /// deleted, extra new ones inserted with the same source message. `Ok(None)` when no entry
    /// of this account came from that message (nothing changes then, and the event key is not
    /// claimed). Otherwise the event key is claimed in the same transaction
    /// ([`LedgerError::Duplicate`] on a redelivery). Returns (before, after), in id order.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, count = entries.len()))]
    pub async fn edit_message_entries(
        &self,
        s: &Session,
        message: &str,
        entries: &[NewEntry],
        event: Option<&EventKey>,
        now: DateTime<Utc>,
    ) -> Result<Option<EditedEntries>, LedgerError> {
        let account = s.account.id;
        let limits = self.store.limits(account).await?;
        let mut tx = self.store.begin_write().await?;
        // Locks them (PostgreSQL, MySQL): two edits of one message apply one after the other.
        let before = tx.entries_from_message(account, message).await?;
        if before.is_empty() {
            tx.rollback().await?;
            return Ok(None);
        }
        claim(&mut tx, event, s, now).await?;
        let changed: Vec<&NewEntry> = entries.iter().collect();
        let watch = Watch::start(&mut tx, account, &limits, &changed).await?;
        let mut after = Vec::with_capacity(entries.len());
        for (old, new) in before.iter().zip(entries) {
            if !tx.update_entry(account, old.id, new).await? {
                return Err(LedgerError::NotFound);
            }
            after.push(Entry {
                kind: new.kind,
                money: new.money,
                category: new.category.clone(),
                note: new.note.clone(),
                occurred_on: new.occurred_on,
                ..old.clone()
            });
        }
        for old in before.iter().skip(entries.len()) {
            tx.delete_entry(account, old.id).await?;
        }
        for new in entries.iter().skip(before.len()) {
            after.push(
                tx.insert_entry(account, Some(s.identity_id), new, Some(message), now)
                    .await?,
            );
        }
        watch.finish(&mut tx, account, now).await?;
        tx.commit().await?;
        Ok(Some((before, after)))
    }

    /// Changes the category of one entry of this account; `Ok(None)` when the account has no
    /// such entry. The event key is claimed in the same transaction either way.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, entry = %id))]
    pub async fn set_category(
        &self,
        s: &Session,
        id: EntryId,
        category: &Category,
        event: Option<&EventKey>,
    ) -> Result<Option<Entry>, LedgerError> {
        let now = Utc::now();
        let account = s.account.id;
        let limits = self.store.limits(account).await?;
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, now).await?;
        let Some(old) = tx.entry(account, id).await? else {
            tx.commit().await?;
            return Ok(None);
        };
        let changed = NewEntry {
            kind: old.kind,
            money: old.money,
            category: category.clone(),
            note: old.note.clone(),
            occurred_on: old.occurred_on,
        };
        // A category change can put an expense under a category's limit.
        let watch = Watch::start(&mut tx, account, &limits, &[&changed]).await?;
        if !tx.set_entry_category(account, id, category).await? {
            return Err(LedgerError::NotFound);
        }
        watch.finish(&mut tx, account, now).await?;
        tx.commit().await?;
        Ok(Some(Entry {
            category: category.clone(),
            ..old
        }))
    }
}
