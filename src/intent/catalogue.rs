//! The catalogue: the TOML files of `intents/` read into lookup tables. One file per language
//! (`en.toml`, `es.toml`, …) plus `common.toml` for what no language owns (currency signs, ISO
//! codes, merchant names). Adding a language is adding a file: `build.rs` embeds every file it
//! finds, and nothing here names a language.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Deserialize;

use crate::domain::{Currency, DEFAULT_CATEGORIES, LimitPeriod};

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

/// Words and phrases keyed by their first word; each entry is the rest of the phrase and its
/// role. Longer phrases come first so the longest match wins.
#[derive(Debug, Default)]
pub(crate) struct PhraseMap {
    map: FxHashMap<String, Vec<(Vec<String>, Role)>>,
    /// Phrases that an earlier language owns: when languages are merged, a later one does not
    /// add meanings to them (Spanish `a` is no price marker in English text).
    locked: FxHashSet<String>,
}

impl PhraseMap {
    fn insert(&mut self, phrase: &str, role: Role) {
        let words: Vec<String> = super::lexer::lex(phrase)
            .into_iter()
            .map(|t| {
                if t.suffix.is_empty() {
                    t.norm
                } else {
                    format!("{}{}", t.norm, t.suffix)
                }
            })
            .collect();
        let Some((first, rest)) = words.split_first() else {
            return;
        };
        if self.locked.contains(&words.join(" ")) {
            return;
        }
        let entries = self.map.entry(first.clone()).or_default();
        if entries
            .iter()
            .any(|(r, existing)| r == rest && *existing == role)
        {
            return;
        }
        entries.push((rest.to_vec(), role));
        entries.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
    }

    /// Gives every word known so far to the languages added before.
    pub(crate) fn lock_existing(&mut self) {
        for (first, entries) in &self.map {
            for (rest, _) in entries {
                let mut phrase = first.clone();
                for w in rest {
                    phrase.push(' ');
                    phrase.push_str(w);
                }
                self.locked.insert(phrase);
            }
        }
    }

    pub(crate) fn get(&self, word: &str) -> Option<&[(Vec<String>, Role)]> {
        self.map.get(word).map(Vec::as_slice)
    }

    /// Single words with a role in `roles` whose length is within one of `len`, for typo
    /// tolerance.
    pub(crate) fn words(&self) -> impl Iterator<Item = (&str, &[(Vec<String>, Role)])> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// One language's words, ready for parsing.
#[derive(Debug)]
pub(crate) struct Lexicon {
    pub phrases: PhraseMap,
    /// `11/20` reads month first (`mdy`) or day first (`dmy`).
    pub month_first: bool,
    /// `1.200` means one thousand two hundred.
    pub dot_thousands: bool,
    /// Single-word category keywords and names by length, for typo tolerance.
    /// By first letter: each word, its length in letters, and its role.
    pub fuzzy: FxHashMap<char, Vec<(String, usize, Role)>>,
    /// Letters after a number that make it an ordinal (`st`, `º`, `er`).
    pub ordinal_suffixes: FxHashSet<String>,
}

/// One language file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LanguageFile {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub date_order: Option<String>,
    #[serde(default)]
    pub dot_thousands: bool,
    #[serde(default)]
    pub numbers: Numbers,
    #[serde(default)]
    pub currencies: HashMap<String, Vec<String>>,
    #[serde(default)]
    pub words: Words,
    #[serde(default)]
    pub dates: Dates,
    #[serde(default)]
    pub categories: HashMap<String, CategoryWords>,
    #[serde(default)]
    pub commands: Vec<CommandDef>,
    #[serde(default)]
    pub slash: Vec<SlashDef>,
    /// Commands of other expense bots, as the words they mean (`thisweek` = "this week"): a
    /// slash command that is not one of ours is read as its words.
    #[serde(default)]
    pub other_commands: HashMap<String, String>,
    #[serde(default)]
    pub replies: HashMap<String, String>,
    #[serde(default)]
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "examples are read by the test suite only")
    )]
    pub examples: Vec<Example>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Numbers {
    #[serde(default)]
    pub words: HashMap<String, u32>,
    #[serde(default)]
    pub scales: HashMap<String, String>,
    #[serde(default)]
    pub fractions: HashMap<String, String>,
    #[serde(default)]
    pub joiners: Vec<String>,
    #[serde(default)]
    pub articles: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Words {
    #[serde(default)]
    pub stop: Vec<String>,
    #[serde(default)]
    pub expense: Vec<String>,
    #[serde(default)]
    pub income: Vec<String>,
    #[serde(default)]
    pub limit: Vec<String>,
    #[serde(default)]
    pub limit_remove: Vec<String>,
    #[serde(default)]
    pub daily: Vec<String>,
    #[serde(default)]
    pub weekly: Vec<String>,
    #[serde(default)]
    pub monthly: Vec<String>,
    #[serde(default)]
    pub yearly: Vec<String>,
    #[serde(default)]
    pub summary: Vec<String>,
    #[serde(default)]
    pub list: Vec<String>,
    #[serde(default)]
    pub undo: Vec<String>,
    #[serde(default)]
    pub delete: Vec<String>,
    #[serde(default)]
    pub delete_last: Vec<String>,
    #[serde(default)]
    pub help: Vec<String>,
    #[serde(default)]
    pub each: Vec<String>,
    #[serde(default)]
    pub price_at: Vec<String>,
    #[serde(default)]
    pub pronouns: Vec<String>,
    /// `set my currency to EUR`
    #[serde(default)]
    pub currency: Vec<String>,
    /// `my time zone is Europe/Madrid`
    #[serde(default)]
    pub timezone: Vec<String>,
    /// `which categories are there?`
    #[serde(default)]
    pub categories: Vec<String>,
    /// `link my account`, `link ABCD2345`
    #[serde(default)]
    pub link: Vec<String>,
    /// `hi`, `hello`: a greeting on its own is answered with a welcome.
    #[serde(default)]
    pub greeting: Vec<String>,
    /// `biggest purchase`, `most expensive`: the largest expense of a period.
    #[serde(default)]
    pub largest: Vec<String>,
    /// `top categories`, `where did most go`: the categories, largest first.
    #[serde(default)]
    pub top: Vec<String>,
    /// `average`, `avg`: spending per day and per expense.
    #[serde(default)]
    pub average: Vec<String>,
    /// `vs`, `compare`: two periods or two categories side by side.
    #[serde(default)]
    pub compare: Vec<String>,
    /// `find`, `look up`: entries whose note has the words that follow.
    #[serde(default)]
    pub find: Vec<String>,
    /// `change`, `fix`: a correction of an entry's amount or category (`change 42 to 15`).
    #[serde(default)]
    pub correct: Vec<String>,
    /// `move`: an entry to another category (`move the coffee to snacks`).
    #[serde(default)]
    pub r#move: Vec<String>,
    /// `at`, `a las`: the words before a clock time (`see you at 8`).
    #[serde(default)]
    pub clock_at: Vec<String>,
    /// `baje`, `o'clock`: the words after a clock time (`9 baje`, `৯টায়`).
    #[serde(default)]
    pub clock_after: Vec<String>,
    /// `kg`, `dozen`, `cups`, `টা`: words after a count of things, glued or not.
    #[serde(default)]
    pub measures: Vec<String>,
    /// `10 or 12`: the word between two amounts when unsure.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// Words of talk rather than of a record (`is`, `was`, `lol`, `lately`): with no price, no
    /// spending verb and nothing bought, the message is chit-chat.
    #[serde(default)]
    pub chat: Vec<String>,
    /// `20 bucks`: words for money that name no currency (the person's own).
    #[serde(default)]
    pub money: Vec<String>,
    /// `order 88812`, `invoice 2231`, `table 12`: the number after one of these is an id.
    #[serde(default)]
    pub reference: Vec<String>,
    /// `221 Baker Street`: the number before a street name and one of these is an address.
    #[serde(default)]
    pub street: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Dates {
    #[serde(default)]
    pub today: Vec<String>,
    #[serde(default)]
    pub yesterday: Vec<String>,
    #[serde(default)]
    pub day_before_yesterday: Vec<String>,
    #[serde(default)]
    pub tomorrow: Vec<String>,
    /// After the amount of time: `2 days ago`.
    #[serde(default)]
    pub ago: Vec<String>,
    /// Before the amount of time: `hace 2 días`.
    #[serde(default)]
    pub ago_before: Vec<String>,
    #[serde(default)]
    pub last: Vec<String>,
    #[serde(default)]
    pub this: Vec<String>,
    #[serde(default)]
    pub on: Vec<String>,
    #[serde(default)]
    pub weekend: Vec<String>,
    #[serde(default)]
    pub from: Vec<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub since: Vec<String>,
    #[serde(default)]
    pub r#in: Vec<String>,
    /// `past week`: the last seven days, not the calendar week before this one.
    #[serde(default)]
    pub rolling: Vec<String>,
    #[serde(default)]
    pub day: Vec<String>,
    #[serde(default)]
    pub week: Vec<String>,
    #[serde(default)]
    pub month: Vec<String>,
    #[serde(default)]
    pub year: Vec<String>,
    #[serde(default)]
    pub fortnight: Vec<String>,
    /// `month to date`, `since the start of the month`: from the first of the month to today.
    #[serde(default)]
    pub month_to_date: Vec<String>,
    /// `year to date`, `ytd`: from the first of January to today.
    #[serde(default)]
    pub year_to_date: Vec<String>,
    #[serde(default)]
    pub quarter: Vec<String>,
    /// Monday first; each day's names and abbreviations.
    #[serde(default)]
    pub weekdays: Vec<Vec<String>>,
    /// January first.
    #[serde(default)]
    pub months: Vec<Vec<String>>,
    /// `tarikh`, `তারিখে`: after a number, a day of the month (`5 tarikh ko`).
    #[serde(default)]
    pub day_of_month: Vec<String>,
    /// Letters after a number that make it an ordinal: `3rd`, `1º`, `1er`.
    #[serde(default)]
    pub ordinal_suffixes: Vec<String>,
    /// Ordinal words, first first: `the first of october`, `second quarter`.
    #[serde(default)]
    pub ordinals: Vec<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoryWords {
    /// How replies name the category in this language (`comida`); also a name it answers to.
    #[serde(default)]
    pub label: Option<String>,
    /// Words that name the category itself (`food`, `comida`): they beat any hint.
    #[serde(default)]
    pub names: Vec<String>,
    /// Things that belong to it (`lunch`, `coffee`).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// A command of the menu (Telegram) and slash commands (Discord), in one language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandDef {
    /// The command name, e.g. `add`.
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What it does, for menus.
    pub description: String,
    /// An example of use, for help.
    #[serde(default)]
    pub usage: Option<String>,
}

/// A Discord slash command: its options, and the message its answers make for the bot (the
/// same words Telegram and the terminal understand).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashDef {
    /// 1–32 lower-case letters.
    pub name: String,
    pub description: String,
    /// The message for the bot, with `{option}` for an option's value (left out when not
    /// given) and `{#option}` for `#value`.
    pub text: String,
    #[serde(default)]
    pub options: Vec<SlashOption>,
}

/// One option of a slash command. Every option is text, so amounts never pass through a
/// floating-point number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlashOption {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// What to suggest while typing: `category`, `currency` or `period`.
    #[serde(default)]
    pub autocomplete: Option<String>,
    /// Fixed choices, when the option has a closed set.
    #[serde(default)]
    pub choices: Vec<String>,
}

/// An example message and what parsing it must give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "examples are read by the test suite only")
)]
pub(crate) struct Example {
    pub text: String,
    #[serde(default)]
    pub today: Option<String>,
    pub intent: String,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub items: Option<usize>,
}

impl Words {
    /// Each list of words with the role it gives them.
    fn roles(&self) -> [(&[String], Role); 38] {
        [
            (&self.stop, Role::Stop),
            (&self.expense, Role::ExpenseVerb),
            (&self.income, Role::Income),
            (&self.limit, Role::Limit),
            (&self.limit_remove, Role::LimitRemove),
            (&self.daily, Role::LimitPeriod(LimitPeriod::Daily)),
            (&self.weekly, Role::LimitPeriod(LimitPeriod::Weekly)),
            (&self.monthly, Role::LimitPeriod(LimitPeriod::Monthly)),
            (&self.yearly, Role::LimitPeriod(LimitPeriod::Yearly)),
            (&self.summary, Role::Summary),
            (&self.list, Role::List),
            (&self.undo, Role::Undo),
            (&self.delete, Role::Delete),
            (&self.delete_last, Role::DeleteLast),
            (&self.help, Role::Help),
            (&self.each, Role::Each),
            (&self.price_at, Role::PriceAt),
            (&self.pronouns, Role::Pronoun),
            (&self.currency, Role::CurrencySetting),
            (&self.timezone, Role::TimezoneSetting),
            (&self.categories, Role::CategoriesQuestion),
            (&self.link, Role::Link),
            (&self.greeting, Role::Greeting),
            (&self.money, Role::Money),
            (&self.alternatives, Role::Alternative),
            (&self.clock_at, Role::ClockAt),
            (&self.clock_after, Role::ClockAfter),
            (&self.measures, Role::Measure),
            (&self.chat, Role::Chat),
            (&self.largest, Role::Largest),
            (&self.top, Role::Top),
            (&self.average, Role::Average),
            (&self.compare, Role::Compare),
            (&self.find, Role::Find),
            (&self.correct, Role::Correct),
            (&self.r#move, Role::Move),
            (&self.reference, Role::Reference),
            (&self.street, Role::Street),
        ]
    }
}

impl Dates {
    /// Each list of words with the role it gives them.
    fn roles(&self) -> [(&[String], Role); 24] {
        [
            (&self.today, Role::Today),
            (&self.yesterday, Role::Yesterday),
            (&self.day_before_yesterday, Role::DayBeforeYesterday),
            (&self.tomorrow, Role::Tomorrow),
            (&self.ago, Role::Ago),
            (&self.ago_before, Role::AgoBefore),
            (&self.last, Role::Last),
            (&self.this, Role::This),
            (&self.on, Role::On),
            (&self.weekend, Role::Weekend),
            (&self.from, Role::RangeFrom),
            (&self.to, Role::RangeTo),
            (&self.since, Role::Since),
            (&self.r#in, Role::In),
            (&self.rolling, Role::Rolling),
            (&self.day, Role::Unit(Unit::Day)),
            (&self.week, Role::Unit(Unit::Week)),
            (&self.month, Role::Unit(Unit::Month)),
            (&self.year, Role::Unit(Unit::Year)),
            (&self.fortnight, Role::Unit(Unit::Fortnight)),
            (&self.year_to_date, Role::YearToDate),
            (&self.month_to_date, Role::MonthToDate),
            (&self.day_of_month, Role::DayOfMonth),
            (&self.quarter, Role::Unit(Unit::Quarter)),
        ]
    }
}

/// What no language owns.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommonFile {
    /// Currency signs and the code each one means when no word says otherwise.
    pub symbols: HashMap<String, String>,
    /// ISO 4217 codes recognised when written in capitals (`CHF 100`).
    pub iso_codes: Vec<String>,
    /// Codes also recognised in lower case (`12 eur`); words like `try` or `all` are not.
    pub lowercase_codes: Vec<String>,
    /// Merchant names: weak category hints that any category word beats.
    pub merchants: HashMap<String, Vec<String>>,
    /// Emoji that name a thing of a category (`☕`, `🚕`).
    #[serde(default)]
    pub emoji: HashMap<String, Vec<String>>,
    /// Currency signs written with letters, matched as written (`RM 12`, while `rm 12` deletes).
    #[serde(default)]
    pub letter_signs: HashMap<String, String>,
    /// Currencies counted in thousands, where `25.000` means twenty-five thousand.
    #[serde(default)]
    pub dot_thousands_currencies: Vec<String>,
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

/// How much of a language file [`extend`] adds to a lexicon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The lexicon's own language: every word, and its way of writing dates and numbers.
    Own,
    /// A language mixed into another (English words in a Hindi sentence): every word.
    Mixed,
    /// Only the words that name things: currencies and categories (`টাকা` in English text).
    Content,
}

/// Adds one language's words (and the common ones) to `lexicon`, as far as `scope` says.
pub(crate) fn extend(
    lexicon: &mut Lexicon,
    file_name: &str,
    lang: &LanguageFile,
    common: &CommonFile,
    scope: Scope,
) -> Result<(), CatalogueError> {
    let p = &mut lexicon.phrases;
    if scope == Scope::Content {
        return extend_content(p, file_name, lang);
    }
    let roles = lang.words.roles().into_iter().chain(lang.dates.roles());
    for (list, role) in roles {
        for phrase in list {
            p.insert(phrase, role);
        }
    }
    extend_numbers(p, file_name, &lang.numbers)?;
    extend_content(p, file_name, lang)?;
    extend_calendar(p, file_name, &lang.dates)?;
    for suffix in &lang.dates.ordinal_suffixes {
        lexicon.ordinal_suffixes.insert(super::lexer::fold(suffix));
    }
    let p = &mut lexicon.phrases;
    for (name, idx) in DEFAULT_CATEGORIES.iter().zip(0u8..) {
        p.insert(name, Role::CategoryName(idx));
    }
    for (code, role) in common_roles(common, file_name)? {
        p.insert(&code, role);
    }
    if scope == Scope::Mixed {
        return Ok(());
    }
    match lang.date_order.as_deref() {
        None | Some("mdy") => {}
        Some("dmy") => lexicon.month_first = false,
        Some(other) => {
            return Err(invalid(
                file_name,
                format!("date_order {other:?} is not mdy or dmy"),
            ));
        }
    }
    lexicon.dot_thousands |= lang.dot_thousands;
    Ok(())
}

/// Number words, scales, fractions, joiners and articles.
fn extend_numbers(p: &mut PhraseMap, file_name: &str, n: &Numbers) -> Result<(), CatalogueError> {
    for (word, value) in &n.words {
        p.insert(word, Role::NumberWord(*value));
    }
    for (word, value) in &n.scales {
        p.insert(word, Role::Scale(decimal(file_name, value)?));
    }
    for (word, value) in &n.fractions {
        p.insert(word, Role::Fraction(decimal(file_name, value)?));
    }
    for w in &n.joiners {
        p.insert(w, Role::NumberJoin);
    }
    for w in &n.articles {
        p.insert(w, Role::Article);
    }
    Ok(())
}

/// Weekdays (seven, Monday first), months (twelve) and ordinal words.
fn extend_calendar(p: &mut PhraseMap, file_name: &str, d: &Dates) -> Result<(), CatalogueError> {
    if !d.weekdays.is_empty() && d.weekdays.len() != 7 {
        return Err(invalid(
            file_name,
            "dates.weekdays needs 7 entries, Monday first",
        ));
    }
    if !d.months.is_empty() && d.months.len() != 12 {
        return Err(invalid(
            file_name,
            "dates.months needs 12 entries, January first",
        ));
    }
    let named = |lists: &[Vec<String>], role: fn(u8) -> Role| {
        lists
            .iter()
            .zip(0u8..)
            .flat_map(move |(names, i)| names.iter().map(move |n| (n.clone(), role(i))))
            .collect::<Vec<_>>()
    };
    let all = named(&d.weekdays, Role::Weekday)
        .into_iter()
        .chain(named(&d.months, |i| Role::Month(i + 1)))
        .chain(named(&d.ordinals[..d.ordinals.len().min(31)], |i| {
            Role::Ordinal(i + 1)
        }));
    for (word, role) in all {
        p.insert(&word, role);
    }
    Ok(())
}

/// A language's currency and category words.
fn extend_content(
    p: &mut PhraseMap,
    file_name: &str,
    lang: &LanguageFile,
) -> Result<(), CatalogueError> {
    for (code, words) in &lang.currencies {
        let currency = Currency::parse(code)
            .ok_or_else(|| invalid(file_name, format!("{code:?} is not a currency code")))?;
        for w in words {
            p.insert(w, Role::Currency(currency));
        }
    }
    for (name, words) in &lang.categories {
        let idx = category_index(name)
            .ok_or_else(|| invalid(file_name, format!("{name:?} is not a default category")))?;
        p.insert(name, Role::CategoryName(idx));
        for w in words.label.iter().chain(&words.names) {
            p.insert(w, Role::CategoryName(idx));
        }
        for w in &words.keywords {
            p.insert(w, Role::CategoryKeyword(idx));
        }
    }
    Ok(())
}

fn common_roles(
    common: &CommonFile,
    file_name: &str,
) -> Result<Vec<(String, Role)>, CatalogueError> {
    let mut out = Vec::new();
    for code in &common.lowercase_codes {
        let c = Currency::parse(code)
            .ok_or_else(|| invalid(file_name, format!("{code:?} is not a currency code")))?;
        out.push((code.to_lowercase(), Role::Currency(c)));
    }
    for (name, emoji) in &common.emoji {
        let idx = category_index(name)
            .ok_or_else(|| invalid("common.toml", format!("{name:?} is not a default category")))?;
        for e in emoji {
            out.push((e.clone(), Role::CategoryKeyword(idx)));
        }
    }
    for (name, merchants) in &common.merchants {
        let idx = category_index(name)
            .ok_or_else(|| invalid("common.toml", format!("{name:?} is not a default category")))?;
        for m in merchants {
            out.push((m.clone(), Role::Merchant(idx)));
        }
    }
    Ok(out)
}

/// Builds the single-word list used for typo tolerance: category names and keywords.
pub(crate) fn build_fuzzy(lexicon: &mut Lexicon) {
    let mut fuzzy: FxHashMap<char, Vec<(String, usize, Role)>> = FxHashMap::default();
    for (word, entries) in lexicon.phrases.words() {
        for (rest, role) in entries {
            if rest.is_empty()
                && word.chars().count() >= 4
                && matches!(
                    role,
                    Role::CategoryName(_) | Role::CategoryKeyword(_) | Role::Merchant(_)
                )
            {
                if let Some(first) = word.chars().next() {
                    let len = word.chars().count();
                    fuzzy
                        .entry(first)
                        .or_default()
                        .push((word.to_owned(), len, *role));
                }
            }
        }
    }
    for words in fuzzy.values_mut() {
        words.sort_by(|a, b| a.0.cmp(&b.0));
    }
    lexicon.fuzzy = fuzzy;
}

impl Lexicon {
    pub(crate) fn new() -> Self {
        Self {
            phrases: PhraseMap::default(),
            month_first: true,
            dot_thousands: false,
            fuzzy: FxHashMap::default(),
            ordinal_suffixes: FxHashSet::default(),
        }
    }
}
