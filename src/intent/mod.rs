//! Understanding messages: text in, [`Intent`] out. The words live as data in `intents/`
//! (one TOML file per language, embedded in the binary); this module only reads them.
//! Parsing does no I/O and never fails: text that is not understood is [`Intent::Unknown`].

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::domain::{Category, Currency, DateRange, LimitPeriod};

/// What parsing needs to know besides the text.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// Today in the user's time zone; relative dates resolve against it.
    pub today: NaiveDate,
    /// The user's language, a catalogue code such as `en`; `None` tries every language.
    pub lang: Option<&'a str>,
}

/// One expense or income as said in a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    /// `None` when the message names no amount, or names several and it is unclear which.
    pub amount: Option<Decimal>,
    /// `None` means the account's own currency.
    pub currency: Option<Currency>,
    pub category: Option<Category>,
    pub note: Option<String>,
    /// When `amount` is `None` because several numbers could be the price, the candidates.
    pub candidates: Vec<Decimal>,
}

/// Which entry to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    /// `/delete 42`
    Id(i64),
    /// `delete the coffee`: the latest entry whose note or category matches.
    Matching(String),
    /// `delete the last one`
    Last,
}

/// A limit as said in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitDraft {
    /// `None` asks for the amount, or (with `remove`) means "no limit".
    pub amount: Option<Decimal>,
    pub currency: Option<Currency>,
    pub period: LimitPeriod,
    pub category: Option<Category>,
    /// `remove my food limit`, `/limit off`.
    pub remove: bool,
}

/// A question about a period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// `None`: the default period (this month for summaries, recent entries for lists).
    pub range: Option<DateRange>,
    pub category: Option<Category>,
}

/// What a message asks the bot to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// One or more expenses, all on the same day (`None`: today).
    AddExpense { items: Vec<Item>, date: Option<NaiveDate> },
    AddIncome { item: Item, date: Option<NaiveDate> },
    SetLimit(LimitDraft),
    Summary(Query),
    List(Query),
    Undo,
    Delete(DeleteTarget),
    Help,
    /// `/start`, possibly with a deep-link payload such as `link-ABC123`.
    Start { payload: Option<String> },
    /// `/currency EUR`; `None` when no valid code was given.
    SetCurrency(Option<Currency>),
    /// `/timezone Europe/Madrid`; the raw zone name, checked by the bot.
    SetTimezone(Option<String>),
    Categories,
    /// `/link` (new code) or `/link CODE` (join).
    Link { code: Option<String> },
    Unknown,
}

/// The intent catalogue: every language's words, phrasings and examples.
#[derive(Debug)]
pub struct Catalogue {}

impl Catalogue {
    /// The catalogue built into the binary from `intents/`.
    pub fn embedded() -> &'static Catalogue {
        static EMBEDDED: Catalogue = Catalogue {};
        &EMBEDDED
    }

    /// Parses one message. Never fails.
    pub fn parse(&self, _text: &str, _ctx: &ParseContext<'_>) -> Intent {
        Intent::Unknown
    }
}

/// The JSON object `spendbot parse` prints for one input line (see CONTRACT.md), on one line.
pub fn contract_json(text: &str, _intent: &Intent) -> String {
    serde_json::json!({ "text": text, "intent": "unknown", "amount": null, "currency": null,
        "category": null, "note": null, "date": null, "period": null })
    .to_string()
}
