//! The words of the business: money, accounts, chat identities, entries, limits, periods and
//! summaries. Plain data and pure rules; nothing here does I/O, awaits, or knows about SQL,
//! HTTP or any chat platform.

mod email;
mod entry;
mod identity;
mod limit;
mod money;
mod period;

pub use email::{EMAIL_MAX_CHARS, EmailAddress, InvalidEmail};
pub use entry::{Category, DEFAULT_CATEGORIES, Entry, EntryKind, NOTE_MAX_CHARS, NewEntry, Note};
pub use identity::{
    Account, AccountId, ChatIdentity, EntryId, EventKey, IdentityError, IdentityId, LimitId,
    Platform,
};
pub use limit::{
    CategoryTotal, Limit, LimitStatus, NewLimit, Summary, Threshold, crossed_thresholds,
};
pub use money::{Currency, MAX_AMOUNT, Money, MoneyError, format_amount};
pub use period::{DateRange, LimitPeriod};
