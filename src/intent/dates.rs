//! Finding days and periods in a message: `yesterday`, `2 days ago`, `last friday`, `on the
//! 3rd`, `Nov 20`, `11/20`, `2026-11-20`, `last weekend`, `this week`, `in october`, `last 7
//! days`, `from X to Y`, `since X`, and times of day (`7:30pm`), which are never amounts. The
//! tokens a date uses are marked, so the amount and the note never see them.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::catalogue::{Lexicon, Role, Unit};
use super::lexer::Kind;
use super::parse::Tok;
use crate::domain::DateRange;

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

fn match_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    let t = &toks[i];
    if t.t.kind == Kind::Number {
        return number_at(toks, i, lex, today);
    }
    if t.t.kind != Kind::Word {
        return None;
    }
    if let Some(m) = quarter_at(toks, i, today)
        .or_else(|| named_day_at(t, i, today))
        .or_else(|| ago_at(toks, i, today))
        .or_else(|| ordinal_at(toks, i, lex, today))
    {
        return Some(m);
    }
    if let Some(month) = t.month() {
        return month_at(toks, i, month, lex, today);
    }
    if let Some(m) = day_name_at(toks, i, today) {
        return Some(m);
    }
    if t.has(Role::Last) || t.has(Role::This) {
        if let Some(m) = relative_at(toks, i, lex, today) {
            return Some(m);
        }
    }
    // `semana pasada`, `mes pasado`: the word for last after the unit.
    let unit = t.unit()?;
    toks.get(i + 1)
        .filter(|n| n.has(Role::Last))
        .and_then(|_| Some((i + 1, None, Some(relative_unit(today, unit, true)?))))
}

/// Words that name a day or a period to today: `yesterday`, `anteayer`, `today`, `tomorrow`,
/// `year to date`, `month to date`.
fn named_day_at(t: &Tok, i: usize, today: NaiveDate) -> Option<Match> {
    let through = |len: usize| i + len - 1;
    if let Some(len) = t.len_of(Role::DayBeforeYesterday) {
        return with_last(day(today - chrono::Duration::days(2)), through(len));
    }
    if let Some(len) = t.len_of(Role::Yesterday) {
        return with_last(day(today.pred_opt()?), through(len));
    }
    if let Some(len) = t.len_of(Role::Today) {
        return with_last(day(today), through(len));
    }
    if let Some(len) = t.len_of(Role::YearToDate) {
        let first = NaiveDate::from_ymd_opt(today.year(), 1, 1)?;
        return Some((through(len), None, Some(DateRange::new(first, today))));
    }
    if let Some(len) = t.len_of(Role::MonthToDate) {
        let first = today.with_day(1)?;
        return Some((through(len), None, Some(DateRange::new(first, today))));
    }
    let len = t.len_of(Role::Tomorrow)?;
    with_last(day(today.succ_opt()?), through(len))
}

/// Time back from today in words: `hace 2 días`, `four days ago`, `a couple days ago`, `a
/// week ago`.
fn ago_at(toks: &[Tok], i: usize, today: NaiveDate) -> Option<Match> {
    let t = &toks[i];
    if let Some(len) = t.len_of(Role::AgoBefore) {
        if let Some((n, after)) = count_at(toks, i + len) {
            if let Some(unit) = toks.get(after).and_then(Tok::unit) {
                return with_last(day(ago(today, n, unit)?), after);
            }
        }
    }
    if let Some((n, after)) =
        count_at(toks, i).filter(|_| t.number_word().is_some() || t.has(Role::Article))
    {
        if let Some(unit) = toks.get(after).and_then(Tok::unit) {
            if toks.get(after + 1).is_some_and(|n| n.has(Role::Ago)) {
                return with_last(day(ago(today, n, unit)?), after + 1);
            }
        }
    }
    if !t.has(Role::Article) {
        return None;
    }
    let unit = toks.get(i + 1).and_then(Tok::unit)?;
    toks.get(i + 2)
        .filter(|n| n.has(Role::Ago))
        .and_then(|_| with_last(day(ago(today, 1, unit)?), i + 2))
}

/// A weekday (`friday`, `viernes pasado`) or the weekend.
fn day_name_at(toks: &[Tok], i: usize, today: NaiveDate) -> Option<Match> {
    let t = &toks[i];
    let last = toks.get(i + 1).is_some_and(|n| n.has(Role::Last));
    if let Some(wd) = t.weekday() {
        let d = if last {
            previous_weekday(today, wd)
        } else {
            recent_weekday(today, wd)
        };
        return with_last(day(d), if last { i + 1 } else { i });
    }
    if !t.has(Role::Weekend) {
        return None;
    }
    let (sat, sun) = weekend(today, last || !is_weekend(today));
    Some((i, Some(sat), Some(DateRange::new(sat, sun))))
}

/// `last week`, `this month`, `past week` (rolling), `last friday`, `this weekend`, `last
/// october`, `last 7 days`, `últimos 3 meses`.
fn relative_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    let t = &toks[i];
    let (is_last, is_this) = (t.has(Role::Last), t.has(Role::This));
    let next = toks.get(i + 1)?;
    if let Some(unit) = next.unit() {
        let range = if t.has(Role::Rolling) {
            last_n(today, 1, unit)?
        } else {
            relative_unit(today, unit, is_last && !is_this)?
        };
        return Some((i + 1, None, Some(range)));
    }
    if let Some(wd) = next.weekday() {
        let d = if is_last {
            previous_weekday(today, wd)
        } else {
            recent_weekday(today, wd)
        };
        return with_last(day(d), i + 1);
    }
    if next.has(Role::Weekend) {
        let (sat, sun) = weekend(today, is_last);
        return Some((i + 1, Some(sat), Some(DateRange::new(sat, sun))));
    }
    if let Some(month) = next.month() {
        return month_at(toks, i + 1, month, lex, today);
    }
    if !is_last {
        return None;
    }
    let (n, after) = count_at(toks, i + 1)?;
    let unit = toks.get(after).and_then(Tok::unit)?;
    Some((after, None, Some(last_n(today, n, unit)?)))
}

fn number_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    let t = &toks[i].t;
    let norm = t.norm.as_str();
    if norm.contains('/') {
        return slashed_at(norm, i, lex, today);
    }
    if let Some(m) = dotted_at(toks, i, lex, today) {
        return Some(m);
    }
    if norm.contains('-') && !norm.starts_with('-') {
        return dashed_at(norm, i, lex, today);
    }
    if let Some(m) = clock_at(toks, i, lex) {
        return Some(m);
    }
    if !norm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u32 = norm.parse().ok()?;
    if let Some(m) = asked_period_at(toks, i, value, today) {
        return Some(m);
    }
    let ordinal = lex.ordinal_suffixes.contains(&t.suffix);
    if ordinal {
        if let Some(m) = ordinal_at(toks, i, lex, today) {
            return Some(m);
        }
    }
    if !t.suffix.is_empty() && !ordinal {
        return None;
    }
    day_number_at(toks, i, value, ordinal, lex, today)
        .or_else(|| counted_at(toks, i, value, today))
        .or_else(|| year_at(toks, i, value))
}

/// `03/2025` (a month of a year), `11/20`, `20/11/2026`.
fn slashed_at(norm: &str, i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    let (m, y) = norm.split_once('/')?;
    if let (Ok(m), true, Ok(y)) = (m.parse::<u32>(), y.len() == 4, y.parse::<i32>()) {
        let from = NaiveDate::from_ymd_opt(y, m, 1)?;
        return Some((i, None, Some(DateRange::month_of(from))));
    }
    with_last(day(slash_date(norm, lex.month_first, today)?), i)
}

/// `2026-11-20`, and `20-11-2026` / `11-20-2026` in the language's order with the year last.
fn dashed_at(norm: &str, i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    let parts: Vec<&str> = norm.split('-').collect();
    if parts.len() != 3 {
        return None;
    }
    if parts[0].len() == 4 {
        let d = NaiveDate::from_ymd_opt(
            parts[0].parse().ok()?,
            parts[1].parse().ok()?,
            parts[2].parse().ok()?,
        )?;
        return with_last(day(d), i);
    }
    if parts[2].len() == 4 {
        return with_last(
            day(slash_date(&parts.join("/"), lex.month_first, today)?),
            i,
        );
    }
    None
}

/// `20.11.2026`, `14.11.` with its closing dot (day first), the ordinal dot of languages that
/// write one (`am 3.`, `3. Quartal`, `1. November`), and `im Jahr 2025`.
fn dotted_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    let t = &toks[i].t;
    let norm = t.norm.as_str();
    let glued_dot = toks
        .get(i + 1)
        .is_some_and(|n| n.t.norm == "." && n.t.start == t.end);
    let dots = norm.matches('.').count();
    if !lex.month_first && t.suffix.is_empty() && (dots == 2 || (dots == 1 && glued_dot)) {
        let parts: Vec<&str> = norm.split('.').collect();
        let year_ok = parts.get(2).is_none_or(|y| y.len() == 4 || y.len() == 2);
        if year_ok && parts[1].len() <= 2 && parts[0].len() <= 2 {
            if let Some(d) = slash_date(&parts.join("/"), false, today) {
                return with_last(day(d), if dots == 1 { i + 1 } else { i });
            }
        }
    }
    let n: u32 = norm.parse().ok()?;
    if glued_dot && t.suffix.is_empty() && lex.ordinal_suffixes.contains(".") {
        let next = toks.get(i + 2);
        if next.and_then(Tok::unit) == Some(Unit::Quarter) && (1..=4).contains(&n) {
            let (year, last) = year_after(toks, i + 2, today);
            return Some((last, None, Some(quarter(year.unwrap_or(today.year()), n)?)));
        }
        if let Some(month) = next.and_then(Tok::month) {
            let (year, last) = year_after(toks, i + 2, today);
            return with_last(day(resolve_day(today, year, month, n)?), last);
        }
        if i > 0 && toks[i - 1].has(Role::On) && (1..=31).contains(&n) {
            return with_last(day(day_of_month(today, n)?), i + 1);
        }
    }
    // `im Jahr 2025`: a year after the word for year.
    let after_year_word = i > 0 && toks[i - 1].unit() == Some(Unit::Year);
    if after_year_word && norm.len() == 4 && t.suffix.is_empty() && (1970..=2100).contains(&n) {
        let from = NaiveDate::from_ymd_opt(i32::try_from(n).ok()?, 1, 1)?;
        return Some((i, None, Some(DateRange::year_of(from))));
    }
    None
}

/// A time of day, which is no date and no money: `7:30`, `7pm`, `9 baje`, `৯টায়`, `9 o'clock`.
fn clock_at(toks: &[Tok], i: usize, lex: &Lexicon) -> Option<Match> {
    let t = &toks[i].t;
    if t.norm.contains(':') || matches!(t.suffix.as_str(), "am" | "pm" | "h" | "hs" | "hrs") {
        return Some((i, None, None));
    }
    let clock_after = |w: &str| {
        lex.phrases
            .get(w)
            .is_some_and(|e| e.iter().any(|(_, r)| *r == Role::ClockAfter))
    };
    if clock_after(&t.suffix) {
        return Some((i, None, None));
    }
    let next = toks.get(i + 1)?;
    let word_after = next.t.kind == Kind::Word && next.has(Role::ClockAfter);
    // `am` is German for `on the`: `am Montag`.
    let meridiem = matches!(next.t.norm.as_str(), "am" | "pm") && !next.has(Role::On);
    (word_after || meridiem).then_some((i + 1, None, None))
}

/// After a question word: `spending 2025`, `gastos de 2025`, `report 6 2025`.
fn asked_period_at(toks: &[Tok], i: usize, value: u32, today: NaiveDate) -> Option<Match> {
    let t = &toks[i].t;
    let question_word = |t: &Tok| t.has(Role::Summary) || t.has(Role::List);
    // `gastos de 2025`: a little word may stand between.
    let asks = (i > 0 && question_word(&toks[i - 1]))
        || (i > 1 && toks[i - 1].has(Role::Stop) && question_word(&toks[i - 2]));
    if !asks || !t.suffix.is_empty() {
        return None;
    }
    if (1..=12).contains(&value) {
        if let (Some(y), last) = year_after(toks, i, today) {
            if last > i {
                let from = NaiveDate::from_ymd_opt(y, value, 1)?;
                return Some((last, None, Some(DateRange::month_of(from))));
            }
        }
    }
    if t.norm.len() == 4 && (1900..=2100).contains(&value) {
        let first = NaiveDate::from_ymd_opt(i32::try_from(value).ok()?, 1, 1)?;
        return Some((i, None, Some(DateRange::year_of(first))));
    }
    None
}

/// Day `n` of this month, or of last month when it is still to come.
fn day_of_month(today: NaiveDate, n: u32) -> Option<NaiveDate> {
    match today.with_day(n) {
        Some(d) if d <= today => Some(d),
        _ => today.checked_sub_months(Months::new(1))?.with_day(n),
    }
}

/// A number that can be a day of a month: `20 november`, `20th of november`, `20 de
/// noviembre`, `on the 3rd`, `el 28` beside a price, `5 tarikh`.
fn day_number_at(
    toks: &[Tok],
    i: usize,
    value: u32,
    ordinal: bool,
    lex: &Lexicon,
    today: NaiveDate,
) -> Option<Match> {
    if !(1..=31).contains(&value) {
        return None;
    }
    let mut j = i + 1;
    // `20th of november`, `20 de noviembre`; but in `9 on nov 3` the 9 is no day.
    if toks
        .get(j)
        .is_some_and(|n| n.has(Role::Stop) && !n.has(Role::On) && n.month().is_none())
    {
        j += 1;
    }
    let month_has_own_day = toks.get(j + 1).is_some_and(|n| is_day_number(n, lex))
        || (toks.get(j + 1).is_some_and(|n| n.t.norm == ".")
            && toks.get(j + 2).is_some_and(|n| is_day_number(n, lex)));
    if let Some(month) = toks
        .get(j)
        .and_then(Tok::month)
        .filter(|_| !month_has_own_day)
    {
        let (year, last) = year_after(toks, j, today);
        return with_last(day(resolve_day(today, year, month, value)?), last);
    }
    let bare = toks[i].t.suffix.is_empty();
    // `el 28`, `el día 3`: a bare day after the word for `on`, when another number is the price.
    let on_word = i > 0
        && (toks[i - 1].has(Role::On)
            || (toks[i - 1].unit() == Some(Unit::Day) && i > 1 && toks[i - 2].has(Role::On)));
    let other_number = toks
        .iter()
        .enumerate()
        .any(|(k, n)| k != i && !n.used && n.t.kind == Kind::Number);
    if ordinal || (on_word && other_number && bare) {
        return with_last(day(day_of_month(today, value)?), i);
    }
    // `5 tarikh ko`, `২৩ তারিখে`
    if bare && toks.get(i + 1).is_some_and(|n| n.has(Role::DayOfMonth)) {
        return with_last(day(day_of_month(today, value)?), i + 1);
    }
    None
}

/// A count of units: `les 7 derniers jours`, `2 dernières semaines` (the count before the word
/// for last), `2 days ago`.
fn counted_at(toks: &[Tok], i: usize, value: u32, today: NaiveDate) -> Option<Match> {
    if toks.get(i + 1).is_some_and(|n| n.has(Role::Last)) && toks[i].t.suffix.is_empty() {
        if let Some(unit) = toks.get(i + 2).and_then(Tok::unit) {
            return Some((i + 2, None, Some(last_n(today, value, unit)?)));
        }
    }
    let unit = toks.get(i + 1).and_then(Tok::unit)?;
    if toks.get(i + 2).is_some_and(|n| n.has(Role::Ago)) {
        return with_last(day(ago(today, value, unit)?), i + 2);
    }
    None
}

/// A year: `২০২৫ সালে`, `2025 saal` (before the word for year), `in 2025`, `2025 mein`.
fn year_at(toks: &[Tok], i: usize, value: u32) -> Option<Match> {
    if !(1970..=2100).contains(&value) || toks[i].t.norm.len() != 4 {
        return None;
    }
    let year = DateRange::year_of(NaiveDate::from_ymd_opt(i32::try_from(value).ok()?, 1, 1)?);
    if toks.get(i + 1).and_then(Tok::unit) == Some(Unit::Year) {
        return Some((i + 1, None, Some(year)));
    }
    let in_word = (i > 0 && toks[i - 1].has(Role::In))
        || toks
            .get(i + 1)
            .is_some_and(|n| n.has(Role::In) && n.t.kind == Kind::Word);
    in_word.then_some((i, None, Some(year)))
}

/// `the first of october`, `second quarter`, `first quarter of 2025`, `the 1st of the month`:
/// an ordinal word (or an ordinal number before a quarter) and what it counts.
fn ordinal_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    let t = &toks[i];
    let n = t
        .find(|r| {
            if let Role::Ordinal(n) = r {
                Some(u32::from(n))
            } else {
                None
            }
        })
        .or_else(|| {
            let ordinal = lex.ordinal_suffixes.contains(&t.t.suffix);
            (t.t.kind == Kind::Number && ordinal)
                .then(|| t.t.norm.parse().ok())
                .flatten()
        })?;
    // `of`, `de`: a little word between the ordinal and what it counts.
    let skip = |j: usize| {
        if toks
            .get(j)
            .is_some_and(|x| x.has(Role::Stop) && x.month().is_none())
        {
            j + 1
        } else {
            j
        }
    };
    let j = skip(i + 1);
    let next = toks.get(j)?;
    if next.unit() == Some(Unit::Quarter) && (1..=4).contains(&n) {
        let k = skip(j + 1);
        let (year, last) = match toks
            .get(k)
            .filter(|y| y.t.kind == Kind::Number && y.t.norm.len() == 4)
        {
            Some(y) => (y.t.norm.parse::<i32>().ok()?, k),
            None => (today.year(), j),
        };
        return Some((last, None, Some(quarter(year, n)?)));
    }
    if let Some(month) = next.month() {
        let (year, last) = year_after(toks, j, today);
        return with_last(day(resolve_day(today, year, month, n)?), last);
    }
    // `the first of the month`, `the 1st of this month`
    let k = skip(j);
    let unit_at = if next.has(Role::This) { k + 1 } else { k };
    if toks.get(unit_at).and_then(Tok::unit) == Some(Unit::Month) {
        let d = today.with_day(n)?;
        let d = if d <= today {
            d
        } else {
            today.checked_sub_months(Months::new(1))?.with_day(n)?
        };
        return with_last(day(d), unit_at);
    }
    None
}

/// A plain or ordinal number that can be a day of a month.
fn is_day_number(n: &Tok, lex: &Lexicon) -> bool {
    n.t.kind == Kind::Number
        && (n.t.suffix.is_empty() || lex.ordinal_suffixes.contains(&n.t.suffix))
        && n.t.norm.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
}

/// `Nov 20`, `Nov. 20`, `november 20th 2025`, or the month alone (`october`, `october 2025`).
fn month_at(toks: &[Tok], i: usize, month: u32, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    if toks.get(i + 1).is_some_and(|n| n.t.norm == ".")
        && toks.get(i + 2).is_some_and(|n| is_day_number(n, lex))
    {
        let d: u32 = toks[i + 2].t.norm.parse().ok()?;
        let (year, last) = year_after(toks, i + 2, today);
        return with_last(day(resolve_day(today, year, month, d)?), last);
    }
    if let Some(n) = toks.get(i + 1) {
        let ordinal_or_plain = n.t.suffix.is_empty() || lex.ordinal_suffixes.contains(&n.t.suffix);
        if n.t.kind == Kind::Number
            && ordinal_or_plain
            && n.t.norm.bytes().all(|b| b.is_ascii_digit())
        {
            if let Ok(d) = n.t.norm.parse::<u32>() {
                if (1..=31).contains(&d) {
                    let (year, last) = year_after(toks, i + 1, today);
                    return with_last(day(resolve_day(today, year, month, d)?), last);
                }
            }
        }
    }
    let (year, last) = year_after(toks, i, today);
    let year = year.unwrap_or(if month <= today.month() {
        today.year()
    } else {
        today.year() - 1
    });
    let from = NaiveDate::from_ymd_opt(year, month, 1)?;
    Some((last, None, Some(DateRange::month_of(from))))
}

/// A four-digit year right after token `i`, if any, and the last token used.
fn year_after(toks: &[Tok], i: usize, _today: NaiveDate) -> (Option<i32>, usize) {
    // `outubro de 2025`: a little word may stand between.
    let at = if toks
        .get(i + 1)
        .is_some_and(|n| n.has(Role::Stop) || n.has(Role::In))
    {
        i + 2
    } else {
        i + 1
    };
    match toks.get(at) {
        Some(n) if n.t.kind == Kind::Number && n.t.suffix.is_empty() && n.t.norm.len() == 4 => {
            match n.t.norm.parse::<i32>() {
                Ok(y) if (1970..=2100).contains(&y) => (Some(y), at),
                _ => (None, i),
            }
        }
        _ => (None, i),
    }
}

/// A day of a month; without a year, the latest such day that is not in the future.
fn resolve_day(today: NaiveDate, year: Option<i32>, month: u32, d: u32) -> Option<NaiveDate> {
    match year {
        Some(y) => NaiveDate::from_ymd_opt(y, month, d),
        None => {
            let this = NaiveDate::from_ymd_opt(today.year(), month, d);
            match this {
                Some(x) if x <= today => Some(x),
                _ => NaiveDate::from_ymd_opt(today.year() - 1, month, d),
            }
        }
    }
}

/// `11/20`, `20/11`, `11/20/2026`, `20/11/26`.
fn slash_date(norm: &str, month_first: bool, today: NaiveDate) -> Option<NaiveDate> {
    let parts: Vec<u32> = norm
        .split('/')
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    let (a, b) = (*parts.first()?, *parts.get(1)?);
    let (month, d) = if month_first && a <= 12 && b <= 31 {
        (a, b)
    } else if b <= 12 && a <= 31 {
        (b, a)
    } else if a <= 12 {
        (a, b)
    } else {
        return None;
    };
    let year = match parts.get(2) {
        None => None,
        Some(y) if *y < 100 => Some(2000 + i32::try_from(*y).ok()?),
        Some(y) => Some(i32::try_from(*y).ok()?),
    };
    if parts.len() > 3 {
        return None;
    }
    resolve_day(today, year, month, d)
}

/// A count at token `i`: digits, a number word, or an article (`a week`). Returns the count and
/// the index after it.
fn count_at(toks: &[Tok], i: usize) -> Option<(u32, usize)> {
    let t = toks.get(i)?;
    // `a couple days`
    if t.has(Role::Article) {
        if let Some(n) = toks.get(i + 1).and_then(Tok::number_word) {
            return Some((n, i + 2));
        }
    }
    if t.t.kind == Kind::Number && t.t.suffix.is_empty() {
        return Some((t.t.norm.parse().ok()?, i + 1));
    }
    if let Some(n) = t.number_word() {
        return Some((n, i + 1));
    }
    if t.has(Role::Article) {
        return Some((1, i + 1));
    }
    None
}

fn ago(today: NaiveDate, n: u32, unit: Unit) -> Option<NaiveDate> {
    match unit {
        Unit::Day => today.checked_sub_days(Days::new(u64::from(n))),
        Unit::Week => today.checked_sub_days(Days::new(u64::from(n) * 7)),
        Unit::Fortnight => today.checked_sub_days(Days::new(u64::from(n) * 14)),
        Unit::Month => today.checked_sub_months(Months::new(n)),
        Unit::Quarter => today.checked_sub_months(Months::new(n.checked_mul(3)?)),
        Unit::Year => today.checked_sub_months(Months::new(n.checked_mul(12)?)),
    }
}

/// This week and the one before.
pub(crate) fn this_fortnight(today: NaiveDate) -> Option<DateRange> {
    relative_unit(today, Unit::Fortnight, false)
}

/// The calendar quarter holding `day`.
pub(crate) fn quarter_of(day: NaiveDate) -> Option<DateRange> {
    let first_month = (day.month0() / 3) * 3 + 1;
    let from = NaiveDate::from_ymd_opt(day.year(), first_month, 1)?;
    let to = from.checked_add_months(Months::new(3))?.pred_opt()?;
    Some(DateRange::new(from, to))
}

/// `Q3` (glued, of this year, or of last year when it has not begun) and `Q3 2025`.
fn quarter_at(toks: &[Tok], i: usize, today: NaiveDate) -> Option<Match> {
    let t = &toks[i];
    let next = toks.get(i + 1)?;
    if t.t.norm != "q" || next.t.kind != Kind::Number || next.t.start != t.t.end {
        return None;
    }
    let q: u32 = next.t.norm.parse().ok().filter(|q| (1..=4).contains(q))?;
    let year_tok = toks
        .get(i + 2)
        .filter(|y| y.t.kind == Kind::Number && y.t.norm.len() == 4);
    let (year, last) = match year_tok.and_then(|y| y.t.norm.parse::<i32>().ok()) {
        Some(y) => (y, i + 2),
        None => {
            let this = quarter(today.year(), q)?;
            if this.from > today {
                (today.year() - 1, i + 1)
            } else {
                (today.year(), i + 1)
            }
        }
    };
    Some((last, None, Some(quarter(year, q)?)))
}

/// Quarter `q` (1–4) of `year`.
pub(crate) fn quarter(year: i32, q: u32) -> Option<DateRange> {
    quarter_of(NaiveDate::from_ymd_opt(year, q.checked_sub(1)? * 3 + 1, 1)?)
}

fn last_n(today: NaiveDate, n: u32, unit: Unit) -> Option<DateRange> {
    let n = n.max(1);
    let from = match unit {
        Unit::Day => today.checked_sub_days(Days::new(u64::from(n - 1)))?,
        _ => ago(today, n, unit)?.succ_opt()?,
    };
    Some(DateRange::new(from, today))
}

fn relative_unit(today: NaiveDate, unit: Unit, previous: bool) -> Option<DateRange> {
    Some(match (unit, previous) {
        (Unit::Day, false) => DateRange::day(today),
        (Unit::Day, true) => DateRange::day(today.pred_opt()?),
        (Unit::Week, false) => DateRange::week_of(today),
        (Unit::Week, true) => DateRange::week_of(today.checked_sub_days(Days::new(7))?),
        // This fortnight: this week and the one before; the last one: the two weeks before.
        (Unit::Fortnight, false) => DateRange::new(
            DateRange::week_of(today.checked_sub_days(Days::new(7))?).from,
            DateRange::week_of(today).to,
        ),
        (Unit::Fortnight, true) => DateRange::new(
            DateRange::week_of(today.checked_sub_days(Days::new(14))?).from,
            DateRange::week_of(today.checked_sub_days(Days::new(7))?).to,
        ),
        (Unit::Quarter, false) => quarter_of(today)?,
        (Unit::Quarter, true) => quarter_of(today.checked_sub_months(Months::new(3))?)?,
        (Unit::Month, false) => DateRange::month_of(today),
        (Unit::Month, true) => DateRange::month_of(today.checked_sub_months(Months::new(1))?),
        (Unit::Year, false) => DateRange::year_of(today),
        (Unit::Year, true) => DateRange::year_of(today.checked_sub_months(Months::new(12))?),
    })
}

/// The latest `wd` on or before today (`on monday`).
fn recent_weekday(today: NaiveDate, wd: Weekday) -> NaiveDate {
    let back = (7 + today.weekday().num_days_from_monday() - wd.num_days_from_monday()) % 7;
    today - chrono::Duration::days(i64::from(back))
}

/// The latest `wd` strictly before today (`last friday`).
fn previous_weekday(today: NaiveDate, wd: Weekday) -> NaiveDate {
    let d = recent_weekday(today, wd);
    if d == today {
        today - chrono::Duration::days(7)
    } else {
        d
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Saturday and Sunday of this week's weekend, or of the last one that has fully begun
/// before this week.
fn weekend(today: NaiveDate, last: bool) -> (NaiveDate, NaiveDate) {
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let sat = if last {
        monday - chrono::Duration::days(2)
    } else {
        monday + chrono::Duration::days(5)
    };
    (sat, sat + chrono::Duration::days(1))
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
