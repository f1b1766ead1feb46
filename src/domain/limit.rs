//! Spending limits and where a wallet stands against them, plus period summaries.

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
