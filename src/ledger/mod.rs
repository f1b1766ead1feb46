//! The use cases of a wallet: first contact, recording, listing and summarising entries, undo
//! and delete, edits of the message an expense came from, changing an entry's category, limits
//! and where spending stands against them, account settings, linking chat identities with
//! one-time codes, whether an identity can be written to, and the conversation state of
//! follow-up questions. Overspend alerts, their outbox and verified email addresses are in
//! [`alerts`].
//!
//! Every operation is scoped to the session's account: nothing here reads or changes another
//! account's data. Writes that come from a platform event record the event key in the same
//! transaction, so a redelivery changes nothing. This module never talks to a platform, never
//! formats replies, and never logs note text or codes.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::domain::{
    Account, AccountId, Category, CategoryTotal, ChatIdentity, Currency, DEFAULT_CATEGORIES,
    DateRange, Entry, EntryId, EntryKind, EventKey, IdentityId, Limit, LimitPeriod, LimitStatus,
    Money, NewEntry, NewLimit, Summary, crossed_thresholds,
};
use crate::store::{
    AccountSetting, AlertCheck, EntryFilter, NewRecording, RecordingOutcome, SpentQuery, Store,
    StoreError, Tx,
};

mod alerts;
mod edits;
mod wallet;
mod web;
mod web_links;

pub use crate::domain::Threshold;
pub use alerts::{
    Alert, AlertKind, EMAIL_CODE_TTL, EMAIL_CODES_PER_HOUR, EMAIL_MAX_CHARS, ERROR_MAX_CHARS,
    LinkPurpose,
};
pub use edits::Edited;
pub use wallet::LinkedChat;
pub use web::{
    CHAT_LOGIN_TTL, LOGIN_FAILURE_WINDOW, LOGIN_FAILURES_MAX, LoginCandidate, RESET_LINK_TTL,
    Registration, VERIFY_LINK_TTL, WEB_SESSION_IDLE, WebLogin, WebSessionStart, WebVisit,
    login_email,
};

/// How long a link code stays valid.
pub const LINK_CODE_TTL: Duration = Duration::minutes(10);
/// The characters of a link code: no 0/O, 1/I/L, which people confuse when typing.
const LINK_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const LINK_CODE_LEN: usize = 8;
/// The longest language tag kept for an account.
const LANGUAGE_MAX_CHARS: usize = 35;

/// What a new account starts with.
#[derive(Debug, Clone)]
pub struct AccountDefaults {
    pub currency: Currency,
    pub timezone: chrono_tz::Tz,
    pub language: String,
}

/// The use cases over one store. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    store: Store,
    defaults: AccountDefaults,
}

/// Who is talking: their account and the chat identity row.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub identity_id: IdentityId,
    /// Whether this contact created the account.
    pub created: bool,
}

/// Where a change comes from.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The platform event, so that a redelivery changes nothing.
    pub event: Option<EventKey>,
    /// The platform's reference of the message, so that an edit of it can change the entry.
    pub message: Option<String>,
}

/// A threshold that a change newly crossed, in the period holding the changed entry.
#[derive(Debug, Clone)]
pub struct Crossing {
    pub limit: Limit,
    pub range: DateRange,
    pub threshold: Threshold,
}

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

/// The entries of one platform message before and after an edit, each in id order.
pub type EditedEntries = (Vec<Entry>, Vec<Entry>);

/// Which entries to list; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct EntryQuery {
    pub range: Option<DateRange>,
    pub category: Option<Category>,
    /// Matches note or category, any case, as a substring.
    pub text: Option<String>,
    pub kind: Option<EntryKind>,
    /// At most this many (0 means 50).
    pub limit: u32,
    /// Skip this many first (for pages).
    pub offset: u32,
}

/// A one-time code that joins another chat identity to an account.
#[derive(Debug, Clone)]
pub struct LinkCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a use case failed: only what the bot answers differently, plus one opaque case.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The event was applied before; nothing changed.
    #[error("this event was already applied")]
    Duplicate,
    #[error("not found")]
    NotFound,
    /// The link code or email code is wrong, expired or used; nothing changed.
    #[error("the code is wrong, expired or already used")]
    InvalidCode,
    /// Too many email codes were asked for in the last hour; nothing changed.
    #[error("too many codes in the last hour")]
    TooMany,
    /// Not an email address: it needs one @, a dot in the domain, no spaces, and at most 254
    /// characters.
    #[error(
        "not an email address: it needs one @, a dot in the domain, no spaces and at most 254 \
         characters"
    )]
    InvalidEmail,
    /// The database is down.
    #[error("the database is unavailable")]
    Unavailable(#[source] StoreError),
    #[error("ledger failure: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for LedgerError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => LedgerError::NotFound,
            e @ StoreError::Unavailable(_) => LedgerError::Unavailable(e),
            e => LedgerError::Other(Box::new(e)),
        }
    }
}

impl Ledger {
    pub fn new(store: Store, defaults: AccountDefaults) -> Self {
        Self { store, defaults }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn defaults(&self) -> &AccountDefaults {
        &self.defaults
    }

    /// Finds the identity's account, creating identity and account (with the defaults;
    /// `language` overrides the default language when given) on first contact.
    #[tracing::instrument(skip_all, fields(identity = %identity))]
    pub async fn session(
        &self,
        identity: &ChatIdentity,
        display_name: Option<&str>,
        language: Option<&str>,
    ) -> Result<Session, LedgerError> {
        if let Some(m) = self.store.member(identity).await? {
            if m.unreachable {
                // A person who writes to the bot can be written to again. The flag came with
                // the read above, so this costs a write only when it is set.
                match self.store.set_reachable(identity, true).await {
                    Ok(_) => tracing::info!(account = %m.account.id, "identity reachable again"),
                    Err(e) => tracing::warn!(error = %e, "could not mark the identity reachable"),
                }
            }
            return Ok(Session {
                account: m.account,
                identity_id: m.identity_id,
                created: false,
            });
        }
        let language = language
            .map(clean_language)
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| self.defaults.language.clone());
        let display_name = display_name.map(str::trim).filter(|n| !n.is_empty());
        let now = Utc::now();
        let mut tx = self.store.begin_write().await?;
        // Someone else may have created it since the read above (a second replica, say).
        if let Some(m) = tx.member(identity).await? {
            tx.rollback().await?;
            return Ok(Session {
                account: m.account,
                identity_id: m.identity_id,
                created: false,
            });
        }
        let account = tx
            .insert_account(
                self.defaults.currency,
                self.defaults.timezone,
                &language,
                now,
            )
            .await?;
        match tx
            .insert_identity(identity, display_name, account.id, now)
            .await
        {
            Ok(identity_id) => {
                tx.commit().await?;
                tracing::info!(account = %account.id, "account created on first contact");
                Ok(Session {
                    account,
                    identity_id,
                    created: true,
                })
            }
            Err(StoreError::Conflict) => {
                // A concurrent first contact won; dropping the transaction discards our account.
                drop(tx);
                let m = self
                    .store
                    .member(identity)
                    .await?
                    .ok_or(LedgerError::NotFound)?;
                Ok(Session {
                    account: m.account,
                    identity_id: m.identity_id,
                    created: false,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

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
        // Each such range: the store writes an outbox row, in the same transaction, for every
        // threshold the recording crosses there.
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
                alerts.push(AlertCheck {
                    limit: plan.limit.id,
                    period_from: range.from,
                    sum: at,
                    added,
                    limit_minor: plan.limit.money.minor_units(),
                });
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
                let limit_minor = plan.limit.money.minor_units();
                for threshold in crossed_thresholds(limit_minor, after - added, after) {
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
        let watch = edits::Watch::start(&mut tx, account, &limits, &changed).await?;
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
        let watch = edits::Watch::start(&mut tx, account, &limits, &[&changed]).await?;
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

    /// Marks a chat identity reachable or not (a user blocked the bot, or closed their
    /// messages); alerts skip unreachable ones. An unknown identity is `Ok(())`: nothing
    /// changes.
    #[tracing::instrument(skip_all, fields(identity = %identity, reachable))]
    pub async fn set_reachable(
        &self,
        identity: &ChatIdentity,
        reachable: bool,
    ) -> Result<(), LedgerError> {
        self.store.set_reachable(identity, reachable).await?;
        Ok(())
    }

    /// Whether the identity is marked reachable (`true` for unknown identities).
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn is_reachable(&self, identity: &ChatIdentity) -> Result<bool, LedgerError> {
        Ok(self.store.reachable(identity).await?.unwrap_or(true))
    }

    /// Entries newest first (day, then id); see [`EntryQuery`].
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn entries(&self, s: &Session, q: &EntryQuery) -> Result<Vec<Entry>, LedgerError> {
        let filter = EntryFilter {
            range: q.range,
            category: q.category.as_ref(),
            kind: q.kind,
            text: q.text.as_deref(),
            limit: q.limit,
            offset: q.offset,
        };
        Ok(self.store.entries(s.account.id, &filter).await?)
    }

    /// Spending per category and currency, and income per currency, over a range.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn summary(
        &self,
        s: &Session,
        range: DateRange,
        category: Option<&Category>,
    ) -> Result<Summary, LedgerError> {
        self.summary_of(s.account.id, range, category).await
    }

    async fn summary_of(
        &self,
        account: AccountId,
        range: DateRange,
        category: Option<&Category>,
    ) -> Result<Summary, LedgerError> {
        let rows = self.store.totals(account, range, category).await?;
        let mut by_category = Vec::new();
        let mut income: Vec<(Currency, Decimal)> = Vec::new();
        for row in rows {
            let Some(currency) = Currency::parse(&row.currency) else {
                continue;
            };
            let total = Money::from_minor(row.total_minor, currency).amount();
            match EntryKind::parse(&row.kind) {
                Some(EntryKind::Expense) => by_category.push(CategoryTotal {
                    category: Category::parse(&row.category).unwrap_or_else(Category::other),
                    currency,
                    total,
                    count: u64::try_from(row.count).unwrap_or(0),
                }),
                Some(EntryKind::Income) => match income.iter_mut().find(|(c, _)| *c == currency) {
                    Some((_, t)) => *t += total,
                    None => income.push((currency, total)),
                },
                None => {}
            }
        }
        by_category.sort_by(|a, b| {
            b.total
                .cmp(&a.total)
                .then_with(|| a.category.cmp(&b.category))
                .then(a.currency.cmp(&b.currency))
        });
        income.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(Summary {
            range,
            by_category,
            income,
        })
    }

    /// Sets the limit for (period, category), replacing an earlier one.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, period = %limit.period))]
    pub async fn set_limit(
        &self,
        s: &Session,
        limit: &NewLimit,
        event: Option<&EventKey>,
    ) -> Result<Limit, LedgerError> {
        let now = Utc::now();
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, now).await?;
        let limit = tx.upsert_limit(s.account.id, limit, now).await?;
        tx.commit().await?;
        Ok(limit)
    }

    /// Removes the limit for (period, category); `false` when there was none.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, period = %period))]
    pub async fn remove_limit(
        &self,
        s: &Session,
        period: LimitPeriod,
        category: Option<&Category>,
        event: Option<&EventKey>,
    ) -> Result<bool, LedgerError> {
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, Utc::now()).await?;
        let removed = tx.delete_limit(s.account.id, period, category).await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// The account's limits, oldest first.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn limits(&self, s: &Session) -> Result<Vec<Limit>, LedgerError> {
        Ok(self.store.limits(s.account.id).await?)
    }

    /// Where spending stands against every limit, in the period holding `today`.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn limit_statuses(
        &self,
        s: &Session,
        today: NaiveDate,
    ) -> Result<Vec<LimitStatus>, LedgerError> {
        let mut statuses = Vec::new();
        for limit in self.store.limits(s.account.id).await? {
            let range = limit.period.range_containing(today);
            let spent = self
                .store
                .spent(
                    s.account.id,
                    limit.money.currency(),
                    limit.category.as_ref(),
                    range,
                )
                .await?;
            statuses.push(status(limit, range, spent));
        }
        Ok(statuses)
    }

    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn set_currency(&self, s: &Session, c: Currency) -> Result<Account, LedgerError> {
        Ok(self
            .store
            .update_account(s.account.id, AccountSetting::Currency(c))
            .await?)
    }

    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn set_timezone(
        &self,
        s: &Session,
        tz: chrono_tz::Tz,
    ) -> Result<Account, LedgerError> {
        Ok(self
            .store
            .update_account(s.account.id, AccountSetting::Timezone(tz))
            .await?)
    }

    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn set_language(&self, s: &Session, lang: &str) -> Result<Account, LedgerError> {
        let lang = clean_language(lang);
        if lang.is_empty() {
            return Ok(s.account.clone());
        }
        Ok(self
            .store
            .update_account(s.account.id, AccountSetting::Language(&lang))
            .await?)
    }

    /// The default categories, then the custom ones this account has used (alphabetically).
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn categories(&self, s: &Session) -> Result<Vec<Category>, LedgerError> {
        let mut all: Vec<Category> = DEFAULT_CATEGORIES
            .iter()
            .filter_map(|c| Category::parse(c))
            .collect();
        let mut custom: Vec<Category> = self
            .store
            .used_categories(s.account.id)
            .await?
            .into_iter()
            .filter(|c| !c.is_default())
            .collect();
        custom.sort();
        custom.dedup();
        all.extend(custom);
        Ok(all)
    }

    /// A one-time code (8 characters, from the OS random generator), valid for
    /// [`LINK_CODE_TTL`], that joins another chat identity to this account.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn create_link_code(
        &self,
        s: &Session,
        now: DateTime<Utc>,
    ) -> Result<LinkCode, LedgerError> {
        let expires_at = now + LINK_CODE_TTL;
        // A clash among 31^8 codes is unlikely; a few attempts make it practically impossible.
        for _ in 0..4 {
            let code = new_link_code()?;
            let mut tx = self.store.begin_write().await?;
            match tx
                .insert_link_code(&code, s.account.id, now, expires_at)
                .await
            {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(LinkCode { code, expires_at });
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(LedgerError::Other("could not find a free link code".into()))
    }

    /// Joins this identity to the code's account (the code in any case). A wrong, expired or
    /// used code is [`LedgerError::InvalidCode`] and changes nothing. When the identity's old
    /// account is left with no identity, its entries move into the joined account and the old
    /// account (with its limits) is removed. Returns the new session.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn redeem_link_code(
        &self,
        s: &Session,
        code: &str,
        now: DateTime<Utc>,
        event: Option<&EventKey>,
    ) -> Result<Session, LedgerError> {
        let code = normalise_link_code(code).ok_or(LedgerError::InvalidCode)?;
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, now).await?;
        let row = tx.link_code_for_update(&code).await?;
        let Some(row) = row.filter(|r| r.used_at.is_none() && r.expires_at > now) else {
            tx.rollback().await?;
            return Err(LedgerError::InvalidCode);
        };
        let target = crate::domain::AccountId(row.account_id);
        tx.mark_link_code_used(&code, s.identity_id, now).await?;
        let old = s.account.id;
        if target != old {
            tx.move_identity(s.identity_id, target).await?;
            if tx.count_identities(old).await? == 0 {
                let moved = tx.move_entries(old, target).await?;
                tx.delete_account(old).await?;
                tracing::info!(from = %old, to = %target, moved, "abandoned account merged");
            }
        }
        let account = tx.account(target).await?;
        tx.commit().await?;
        Ok(Session {
            account,
            identity_id: s.identity_id,
            created: false,
        })
    }

    /// Keeps conversation state for a follow-up (e.g. the bot asked "how much?").
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn set_pending(
        &self,
        s: &Session,
        payload: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        Ok(self
            .store
            .set_pending(s.identity_id, payload, expires_at)
            .await?)
    }

    /// Takes (removes) the conversation state; `None` when absent or expired.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn take_pending(
        &self,
        s: &Session,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, LedgerError> {
        let pending = self.store.take_pending(s.identity_id).await?;
        Ok(pending.filter(|p| p.expires_at > now).map(|p| p.payload))
    }
}

/// Records the event in the transaction; a redelivery is [`LedgerError::Duplicate`] (the
/// transaction is then dropped, which rolls it back).
async fn claim(
    tx: &mut Tx,
    event: Option<&EventKey>,
    s: &Session,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    if let Some(key) = event {
        if !tx.claim_event(&key.0, s.account.id, now).await? {
            return Err(LedgerError::Duplicate);
        }
    }
    Ok(())
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

/// Whether an entry counts towards a limit: an expense in the limit's currency, and in its
/// category when it has one. Amounts in different currencies are never added.
fn counts_towards(limit: &Limit, e: &NewEntry) -> bool {
    e.kind == EntryKind::Expense
        && e.money.currency() == limit.money.currency()
        && limit.category.as_ref().is_none_or(|c| *c == e.category)
}

fn status(limit: Limit, range: DateRange, spent_minor: i64) -> LimitStatus {
    let spent = Money::from_minor(spent_minor, limit.money.currency()).amount();
    LimitStatus {
        limit,
        range,
        spent,
    }
}

/// A language tag as stored: trimmed, without control characters, at most 35 characters.
fn clean_language(lang: &str) -> String {
    lang.trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(LANGUAGE_MAX_CHARS)
        .collect()
}

/// Upper-cases a typed code and checks it against the alphabet.
fn normalise_link_code(code: &str) -> Option<String> {
    let code: String = code
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    (code.len() == LINK_CODE_LEN && code.bytes().all(|b| LINK_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// Eight characters from [`LINK_CODE_ALPHABET`], drawn from the OS random generator without
/// modulo bias.
fn new_link_code() -> Result<String, LedgerError> {
    use rand::TryRngCore;
    // The largest multiple of the alphabet's length that fits in a byte.
    let alphabet_len = LINK_CODE_ALPHABET.len();
    let zone = 256 - 256 % alphabet_len;
    let mut code = String::with_capacity(LINK_CODE_LEN);
    let mut buf = [0_u8; 32];
    while code.len() < LINK_CODE_LEN {
        rand::rngs::OsRng
            .try_fill_bytes(&mut buf)
            .map_err(|e| LedgerError::Other(Box::new(e)))?;
        for b in buf {
            let b = usize::from(b);
            if b < zone && code.len() < LINK_CODE_LEN {
                code.push(char::from(LINK_CODE_ALPHABET[b % alphabet_len]));
            }
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_codes_avoid_confusable_characters() {
        for _ in 0..50 {
            let code = new_link_code().expect("os rng");
            assert_eq!(code.len(), 8);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
            assert_eq!(normalise_link_code(&code.to_lowercase()), Some(code));
        }
        assert_eq!(normalise_link_code("abc"), None);
        assert_eq!(normalise_link_code("ABCD0FGH"), None);
        assert_eq!(normalise_link_code(" abcd-efgh "), Some("ABCDEFGH".into()));
    }

    #[test]
    fn language_tags_are_cleaned() {
        assert_eq!(clean_language(" pt-BR "), "pt-BR");
        assert_eq!(clean_language("en\u{0}x"), "enx");
        assert_eq!(clean_language(&"a".repeat(100)).len(), 35);
    }
}
