//! Finding days and periods in a message: `yesterday`, `2 days ago`, `last friday`, `on the
//! 3rd`, `Nov 20`, `11/20`, `2026-11-20`, `last weekend`, `this week`, `in october`, `last 7
//! days`, `from X to Y`, `since X`, and times of day (`7:30pm`), which are never amounts. The
//! tokens a date uses are marked, so the amount and the note never see them.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::catalogue::{Lexicon, Role, Unit};
use super::lexer::Kind;
use super::parse::Tok;
use crate::domain::DateRange;

mod calendar;
mod numbers;
mod words;

use calendar::*;
pub(crate) use calendar::{quarter, quarter_of, this_fortnight};
use numbers::*;
use words::*;

/// A date or period found in the message, over tokens `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mention {
    pub first: usize,
    pub last: usize,
    /// The day an expense happened, when the words name one.
    pub day: Option<NaiveDate>,
    /// The period a question is about; `None` for a time of day.
    pub range: Option<DateRange>,
}

/// Finds every date, period and time of day, marks their tokens used, and joins `from X to Y`
/// and `since X` into ranges.
pub(crate) fn scan(toks: &mut [Tok], lex: &Lexicon, today: NaiveDate) -> Vec<Mention> {
    let mut found: Vec<Mention> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i].used {
            i += 1;
            continue;
        }
        match match_at(toks, i, lex, today) {
            Some((last, day, range)) => {
                let mut first = i;
                // `on monday`, `in october`, `on the 3rd`: the little words belong to the date.
                while first > 0
                    && !toks[first - 1].used
                    && (toks[first - 1].has(Role::On) || toks[first - 1].has(Role::In))
                {
                    first -= 1;
                }
                for t in &mut toks[first..=last] {
                    t.used = true;
                }
                found.push(Mention {
                    first,
                    last,
                    day,
                    range,
                });
                i = last + 1;
            }
            None => i += 1,
        }
    }
    join_ranges(toks, &mut found, today);
    found
}

type Match = (usize, Option<NaiveDate>, Option<DateRange>);

fn day(d: NaiveDate) -> Option<Match> {
    Some((0, Some(d), Some(DateRange::day(d))))
}

fn with_last(m: Option<Match>, last: usize) -> Option<Match> {
    m.map(|(_, d, r)| (last, d, r))
}

/// `from X to Y`, `between X and Y`, `X - Y`, `since X`.
fn join_ranges(toks: &mut [Tok], found: &mut Vec<Mention>, today: NaiveDate) {
    let mut k = 0;
    while k + 1 < found.len() {
        let (a, b) = (found[k], found[k + 1]);
        let between = &toks[a.last + 1..b.first];
        let joined = !between.is_empty()
            && between.len() <= 2
            && between
                .iter()
                .all(|t| t.has(Role::RangeTo) || t.t.norm == "-" || t.has(Role::On));
        if let (true, Some(ra), Some(rb)) = (joined, a.range, b.range) {
            let mut first = a.first;
            if first > 0 && toks[first - 1].has(Role::RangeFrom) {
                first -= 1;
            }
            for t in &mut toks[first..=b.last] {
                t.used = true;
            }
            found[k] = Mention {
                first,
                last: b.last,
                day: None,
                range: Some(DateRange::new(ra.from, rb.to)),
            };
            found.remove(k + 1);
        } else {
            k += 1;
        }
    }
    for m in found.iter_mut() {
        // `since monday`, `a partir de segunda`, and after the date: `somvar se`.
        let before = (1..=3).find(|&len| {
            m.first >= len
                && toks[m.first - len].len_of(Role::Since) == Some(len)
                && !toks[m.first - len].used
        });
        let after = toks
            .get(m.last + 1)
            .filter(|n| !n.used && n.len_of(Role::Since) == Some(1))
            .map(|_| m.last + 1);
        if let (Some(r), true) = (m.range, before.is_some() || after.is_some()) {
            if let Some(len) = before {
                m.first -= len;
            }
            if let Some(a) = after {
                m.last = a;
            }
            for t in &mut toks[m.first..=m.last] {
                t.used = true;
            }
            m.range = Some(DateRange::new(r.from, today.max(r.from)));
            m.day = None;
        } else if m.first > 0 && toks[m.first - 1].has(Role::RangeFrom) && m.range.is_some() {
            m.first -= 1;
            toks[m.first].used = true;
        }
    }
}
