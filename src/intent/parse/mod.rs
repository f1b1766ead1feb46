//! From tokens to an [`Intent`]: mark dates, read amounts, look for the words that say what
//! the message wants, then build the items with their category and note. Pure and total.

use rustc_hash::{FxHashMap, FxHashSet};

use chrono::{NaiveDate, Weekday};
use rust_decimal::Decimal;

use super::catalogue::{Lexicon, Role, Unit};
use super::dates;
use super::lexer::{self, Kind, Token};
use super::numbers::{WordNumber, glued_scale, parse_digits};
use super::{Ask, Change, DeleteTarget, Intent, Item, LimitDraft, Query};
use crate::domain::{Category, Currency, DEFAULT_CATEGORIES, DateRange, LimitPeriod};

mod amounts;
mod commands;
mod items;
mod questions;
mod ranges;
mod tokens;

use amounts::*;
use commands::*;
use items::*;
use questions::*;
use ranges::*;
use tokens::*;

/// A token with what the catalogue says about it.
#[derive(Debug)]
pub(crate) struct Tok {
    pub t: Token,
    /// Roles of the phrases starting here, with the phrase length in tokens.
    pub roles: Vec<(Role, usize)>,
    /// Already taken by a date, an amount, a currency or a command word.
    pub used: bool,
    /// Its category is a guess from a misspelling, weaker than any word as written.
    pub fuzzy: bool,
}

impl Tok {
    pub(crate) fn has(&self, role: Role) -> bool {
        self.roles.iter().any(|(r, _)| *r == role)
    }

    pub(crate) fn len_of(&self, role: Role) -> Option<usize> {
        self.roles.iter().find(|(r, _)| *r == role).map(|(_, l)| *l)
    }

    pub(crate) fn find<T>(&self, f: impl Fn(Role) -> Option<T>) -> Option<T> {
        self.roles
            .iter()
            .filter(|(_, l)| *l == 1)
            .find_map(|(r, _)| f(*r))
    }

    pub(crate) fn unit(&self) -> Option<Unit> {
        self.find(|r| if let Role::Unit(u) = r { Some(u) } else { None })
    }

    pub(crate) fn month(&self) -> Option<u32> {
        self.find(|r| {
            if let Role::Month(m) = r {
                Some(u32::from(m))
            } else {
                None
            }
        })
    }

    pub(crate) fn weekday(&self) -> Option<Weekday> {
        self.find(|r| {
            if let Role::Weekday(d) = r {
                Weekday::try_from(d).ok()
            } else {
                None
            }
        })
    }

    pub(crate) fn number_word(&self) -> Option<u32> {
        self.find(|r| {
            if let Role::NumberWord(n) = r {
                Some(n)
            } else {
                None
            }
        })
    }

    fn currency(&self) -> Option<Currency> {
        self.find(|r| {
            if let Role::Currency(c) = r {
                Some(c)
            } else {
                None
            }
        })
    }

    /// A currency word or phrase starting here (`euros`, `danish kroner`): the longest.
    fn currency_phrase(&self) -> Option<(Currency, usize)> {
        self.roles
            .iter()
            .filter_map(|(r, l)| match r {
                Role::Currency(c) => Some((*c, *l)),
                _ => None,
            })
            .max_by_key(|(_, l)| *l)
    }

    fn scale(&self) -> Option<Decimal> {
        self.find(|r| match r {
            Role::Scale(s) | Role::Fraction(s) => Some(s),
            _ => None,
        })
    }

    fn is_filler(&self) -> bool {
        matches!(self.t.kind, Kind::Sep | Kind::Punct)
            || self.roles.iter().any(|(r, l)| {
                *l == 1
                    && matches!(
                        r,
                        Role::Stop
                            | Role::PriceAt
                            | Role::Pronoun
                            | Role::RangeTo
                            | Role::On
                            | Role::In
                            | Role::Each
                            | Role::NumberJoin
                            | Role::Article
                    )
            })
    }
}

/// Language-neutral lookups from `common.toml`.
#[derive(Debug, Default)]
pub(crate) struct Common {
    pub symbols: FxHashMap<String, Currency>,
    pub iso: FxHashSet<String>,
    /// `RM`, matched as written.
    pub letter_signs: FxHashMap<String, Currency>,
    /// Currencies where `25.000` is twenty-five thousand.
    pub dot_thousands: FxHashSet<Currency>,
}

/// Which intent a slash command fixes before the words are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forced {
    Expense,
    Income,
    Limit,
    Summary,
    List,
}

fn mark(toks: &mut [Tok], pred: impl Fn(&Tok) -> bool) -> bool {
    let mut any = false;
    for t in toks.iter_mut().filter(|t| !t.used) {
        if pred(t) {
            t.used = true;
            any = true;
        }
    }
    any
}

fn any(toks: &[Tok], role: Role) -> bool {
    toks.iter().any(|t| !t.used && t.has(role))
}

/// Parses a message in one language. `forced` comes from a slash command.
pub(crate) fn parse(
    text: &str,
    lex: &Lexicon,
    common: &Common,
    today: NaiveDate,
    forced: Option<Forced>,
) -> Intent {
    parse_lexed(text, lexer::lex(text), lex, common, today, forced)
}

/// [`parse`] of a text already split into tokens.
pub(crate) fn parse_lexed(
    text: &str,
    tokens: Vec<Token>,
    lex: &Lexicon,
    common: &Common,
    today: NaiveDate,
    forced: Option<Forced>,
) -> Intent {
    let mut toks = annotate(join_digit_groups(tokens, text), lex, common, text);
    mark_ids(&mut toks);
    let mentions = dates::scan(&mut toks, lex, today);
    let day = mentions.iter().find_map(|m| m.day);
    let range = mentions.iter().find_map(|m| m.range);
    let mut amounts = find_amounts(&mut toks, lex, common);
    // `picked up 2 gifts`: a count before a plural is no price; with no other number, the
    // bot asks for it. A count stays when a unit price or product needs it.
    if !amounts.iter().any(|a| a.unit_price || a.product) {
        // The count stays in the words: `picked up 2 gifts`.
        for a in amounts.iter().filter(|a| a.count_only) {
            for t in &mut toks[a.first..=a.last] {
                t.used = false;
            }
        }
        amounts.retain(|a| !a.count_only);
    }
    join_major_minor(&mut toks, &mut amounts);
    if amounts.is_empty() {
        amounts.extend(article_amount(&mut toks));
    }
    let clock_times = drop_clock_times(&toks, &mut amounts);
    let content_words = toks.iter().filter(|t| !t.used && !t.is_filler()).count();

    let summary = any(&toks, Role::Summary);
    let list = any(&toks, Role::List);
    let question = toks.iter().any(|t| t.t.norm == "?");
    let query = |toks: &[Tok], list: bool| {
        let (category, _, _) = category_in(toks, 0..toks.len());
        let range = range.or_else(|| unit_range(toks, today));
        let q = Query {
            range,
            category,
            ..Query::default()
        };
        if list {
            Intent::List(q)
        } else {
            Intent::Summary(q)
        }
    };

    match forced {
        Some(Forced::Summary) => return query(&toks, false),
        Some(Forced::List) => return query(&toks, true),
        Some(Forced::Limit) => return limit(&mut toks, &amounts),
        Some(Forced::Income) => return income(&mut toks, &amounts, text, day),
        Some(Forced::Expense) => return expense(&mut toks, &amounts, text, day),
        None => {}
    }
    if amounts.is_empty() && greeting_only(&toks) {
        return Intent::Greeting;
    }
    if let Some(settings) = settings(&toks, text, amounts.is_empty()) {
        return settings;
    }
    if matches!(forced, None | Some(Forced::Expense)) {
        if let Some(guess) = range_guess(&mut toks, &amounts, text, day) {
            return guess;
        }
    }
    if amounts.is_empty() && any(&toks, Role::Help) && !any(&toks, Role::ExpenseVerb) {
        return Intent::Help;
    }
    let first_content = toks.iter().position(|t| !t.used && !t.is_filler());
    let leads = |toks: &[Tok], role: Role| first_content.is_some_and(|f| toks[f].has(role));
    if any(&toks, Role::Undo) && (amounts.is_empty() || leads(&toks, Role::Undo)) {
        return Intent::Undo;
    }
    if any(&toks, Role::Limit) {
        // Without an amount, `am I over budget` asks; `budget` or `set a limit` wants one.
        let asks = summary || list || question || !leads(&toks, Role::Limit);
        if amounts.is_empty() && asks && !any(&toks, Role::LimitRemove) {
            return query(&toks, false);
        }
        return limit(&mut toks, &amounts);
    }
    if let Some(correct) = correction(&mut toks, &amounts, text) {
        return correct;
    }
    if let Some(first) = toks.iter().position(|t| !t.used && !t.is_filler()) {
        if toks[first].has(Role::Delete) {
            return delete(&mut toks, first, &amounts, text);
        }
    }
    // `chai wali entry hatao`: languages that put the verb last.
    if let Some(last) = toks.iter().rposition(|t| !t.used && !t.is_filler()) {
        let id_only = match amounts.as_slice() {
            [] => true,
            [one] => one.currency.is_none() && one.value.fract().is_zero(),
            _ => false,
        };
        if toks[last].has(Role::Delete) && id_only {
            return delete(&mut toks, last, &amounts, text);
        }
    }
    if let Some(asked) = beyond_totals(&mut toks, &mut amounts, &mentions, text, today) {
        return asked;
    }
    if chit_chat(&toks, &amounts, summary || list) {
        return Intent::Unknown;
    }
    if summary || list {
        if let Some(count) = list_count(&mut toks, &mut amounts) {
            if amounts.is_empty() {
                let Intent::List(q) = query(&toks, true) else {
                    return Intent::Unknown;
                };
                return Intent::List(Query {
                    count: Some(count),
                    ..q
                });
            }
        }
    }
    if (summary || list) && amounts.is_empty() {
        return query(&toks, list);
    }
    // `+45 tips`: a plus sign before the amount, as in a ledger, is money coming in.
    let plus = text
        .trim_start()
        .strip_prefix('+')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    if any(&toks, Role::Income) || (plus && !amounts.is_empty()) {
        return income(&mut toks, &amounts, text, day);
    }
    let (category, _, rank) = category_in(&toks, 0..toks.len());
    let expense_verb = any(&toks, Role::ExpenseVerb);
    // `I have 2 cats`, `I love pizza`: talk about oneself without spending is chit-chat.
    let first_word = toks.iter().find(|t| !t.is_filler() || t.has(Role::Pronoun));
    let priced = amounts.iter().any(|a| a.currency.is_some() || a.strong);
    let chit_chat = first_word.is_some_and(|t| t.has(Role::Pronoun)) && !expense_verb && !priced;
    // `call me at 5`, `see you at 8`: a time in talk, with nothing bought.
    if clock_times && category.is_none() && !expense_verb {
        return Intent::Unknown;
    }
    if !amounts.is_empty() {
        if chit_chat {
            return Intent::Unknown;
        }
        return expense(&mut toks, &amounts, text, day);
    }
    // `#travel`, `groceries?`: a category's own name (or a hashtag) alone asks what went there.
    if amounts.is_empty() && content_words == 1 && rank >= 3 && !expense_verb {
        return query(&toks, false);
    }
    // No price and a period: `transport costs last month`, `spent today?`.
    let multi_day = range.is_some_and(|r| r.from != r.to);
    if range.is_some() && (multi_day || question || (rank == 3 && !expense_verb)) {
        return query(&toks, false);
    }
    if (expense_verb || category.is_some()) && !chit_chat && !question {
        return expense(&mut toks, &amounts, text, day);
    }
    if range.is_some() && content_words == 0 {
        return query(&toks, false);
    }
    Intent::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_one_typo() {
        assert_eq!(edit_distance("coffee", "coffe", 2), 1);
        assert_eq!(edit_distance("coffee", "cofefe", 2), 1);
        assert!(edit_distance("coffee", "tea", 1) > 1);
    }
}
