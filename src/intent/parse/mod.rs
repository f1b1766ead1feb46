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
    let mut r = Reading::new(text, tokens, lex, common, today);
    match forced {
        Some(Forced::Summary) => return r.query(false),
        Some(Forced::List) => return r.query(true),
        Some(Forced::Limit) => return limit(&mut r.toks, &r.amounts),
        Some(Forced::Income) => return income(&mut r.toks, &r.amounts, text, r.day),
        Some(Forced::Expense) => return expense(&mut r.toks, &r.amounts, text, r.day),
        None => {}
    }
    r.command()
        .or_else(|| r.question())
        .unwrap_or_else(|| r.record())
}

/// A message with its tokens annotated and its dates and amounts found: what every intent is
/// decided from.
struct Reading<'a> {
    text: &'a str,
    toks: Vec<Tok>,
    mentions: Vec<dates::Mention>,
    /// The day the message names, if any.
    day: Option<NaiveDate>,
    /// The period the message names, if any.
    range: Option<DateRange>,
    amounts: Vec<Amount>,
    /// The only number is a clock time (`see you at 8`).
    clock_times: bool,
    /// Words left that are not filler, before any intent takes its words.
    content_words: usize,
    today: NaiveDate,
}

impl<'a> Reading<'a> {
    fn new(
        text: &'a str,
        tokens: Vec<Token>,
        lex: &Lexicon,
        common: &Common,
        today: NaiveDate,
    ) -> Self {
        let mut toks = annotate(join_digit_groups(tokens, text), lex, common, text);
        mark_ids(&mut toks);
        let mentions = dates::scan(&mut toks, lex, today);
        let mut amounts = find_amounts(&mut toks, lex, common);
        // `picked up 2 gifts`: a count before a plural is no price; with no other number, the
        // bot asks for it. A count stays when a unit price or product needs it, and stays in
        // the words either way.
        if !amounts.iter().any(|a| a.unit_price || a.product) {
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
        Reading {
            text,
            day: mentions.iter().find_map(|m| m.day),
            range: mentions.iter().find_map(|m| m.range),
            toks,
            mentions,
            amounts,
            clock_times,
            content_words,
            today,
        }
    }

    fn any(&self, role: Role) -> bool {
        any(&self.toks, role)
    }

    /// Whether the first word that is not filler has `role`.
    fn leads(&self, role: Role) -> bool {
        self.toks
            .iter()
            .find(|t| !t.used && !t.is_filler())
            .is_some_and(|t| t.has(role))
    }

    fn asks(&self) -> bool {
        self.any(Role::Summary) || self.any(Role::List)
    }

    fn question_mark(&self) -> bool {
        self.toks.iter().any(|t| t.t.norm == "?")
    }

    /// A summary (or list) of the period and category the message names.
    fn query(&self, list: bool) -> Intent {
        let (category, _, _) = category_in(&self.toks, 0..self.toks.len());
        let q = Query {
            range: self.range.or_else(|| unit_range(&self.toks, self.today)),
            category,
            ..Query::default()
        };
        if list {
            Intent::List(q)
        } else {
            Intent::Summary(q)
        }
    }

    /// Greetings, settings, guesses, help, undo, limits, corrections and deletions.
    fn command(&mut self) -> Option<Intent> {
        let no_amount = self.amounts.is_empty();
        if no_amount && greeting_only(&self.toks) {
            return Some(Intent::Greeting);
        }
        if let Some(settings) = settings(&self.toks, self.text, no_amount) {
            return Some(settings);
        }
        if let Some(guess) = range_guess(&mut self.toks, &self.amounts, self.text, self.day) {
            return Some(guess);
        }
        if no_amount && self.any(Role::Help) && !self.any(Role::ExpenseVerb) {
            return Some(Intent::Help);
        }
        if self.any(Role::Undo) && (no_amount || self.leads(Role::Undo)) {
            return Some(Intent::Undo);
        }
        if self.any(Role::Limit) {
            // Without an amount, `am I over budget` asks; `budget` or `set a limit` wants one.
            let asks = self.asks() || self.question_mark() || !self.leads(Role::Limit);
            if no_amount && asks && !self.any(Role::LimitRemove) {
                return Some(self.query(false));
            }
            return Some(limit(&mut self.toks, &self.amounts));
        }
        if let Some(correct) = correction(&mut self.toks, &self.amounts, self.text) {
            return Some(correct);
        }
        self.deletion()
    }

    /// `delete 17`, `rm the coffee`, and `chai wali entry hatao` in languages that put the
    /// verb last.
    fn deletion(&mut self) -> Option<Intent> {
        let content = |t: &Tok| !t.used && !t.is_filler();
        if let Some(first) = self.toks.iter().position(content) {
            if self.toks[first].has(Role::Delete) {
                return Some(delete(&mut self.toks, first, &self.amounts, self.text));
            }
        }
        let last = self.toks.iter().rposition(content)?;
        let id_only = match self.amounts.as_slice() {
            [] => true,
            [one] => one.currency.is_none() && one.value.fract().is_zero(),
            _ => false,
        };
        (self.toks[last].has(Role::Delete) && id_only)
            .then(|| delete(&mut self.toks, last, &self.amounts, self.text))
    }

    /// Questions: beyond totals, `show my last 4`, and summaries and lists; chit-chat is none.
    fn question(&mut self) -> Option<Intent> {
        let (text, today) = (self.text, self.today);
        if let Some(asked) = beyond_totals(
            &mut self.toks,
            &mut self.amounts,
            &self.mentions,
            text,
            today,
        ) {
            return Some(asked);
        }
        let asks = self.asks();
        if chit_chat(&self.toks, &self.amounts, asks) {
            return Some(Intent::Unknown);
        }
        if !asks {
            return None;
        }
        if let Some(count) = list_count(&mut self.toks, &mut self.amounts) {
            if self.amounts.is_empty() {
                let Intent::List(q) = self.query(true) else {
                    return Some(Intent::Unknown);
                };
                return Some(Intent::List(Query {
                    count: Some(count),
                    ..q
                }));
            }
        }
        self.amounts
            .is_empty()
            .then(|| self.query(self.any(Role::List)))
    }

    /// Money in or out, or a question about a period when no price is given.
    fn record(&mut self) -> Intent {
        let text = self.text;
        // `+45 tips`: a plus sign before the amount, as in a ledger, is money coming in.
        let plus = text
            .trim_start()
            .strip_prefix('+')
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
        if self.any(Role::Income) || (plus && !self.amounts.is_empty()) {
            return income(&mut self.toks, &self.amounts, text, self.day);
        }
        let (category, _, rank) = category_in(&self.toks, 0..self.toks.len());
        let expense_verb = self.any(Role::ExpenseVerb);
        // `I have 2 cats`, `I love pizza`: talk about oneself without spending is chit-chat.
        let first_word = self
            .toks
            .iter()
            .find(|t| !t.is_filler() || t.has(Role::Pronoun));
        let priced = self
            .amounts
            .iter()
            .any(|a| a.currency.is_some() || a.strong);
        let chit_chat =
            first_word.is_some_and(|t| t.has(Role::Pronoun)) && !expense_verb && !priced;
        // `call me at 5`, `see you at 8`: a time in talk, with nothing bought.
        if self.clock_times && category.is_none() && !expense_verb {
            return Intent::Unknown;
        }
        if !self.amounts.is_empty() {
            if chit_chat {
                return Intent::Unknown;
            }
            return expense(&mut self.toks, &self.amounts, text, self.day);
        }
        // `#travel`, `groceries?`: a category's own name (or a hashtag) alone asks what went
        // there.
        if self.content_words == 1 && rank >= 3 && !expense_verb {
            return self.query(false);
        }
        // No price and a period: `transport costs last month`, `spent today?`.
        let question = self.question_mark();
        let multi_day = self.range.is_some_and(|r| r.from != r.to);
        if self.range.is_some() && (multi_day || question || (rank == 3 && !expense_verb)) {
            return self.query(false);
        }
        if (expense_verb || category.is_some()) && !chit_chat && !question {
            return expense(&mut self.toks, &self.amounts, text, self.day);
        }
        if self.range.is_some() && self.content_words == 0 {
            return self.query(false);
        }
        Intent::Unknown
    }
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
