//! Spending limits, the thresholds of a limit worth an alert and when a change crosses one,
//! where a wallet stands against its limits, and period summaries.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{AccountId, Category, Currency, DateRange, LimitId, LimitPeriod, Money};

/// A limit about to be set. A new limit replaces the account's limit for the same period and
/// category.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLimit {
    pub money: Money,
    pub period: LimitPeriod,
    /// `None` limits the whole wallet.
    pub category: Option<Category>,
}

/// A spending limit on a wallet or on one of its categories.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub id: LimitId,
    pub account_id: AccountId,
    pub money: Money,
    pub period: LimitPeriod,
    pub category: Option<Category>,
}

/// A share of a limit worth telling the user about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// 80 % of the limit.
    Warning,
    /// 100 % of the limit.
    Over,
}

impl Threshold {
    /// Every threshold, the lowest first.
    pub const ALL: [Threshold; 2] = [Threshold::Warning, Threshold::Over];

    /// The threshold as a percentage of the limit.
    pub fn percent(self) -> i64 {
        i64::from(self.as_i16())
    }

    /// The percentage as stored in the outbox.
    pub fn as_i16(self) -> i16 {
        match self {
            Threshold::Warning => 80,
            Threshold::Over => 100,
        }
    }

    /// The threshold of a stored percentage.
    pub fn from_percent(percent: i16) -> Option<Threshold> {
        Threshold::ALL.into_iter().find(|t| t.as_i16() == percent)
    }

    /// Whether spending that went from `before` to `after` (minor units) crossed this threshold
    /// of a limit of `limit_minor`: `before < limit · p <= after`. A change crosses each
    /// threshold at most once, so an alert keyed by (limit, period, threshold) is due once.
    pub fn crossed(self, limit_minor: i64, before: i64, after: i64) -> bool {
        // In hundredths of minor units, in i128: exact, and no product can overflow.
        let mark = i128::from(limit_minor) * i128::from(self.percent());
        let scaled = |v: i64| i128::from(v) * 100;
        scaled(before) < mark && mark <= scaled(after)
    }
}

/// The thresholds of a limit of `limit_minor` that spending going from `before` to `after`
/// (minor units) crossed, the lowest first; see [`Threshold::crossed`].
pub fn crossed_thresholds(
    limit_minor: i64,
    before: i64,
    after: i64,
) -> impl Iterator<Item = Threshold> {
    Threshold::ALL
        .into_iter()
        .filter(move |t| t.crossed(limit_minor, before, after))
}

/// Where spending stands against one limit in the period holding a given day.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitStatus {
    pub limit: Limit,
    pub range: DateRange,
    /// Spent in the limit's currency (and category) within `range`.
    pub spent: Decimal,
}

impl LimitStatus {
    /// What is left before the limit; negative when over.
    pub fn remaining(&self) -> Decimal {
        self.limit.money.amount() - self.spent
    }

    /// Spent as a whole percentage of the limit, rounded down.
    pub fn percent(&self) -> u32 {
        let limit = self.limit.money.amount();
        if limit <= Decimal::ZERO {
            return 0;
        }
        let pct = (self.spent * Decimal::from(100) / limit).floor();
        u32::try_from(pct.mantissa() / 10_i128.pow(pct.scale())).unwrap_or(u32::MAX)
    }

    /// Days left in the period, counting `today`.
    pub fn days_left(&self, today: NaiveDate) -> i64 {
        if today > self.range.to {
            return 0;
        }
        (self.range.to - today.max(self.range.from)).num_days() + 1
    }

    /// What may still be spent per day until the period ends (zero when nothing is left).
    pub fn per_day_left(&self, today: NaiveDate) -> Decimal {
        let days = self.days_left(today);
        let remaining = self.remaining();
        if days <= 0 || remaining <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        (remaining / Decimal::from(days)).round_dp(self.limit.money.currency().minor_digits())
    }

    pub fn currency(&self) -> Currency {
        self.limit.money.currency()
    }
}

/// Spending of one category in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryTotal {
    pub category: Category,
    pub currency: Currency,
    pub total: Decimal,
    pub count: u64,
}

/// Totals over a date range. Amounts in different currencies are never added together: there is
/// no exchange rate to add them with.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub range: DateRange,
    /// Spending per category and currency, largest first.
    pub by_category: Vec<CategoryTotal>,
    /// Income per currency.
    pub income: Vec<(Currency, Decimal)>,
}

impl Summary {
    /// Total spent per currency, the largest first.
    pub fn spent(&self) -> Vec<(Currency, Decimal)> {
        let mut totals: Vec<(Currency, Decimal)> = Vec::new();
        for row in &self.by_category {
            match totals.iter_mut().find(|(c, _)| *c == row.currency) {
                Some((_, t)) => *t += row.total,
                None => totals.push((row.currency, row.total)),
            }
        }
        totals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        totals
    }

    /// Spent in one currency, of one category or of all.
    pub fn spent_in(&self, currency: Currency, category: Option<&Category>) -> Decimal {
        self.by_category
            .iter()
            .filter(|r| r.currency == currency && category.is_none_or(|c| *c == r.category))
            .map(|r| r.total)
            .sum()
    }

    /// Number of expenses in the summary.
    pub fn expense_count(&self) -> u64 {
        self.by_category.iter().map(|c| c.count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn status(limit: &str, spent: &str) -> LimitStatus {
        let money =
            Money::new(Decimal::from_str_exact(limit).expect("dec"), Currency::USD).expect("money");
        LimitStatus {
            limit: Limit {
                id: LimitId(1),
                account_id: AccountId(1),
                money,
                period: LimitPeriod::Monthly,
                category: None,
            },
            range: LimitPeriod::Monthly.range_containing(d("2026-11-25")),
            spent: Decimal::from_str_exact(spent).expect("dec"),
        }
    }

    fn crossed(limit: i64, before: i64, after: i64) -> Vec<Threshold> {
        crossed_thresholds(limit, before, after).collect()
    }

    #[test]
    fn thresholds_are_crossed_once_each() {
        // Limit 100.00: 70 → 85 crosses 80 %; 85 → 100 crosses 100 %; 100 → 120 crosses none.
        assert_eq!(crossed(10_000, 7_000, 8_500), vec![Threshold::Warning]);
        assert_eq!(crossed(10_000, 8_500, 10_000), vec![Threshold::Over]);
        assert_eq!(crossed(10_000, 10_000, 12_000), vec![]);
        assert_eq!(
            crossed(10_000, 0, 20_000),
            vec![Threshold::Warning, Threshold::Over]
        );
        assert_eq!(crossed(10_000, 0, 7_999), vec![]);
        assert_eq!(crossed(10_000, 0, 8_000), vec![Threshold::Warning]);
    }

    #[test]
    fn a_mark_between_minor_units_is_crossed_by_the_unit_past_it() {
        // Limit 0.99: 80 % is 79.2 cents, crossed going from 79 to 80 cents and not before.
        assert_eq!(crossed(99, 0, 79), vec![]);
        assert_eq!(crossed(99, 79, 80), vec![Threshold::Warning]);
        assert_eq!(crossed(99, 80, 99), vec![Threshold::Over]);
    }

    #[test]
    fn going_down_or_staying_crosses_nothing() {
        assert_eq!(crossed(10_000, 12_000, 5_000), vec![]);
        assert_eq!(crossed(10_000, 8_000, 8_000), vec![]);
        assert_eq!(crossed(10_000, 10_000, 10_000), vec![]);
    }

    #[test]
    fn extreme_amounts_do_not_overflow() {
        assert_eq!(crossed(i64::MAX, 0, i64::MAX), Threshold::ALL.to_vec());
        assert_eq!(crossed(i64::MAX, i64::MIN, -1), vec![]);
    }

    #[test]
    fn stored_percentages_round_trip() {
        for t in Threshold::ALL {
            assert_eq!(Threshold::from_percent(t.as_i16()), Some(t));
        }
        assert_eq!(Threshold::from_percent(50), None);
    }

    #[test]
    fn pace_divides_what_is_left_by_the_days_left() {
        let s = status("500", "312.40");
        assert_eq!(s.percent(), 62);
        assert_eq!(s.days_left(d("2026-11-25")), 6);
        assert_eq!(
            s.remaining(),
            Decimal::from_str_exact("187.60").expect("dec")
        );
        assert_eq!(s.per_day_left(d("2026-11-25")).to_string(), "31.27");
    }

    #[test]
    fn overspent_limits_have_nothing_left_per_day() {
        let s = status("100", "130");
        assert_eq!(s.percent(), 130);
        assert_eq!(s.per_day_left(d("2026-11-25")), Decimal::ZERO);
        assert!(s.remaining() < Decimal::ZERO);
    }
}
