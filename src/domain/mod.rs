//! The words of the business: money, accounts, chat identities, entries, limits, periods and
//! summaries. Plain data and pure rules; nothing here does I/O, awaits, or knows about SQL,
//! HTTP or any chat platform.

mod entry;
mod identity;
mod limit;
mod money;
mod period;

pub use entry::{Category, Entry, EntryKind, NewEntry, Note, DEFAULT_CATEGORIES, NOTE_MAX_CHARS};
pub use identity::{Account, AccountId, ChatIdentity, EntryId, IdentityError, IdentityId, LimitId, Platform};
pub use limit::{Limit, LimitStatus, NewLimit, Summary, CategoryTotal};
pub use money::{format_amount, Currency, Money, MoneyError, MAX_AMOUNT};
pub use period::{DateRange, LimitPeriod};
