//! Expenses and incomes: what was spent or earned, in which category, on which day.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

use super::{AccountId, EntryId, IdentityId, Money};

/// The default categories every account starts with (see docs/contract.md).
pub const DEFAULT_CATEGORIES: [&str; 13] = [
    "food",
    "groceries",
    "transport",
    "housing",
    "utilities",
    "health",
    "entertainment",
    "shopping",
    "travel",
    "education",
    "personal",
    "gifts",
    "other",
];

/// A spending category: a lower-case word of 1 to 32 letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Category(String);

impl Category {
    /// Normalises and checks a category name (`#Food` → `food`).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim().trim_start_matches('#').to_lowercase();
        let ok = !name.is_empty()
            && name.chars().count() <= 32
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        ok.then_some(Self(name))
    }

    /// The catch-all category.
    pub fn other() -> Self {
        Self("other".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is one of [`DEFAULT_CATEGORIES`].
    pub fn is_default(&self) -> bool {
        DEFAULT_CATEGORIES.contains(&self.0.as_str())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The most characters a note keeps; longer text is cut and ends with `…`.
pub const NOTE_MAX_CHARS: usize = 200;

/// A free-text description as the user typed it, trimmed and at most [`NOTE_MAX_CHARS`] long.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Note(String);

impl Note {
    /// Returns `None` for blank text. Control characters become spaces; over-long text is
    /// shortened visibly rather than refused.
    pub fn new(text: &str) -> Option<Self> {
        let cleaned: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let cleaned = cleaned.trim();
        if cleaned.is_empty() {
            return None;
        }
        if cleaned.chars().count() <= NOTE_MAX_CHARS {
            return Some(Self(cleaned.to_owned()));
        }
        let mut cut: String = cleaned.chars().take(NOTE_MAX_CHARS - 1).collect();
        cut.truncate(cut.trim_end().len());
        cut.push('…');
        Some(Self(cut))
    }

    /// Whether [`Note::new`] shortens `text`.
    pub fn was_shortened(text: &str) -> bool {
        text.trim().chars().count() > NOTE_MAX_CHARS
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether money went out or came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Expense,
    Income,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expense => "expense",
            Self::Income => "income",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "expense" => Some(Self::Expense),
            "income" => Some(Self::Income),
            _ => None,
        }
    }
}

/// An expense or income about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub money: Money,
    pub category: Category,
    pub note: Option<Note>,
    /// The day it happened, in the account's time zone.
    pub occurred_on: NaiveDate,
}

/// A recorded expense or income.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: EntryId,
    pub account_id: AccountId,
    pub kind: EntryKind,
    pub money: Money,
    pub category: Category,
    pub note: Option<Note>,
    pub occurred_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    /// The chat identity that recorded it, if any.
    pub recorded_by: Option<IdentityId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_normalised() {
        assert_eq!(
            Category::parse("#Food").map(|c| c.to_string()),
            Some("food".into())
        );
        assert!(Category::parse("two words").is_none());
        assert!(Category::parse("").is_none());
        assert!(Category::parse("food").is_some_and(|c| c.is_default()));
        assert!(Category::parse("pets").is_some_and(|c| !c.is_default()));
    }

    #[test]
    fn long_notes_are_shortened_visibly() {
        let long = "x".repeat(5000);
        let note = Note::new(&long).expect("note");
        assert_eq!(note.as_str().chars().count(), NOTE_MAX_CHARS);
        assert!(note.as_str().ends_with('…'));
        assert!(Note::was_shortened(&long));
        assert!(!Note::was_shortened("lunch"));
        assert!(Note::new(" \t ").is_none());
        assert_eq!(Note::new("a\nb").map(|n| n.to_string()), Some("a b".into()));
    }
}
