//! Calendar periods: inclusive date ranges and the daily/weekly/monthly/yearly periods of a
//! limit. Weeks start on Monday. Dates are days in the account's own time zone.

use std::fmt;

use chrono::{Datelike, Days, NaiveDate};

/// An inclusive range of days, `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// A range from two days in either order.
    pub fn new(a: NaiveDate, b: NaiveDate) -> Self {
        if a <= b {
            Self { from: a, to: b }
        } else {
            Self { from: b, to: a }
        }
    }

    pub fn day(day: NaiveDate) -> Self {
        Self { from: day, to: day }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// How many days the range spans, both ends counted.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The Monday-to-Sunday week holding `day`.
    pub fn week_of(day: NaiveDate) -> Self {
        let from = day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()));
        Self {
            from,
            to: from + chrono::Duration::days(6),
        }
    }

    /// The calendar month holding `day`.
    pub fn month_of(day: NaiveDate) -> Self {
        let from = day.with_day(1).unwrap_or(day);
        let next = from
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(from);
        Self {
            from,
            to: next.pred_opt().unwrap_or(from),
        }
    }

    /// The calendar year holding `day`.
    pub fn year_of(day: NaiveDate) -> Self {
        let from = NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day);
        let to = NaiveDate::from_ymd_opt(day.year(), 12, 31).unwrap_or(day);
        Self { from, to }
    }

    /// The period of the same kind right before this one: the month before a calendar month,
    /// else as many days right before `from`.
    pub fn before(&self) -> Self {
        let whole_month = self.from.day() == 1 && Self::month_of(self.from).to == self.to;
        if whole_month {
            if let Some(prev) = self.from.pred_opt() {
                return Self::month_of(prev);
            }
        }
        let to = self.from.pred_opt().unwrap_or(self.from);
        let from = to
            .checked_sub_days(Days::new(u64::try_from(self.days() - 1).unwrap_or(0)))
            .unwrap_or(to);
        Self { from, to }
    }

    /// The last `n` days up to and including `today`.
    pub fn last_days(today: NaiveDate, n: u32) -> Self {
        let n = n.max(1);
        let from = today
            .checked_sub_days(Days::new(u64::from(n - 1)))
            .unwrap_or(today);
        Self { from, to: today }
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from.format("%a %-d %b %Y"))
        } else if self.from.day() == 1 && DateRange::month_of(self.from) == *self {
            write!(f, "{}", self.from.format("%B %Y"))
        } else {
            write!(
                f,
                "{} – {}",
                self.from.format("%-d %b"),
                self.to.format("%-d %b %Y")
            )
        }
    }
}

/// How often a limit starts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitPeriod {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl LimitPeriod {
    pub const ALL: [LimitPeriod; 4] = [Self::Daily, Self::Weekly, Self::Monthly, Self::Yearly];

    /// The period of this kind that holds `day`.
    pub fn range_containing(self, day: NaiveDate) -> DateRange {
        match self {
            Self::Daily => DateRange::day(day),
            Self::Weekly => DateRange::week_of(day),
            Self::Monthly => DateRange::month_of(day),
            Self::Yearly => DateRange::year_of(day),
        }
    }

    /// The name used in `spendbot parse` output and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Yearly => "yearly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for LimitPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(
            DateRange::week_of(d("2026-11-25")),
            DateRange::new(d("2026-11-23"), d("2026-11-29"))
        );
        assert_eq!(
            DateRange::week_of(d("2026-11-23")),
            DateRange::new(d("2026-11-23"), d("2026-11-29"))
        );
        assert_eq!(
            DateRange::week_of(d("2026-11-29")),
            DateRange::new(d("2026-11-23"), d("2026-11-29"))
        );
    }

    #[test]
    fn months_and_years_cover_whole_calendar_units() {
        assert_eq!(
            DateRange::month_of(d("2026-02-14")),
            DateRange::new(d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(DateRange::month_of(d("2028-02-14")).days(), 29);
        assert_eq!(
            DateRange::month_of(d("2026-12-31")),
            DateRange::new(d("2026-12-01"), d("2026-12-31"))
        );
        assert_eq!(
            LimitPeriod::Yearly.range_containing(d("2026-06-01")).days(),
            365
        );
    }

    #[test]
    fn last_days_include_today() {
        assert_eq!(
            DateRange::last_days(d("2026-11-25"), 7),
            DateRange::new(d("2026-11-19"), d("2026-11-25"))
        );
    }
}
