//! Dates said in words: `yesterday`, `hace 2 días`, `last friday`, `this month`, `the first of
//! october`, `Nov 20`.

use super::*;

pub(super) fn match_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
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
pub(super) fn named_day_at(t: &Tok, i: usize, today: NaiveDate) -> Option<Match> {
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
pub(super) fn ago_at(toks: &[Tok], i: usize, today: NaiveDate) -> Option<Match> {
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
pub(super) fn day_name_at(toks: &[Tok], i: usize, today: NaiveDate) -> Option<Match> {
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
pub(super) fn relative_at(
    toks: &[Tok],
    i: usize,
    lex: &Lexicon,
    today: NaiveDate,
) -> Option<Match> {
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

/// `the first of october`, `second quarter`, `first quarter of 2025`, `the 1st of the month`:
/// an ordinal word (or an ordinal number before a quarter) and what it counts.
pub(super) fn ordinal_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
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
pub(super) fn is_day_number(n: &Tok, lex: &Lexicon) -> bool {
    n.t.kind == Kind::Number
        && (n.t.suffix.is_empty() || lex.ordinal_suffixes.contains(&n.t.suffix))
        && n.t.norm.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
}

/// `Nov 20`, `Nov. 20`, `november 20th 2025`, or the month alone (`october`, `october 2025`).
pub(super) fn month_at(
    toks: &[Tok],
    i: usize,
    month: u32,
    lex: &Lexicon,
    today: NaiveDate,
) -> Option<Match> {
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
pub(super) fn year_after(toks: &[Tok], i: usize, _today: NaiveDate) -> (Option<i32>, usize) {
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
