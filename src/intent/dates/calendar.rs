//! Calendar arithmetic: days of months, weeks, fortnights, quarters, weekends, and counts of
//! units back from today.

use super::*;

/// A day of a month; without a year, the latest such day that is not in the future.
pub(super) fn resolve_day(
    today: NaiveDate,
    year: Option<i32>,
    month: u32,
    d: u32,
) -> Option<NaiveDate> {
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
pub(super) fn slash_date(norm: &str, month_first: bool, today: NaiveDate) -> Option<NaiveDate> {
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
pub(super) fn count_at(toks: &[Tok], i: usize) -> Option<(u32, usize)> {
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

pub(super) fn ago(today: NaiveDate, n: u32, unit: Unit) -> Option<NaiveDate> {
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
pub(super) fn quarter_at(toks: &[Tok], i: usize, today: NaiveDate) -> Option<Match> {
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

pub(super) fn last_n(today: NaiveDate, n: u32, unit: Unit) -> Option<DateRange> {
    let n = n.max(1);
    let from = match unit {
        Unit::Day => today.checked_sub_days(Days::new(u64::from(n - 1)))?,
        _ => ago(today, n, unit)?.succ_opt()?,
    };
    Some(DateRange::new(from, today))
}

pub(super) fn relative_unit(today: NaiveDate, unit: Unit, previous: bool) -> Option<DateRange> {
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
pub(super) fn recent_weekday(today: NaiveDate, wd: Weekday) -> NaiveDate {
    let back = (7 + today.weekday().num_days_from_monday() - wd.num_days_from_monday()) % 7;
    today - chrono::Duration::days(i64::from(back))
}

/// The latest `wd` strictly before today (`last friday`).
pub(super) fn previous_weekday(today: NaiveDate, wd: Weekday) -> NaiveDate {
    let d = recent_weekday(today, wd);
    if d == today {
        today - chrono::Duration::days(7)
    } else {
        d
    }
}

pub(super) fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Saturday and Sunday of this week's weekend, or of the last one that has fully begun
/// before this week.
pub(super) fn weekend(today: NaiveDate, last: bool) -> (NaiveDate, NaiveDate) {
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let sat = if last {
        monday - chrono::Duration::days(2)
    } else {
        monday + chrono::Duration::days(5)
    };
    (sat, sat + chrono::Duration::days(1))
}
