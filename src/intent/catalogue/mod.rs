//! The catalogue: the TOML files of `intents/` read into lookup tables. One file per language
//! (`en.toml`, `es.toml`, …) plus `common.toml` for what no language owns (currency signs, ISO
//! codes, merchant names). Adding a language is adding a file: `build.rs` embeds every file it
//! finds, and nothing here names a language.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;

use crate::domain::{Currency, DEFAULT_CATEGORIES, LimitPeriod};

mod lexicon;
mod schema;

pub(crate) use lexicon::{Lexicon, Scope, build_fuzzy, extend};
#[cfg(test)]
pub(crate) use schema::Example;
use schema::*;
pub use schema::{CommandDef, SlashDef, SlashOption};
pub(crate) use schema::{CommonFile, LanguageFile};

/// What a word or phrase means to the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Stop,
    ExpenseVerb,
    Income,
    Limit,
    LimitRemove,
    LimitPeriod(LimitPeriod),
    Summary,
    List,
    Undo,
    Delete,
    DeleteLast,
    Help,
    Each,
    PriceAt,
    Pronoun,
    CurrencySetting,
    TimezoneSetting,
    CategoriesQuestion,
    Link,
    Greeting,
    MonthToDate,
    /// `bucks`: money in the person's own currency.
    Money,
    Largest,
    Top,
    Average,
    Compare,
    Find,
    Correct,
    Move,
    YearToDate,
    Reference,
    Street,
    NumberWord(u32),
    Scale(Decimal),
    Fraction(Decimal),
    NumberJoin,
    Article,
    Currency(Currency),
    Today,
    Yesterday,
    DayBeforeYesterday,
    Tomorrow,
    Ago,
    AgoBefore,
    Last,
    This,
    On,
    Weekend,
    Weekday(u8),
    Month(u8),
    /// `first`, `second`: a day of a month or a quarter of a year.
    Ordinal(u8),
    /// `or`: two amounts with it between are a guess (`10 or 12`).
    Alternative,
    /// `at`, `a las`: before a clock time (`coffee 4 at 9`).
    ClockAt,
    /// `baje`, `টায়`, `o'clock`: after a clock time (`9 baje`).
    ClockAfter,
    /// `kg`, `dozen`, `টা`: after a count of things (`2 kg`, `২টা`).
    Measure,
    /// `tarikh`, `তারিখে`: after a day of the month (`5 tarikh`).
    DayOfMonth,
    /// `is`, `was`, `lol`: words of talk, not of a record.
    Chat,
    Unit(Unit),
    RangeFrom,
    RangeTo,
    Since,
    In,
    Rolling,
    CategoryName(u8),
    CategoryKeyword(u8),
    Merchant(u8),
}

/// A calendar unit in `3 days ago`, `last 2 weeks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Day,
    Week,
    /// Two weeks: this one is this week and the one before, the last one the two before.
    Fortnight,
    Month,
    /// Calendar quarters: January–March, April–June, July–September, October–December.
    Quarter,
    Year,
}

/// Why a catalogue file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

fn invalid(file: &str, message: impl Into<String>) -> CatalogueError {
    CatalogueError::Invalid {
        file: file.to_owned(),
        message: message.into(),
    }
}

pub(crate) fn category_index(name: &str) -> Option<u8> {
    DEFAULT_CATEGORIES
        .iter()
        .position(|c| *c == name)
        .and_then(|i| u8::try_from(i).ok())
}

fn decimal(file: &str, s: &str) -> Result<Decimal, CatalogueError> {
    Decimal::from_str_exact(s).map_err(|_| invalid(file, format!("{s:?} is not a decimal number")))
}
