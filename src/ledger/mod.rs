//! The use cases of a wallet, one room per capability: who is speaking (`identities`),
//! recording and taking back entries (`recording`), edits of entries and of the messages they
//! came from (`edits`), reading entries and summaries (`queries`), limits (`limits`), account
//! settings (`settings`), linking chat identities with one-time codes (`linking`), the state of
//! a follow-up question (`pending`), what an account holds beyond entries (`wallet`), overspend
//! alerts, their outbox and verified email addresses (`alerts`), and the web's sign-in
//! (`web`, `web_links`). This file keeps what they share: [`Ledger`], [`Session`],
//! [`LedgerError`], the thresholds of a limit and the claim of an event key.
//!
//! A use case that takes a [`Session`] reads and changes that session's account only, with two
//! deliberate exceptions: redeeming a link code joins the code's account (the code is that
//! account's consent), and a new sign-in address is checked against those of other accounts.
//! The use cases without a session serve the service: the alert worker (claims across
//! accounts), the web before sign-in (by address, cookie or token) and an identity's
//! reachability as its platform reported it.
//!
//! The writes a repeat would apply twice (recording, undo and delete, edits, limits, redeeming
//! a link code) take the platform event's key and record it in the same transaction, so a
//! redelivery changes nothing. The other writes set or remove a value, so a repeat is
//! harmless, except that a repeated request for a code makes a second code. This module never
//! talks to a platform, never formats replies, and never logs note text, codes, tokens or
//! email addresses.

use chrono::{DateTime, Utc};

use crate::domain::{
    Account, Currency, DateRange, EntryKind, EventKey, IdentityId, Limit, NewEntry,
};
use crate::store::{Member, Store, StoreError, Tx};

mod alerts;
mod edits;
mod identities;
mod limits;
mod linking;
mod outbox;
mod pending;
mod prune;
mod queries;
mod recording;
mod settings;
mod wallet;
mod web;
mod web_links;

pub use crate::domain::Threshold;
pub use alerts::{
    AccountOverview, Alert, AlertKind, AlertRecipients, EMAIL_CODE_TTL, EMAIL_CODES_PER_HOUR,
    EMAIL_MAX_CHARS, ERROR_MAX_CHARS, EmailSettings, LinkPurpose,
};
pub use edits::{Edited, EditedEntries};
pub use linking::{LINK_CODE_TTL, LinkCode};
pub use queries::EntryQuery;
pub use recording::Recorded;
pub use wallet::{LinkedChat, Unrecorded};
pub use web::{
    CHAT_LOGIN_TTL, LOGIN_FAILURE_WINDOW, LOGIN_FAILURES_MAX, LoginCandidate, NewLogin,
    RESET_LINK_TTL, Registration, VERIFY_LINK_TTL, WEB_SESSION_IDLE, WebLogin, WebSessionStart,
    WebVisit, login_email,
};

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

impl Session {
    /// The session of an identity that has an account already.
    fn of_member(m: Member) -> Session {
        Session {
            account: m.account,
            identity_id: m.identity_id,
            created: false,
        }
    }
}

/// Where a change comes from.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The platform event, so that a redelivery changes nothing.
    pub event: Option<EventKey>,
    /// The platform's reference of the message, so that an edit of it can change the entry.
    pub message: Option<String>,
    /// Whether the change answers the identity's pending question ("how much?"): the question
    /// is then removed in the change's own transaction, so it stays when the change fails.
    pub answers_pending: bool,
}

/// A threshold that a change newly crossed, in the period holding the changed entry.
#[derive(Debug, Clone)]
pub struct Crossing {
    pub limit: Limit,
    pub range: DateRange,
    pub threshold: Threshold,
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
    /// Not an email address ([`crate::domain::EmailAddress`]).
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
            // The database gave up this transaction to break a deadlock: nothing was written,
            // and the same change a moment later goes through (a platform delivers it again).
            e if e.is_deadlock() => LedgerError::Unavailable(e),
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

/// Whether an entry counts towards a limit: an expense in the limit's currency, and in its
/// category when it has one. Amounts in different currencies are never added.
fn counts_towards(limit: &Limit, e: &NewEntry) -> bool {
    e.kind == EntryKind::Expense
        && e.money.currency() == limit.money.currency()
        && limit.category.as_ref().is_none_or(|c| *c == e.category)
}
