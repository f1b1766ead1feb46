//! Dates written with digits: `11/20`, `2026-11-20`, `20.11.`, `03/2025`, clock times, a year
//! after a question word, a day of the month, `2 days ago`, `in 2025`.

use super::*;

pub(super) fn number_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
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
pub(super) fn slashed_at(norm: &str, i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
    let (m, y) = norm.split_once('/')?;
    if let (Ok(m), true, Ok(y)) = (m.parse::<u32>(), y.len() == 4, y.parse::<i32>()) {
        let from = NaiveDate::from_ymd_opt(y, m, 1)?;
        return Some((i, None, Some(DateRange::month_of(from))));
    }
    with_last(day(slash_date(norm, lex.month_first, today)?), i)
}

/// `2026-11-20`, and `20-11-2026` / `11-20-2026` in the language's order with the year last.
pub(super) fn dashed_at(norm: &str, i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
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
pub(super) fn dotted_at(toks: &[Tok], i: usize, lex: &Lexicon, today: NaiveDate) -> Option<Match> {
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
pub(super) fn clock_at(toks: &[Tok], i: usize, lex: &Lexicon) -> Option<Match> {
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
pub(super) fn asked_period_at(
    toks: &[Tok],
    i: usize,
    value: u32,
    today: NaiveDate,
) -> Option<Match> {
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
pub(super) fn day_of_month(today: NaiveDate, n: u32) -> Option<NaiveDate> {
    match today.with_day(n) {
        Some(d) if d <= today => Some(d),
        _ => today.checked_sub_months(Months::new(1))?.with_day(n),
    }
}

/// A number that can be a day of a month: `20 november`, `20th of november`, `20 de
/// noviembre`, `on the 3rd`, `el 28` beside a price, `5 tarikh`.
pub(super) fn day_number_at(
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
pub(super) fn counted_at(toks: &[Tok], i: usize, value: u32, today: NaiveDate) -> Option<Match> {
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
pub(super) fn year_at(toks: &[Tok], i: usize, value: u32) -> Option<Match> {
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
