//! What an account holds beyond single entries: the chats linked to it (listed and unlinked),
//! alerts by email turned back on, spending per day over a range, and which of a batch of
//! entries are recorded already (for imports). Every use case here is scoped to the session's
//! account; nothing here formats or talks to a platform.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Ledger, LedgerError, Session};
use crate::domain::{Currency, DateRange, Entry, IdentityId, Money, NewEntry, Platform};

/// A chat identity of an account, as the settings page lists it.
#[derive(Debug, Clone)]
pub struct LinkedChat {
    pub id: IdentityId,
    pub platform: Platform,
    pub name: String,
}

/// A batch of entries split by whether the account has them already.
#[derive(Debug, Clone)]
pub struct Unrecorded {
    /// The entries not recorded yet, in the order given.
    pub fresh: Vec<NewEntry>,
    /// How many of the batch are recorded already.
    pub duplicates: usize,
}

impl Ledger {
    /// The chats of the account (its web identity left out), oldest first.
    pub async fn linked_chats(&self, s: &Session) -> Result<Vec<LinkedChat>, LedgerError> {
        let rows = self.store.linked_identities(s.account.id).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let platform = Platform::parse(&r.platform)?;
                (platform != Platform::Web).then(|| LinkedChat {
                    id: IdentityId(r.id),
                    platform,
                    name: r.display_name.unwrap_or(r.external_id),
                })
            })
            .collect())
    }

    /// Unlinks a chat from the account: its next message starts a wallet of its own, and what
    /// it recorded stays here. `false` when the account has no such chat.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn unlink_chat(&self, s: &Session, id: IdentityId) -> Result<bool, LedgerError> {
        if id == s.identity_id {
            return Ok(false);
        }
        Ok(self.store.delete_identity(s.account.id, id).await?)
    }

    /// Turns alerts by email on again; `false` when the address is not verified (or they were
    /// on already).
    pub async fn email_on(&self, s: &Session) -> Result<bool, LedgerError> {
        Ok(self.store.email_alerts_on(s.account.id).await?)
    }

    /// Expenses in one currency for each day of a range, days without any as zero.
    pub async fn daily_spent(
        &self,
        s: &Session,
        currency: Currency,
        range: DateRange,
    ) -> Result<Vec<(NaiveDate, Decimal)>, LedgerError> {
        let rows = self
            .store
            .daily_spent(s.account.id, currency, range)
            .await?;
        let mut days = Vec::new();
        let mut day = range.from;
        while day <= range.to {
            let minor = rows.iter().find(|(d, _)| *d == day).map_or(0, |(_, m)| *m);
            days.push((day, Money::from_minor(minor, currency).amount()));
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        Ok(days)
    }

    /// Splits entries into those the account has not recorded yet and how many it has: an
    /// entry is recorded when one of the same kind, day, amount, currency, category and note
    /// exists (as often as it exists: two equal coffees in a file and one recorded add one).
    pub async fn not_yet_recorded(
        &self,
        s: &Session,
        entries: Vec<NewEntry>,
    ) -> Result<Unrecorded, LedgerError> {
        let (Some(from), Some(to)) = (
            entries.iter().map(|e| e.occurred_on).min(),
            entries.iter().map(|e| e.occurred_on).max(),
        ) else {
            return Ok(Unrecorded {
                fresh: entries,
                duplicates: 0,
            });
        };
        let filter = crate::store::EntryFilter {
            range: Some(DateRange::new(from, to)),
            category: None,
            kind: None,
            text: None,
            limit: u32::MAX,
            offset: 0,
        };
        let mut existing: Vec<Entry> = self.store.entries(s.account.id, &filter).await?;
        let mut fresh = Vec::with_capacity(entries.len());
        let mut duplicates = 0;
        for e in entries {
            let same = existing.iter().position(|x| {
                x.kind == e.kind
                    && x.occurred_on == e.occurred_on
                    && x.money == e.money
                    && x.category == e.category
                    && x.note == e.note
            });
            match same {
                Some(i) => {
                    existing.swap_remove(i);
                    duplicates += 1;
                }
                None => fresh.push(e),
            }
        }
        Ok(Unrecorded { fresh, duplicates })
    }
}
