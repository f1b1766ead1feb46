//! Questions beyond totals, answered from the ledger: the largest expenses of a period, its top
//! categories, the average per day and per expense, two periods or categories side by side,
//! and `find coffee`.

use rust_decimal::Decimal;

use super::{Bot, Turn, money, share};
use crate::domain::{Category, Currency, DateRange, EntryKind, Summary};
use crate::intent::{Ask, Query};
use crate::ledger::{EntryQuery, LedgerError};

/// How many entries a `largest` question reads at most; a period with more is answered from
/// the newest this many.
const LARGEST_SCAN: u32 = 5000;
/// Categories a `top categories` answer shows when the question names no number.
const TOP_DEFAULT: usize = 5;

/// Totals per currency as text: `120.00 USD + 30.00 EUR`, or `0` when nothing was spent.
fn totals_text(totals: &[(Currency, Decimal)], fallback: Currency) -> String {
    if totals.is_empty() {
        return money(Decimal::ZERO, fallback);
    }
    totals
        .iter()
        .map(|(c, t)| money(*t, *c))
        .collect::<Vec<_>>()
        .join(" + ")
}

impl Bot {
    /// Answers a question whose [`Ask`] is not plain totals.
    pub(super) async fn answer(&self, turn: &Turn<'_>, q: &Query) -> Result<String, LedgerError> {
        let range = q.range.unwrap_or_else(|| DateRange::month_of(turn.today));
        match &q.ask {
            Ask::Totals => Ok(String::new()),
            Ask::Largest => self.largest(turn, q, range).await,
            Ask::TopCategories => self.top_categories(turn, q, range).await,
            Ask::Average => self.average(turn, q, range).await,
            Ask::Compare {
                range: other,
                category,
            } => {
                let other = other.unwrap_or(range);
                self.compare(
                    turn,
                    (range, q.category.as_ref()),
                    (other, category.as_ref()),
                )
                .await
            }
        }
    }

    fn scope_name(&self, lang: &str, range: DateRange, category: Option<&Category>) -> String {
        let period = self.period_name(lang, range);
        match category {
            Some(c) => format!("{} · {period}", self.label(lang, c)),
            None => period,
        }
    }

    async fn largest(
        &self,
        turn: &Turn<'_>,
        q: &Query,
        range: DateRange,
    ) -> Result<String, LedgerError> {
        let lang = turn.lang.as_str();
        let query = EntryQuery {
            range: Some(range),
            category: q.category.clone(),
            kind: Some(EntryKind::Expense),
            limit: LARGEST_SCAN,
            ..EntryQuery::default()
        };
        let mut entries = self.ledger.entries(&turn.session, &query).await?;
        let period = self.scope_name(lang, range, q.category.as_ref());
        if entries.is_empty() {
            return Ok(self.t(lang, "summary_empty", &[("period", &period)]));
        }
        entries.sort_by(|a, b| {
            b.money
                .amount()
                .cmp(&a.money.amount())
                .then(b.occurred_on.cmp(&a.occurred_on))
        });
        let n = q.count.map_or(1, |n| n.clamp(1, 20) as usize);
        if n == 1 {
            let entry = self.describe(turn, &entries[0]);
            return Ok(self.t(lang, "largest", &[("period", &period), ("entry", &entry)]));
        }
        let mut lines = vec![self.t(
            lang,
            "largest_head",
            &[
                ("period", &period),
                ("count", &n.min(entries.len()).to_string()),
            ],
        )];
        for (i, e) in entries.iter().take(n).enumerate() {
            lines.push(format!("  {}. {}", i + 1, self.describe(turn, e)));
        }
        Ok(lines.join("\n"))
    }

    async fn top_categories(
        &self,
        turn: &Turn<'_>,
        q: &Query,
        range: DateRange,
    ) -> Result<String, LedgerError> {
        let lang = turn.lang.as_str();
        let summary = self.ledger.summary(&turn.session, range, None).await?;
        let period = self.period_name(lang, range);
        if summary.by_category.is_empty() {
            return Ok(self.t(lang, "summary_empty", &[("period", &period)]));
        }
        let n = q.count.map_or(TOP_DEFAULT, |n| n.clamp(1, 20) as usize);
        let spent = summary.spent();
        let mut lines = vec![self.t(lang, "top_head", &[("period", &period)])];
        for (i, row) in summary.by_category.iter().take(n).enumerate() {
            let share = share(row, &spent);
            lines.push(format!(
                "  {}. {} {} ({share} %, {})",
                i + 1,
                self.label(lang, &row.category),
                money(row.total, row.currency),
                self.t(lang, "expenses_count", &[("count", &row.count.to_string())])
            ));
        }
        Ok(lines.join("\n"))
    }

    async fn average(
        &self,
        turn: &Turn<'_>,
        q: &Query,
        range: DateRange,
    ) -> Result<String, LedgerError> {
        let lang = turn.lang.as_str();
        let summary = self
            .ledger
            .summary(&turn.session, range, q.category.as_ref())
            .await?;
        let period = self.scope_name(lang, range, q.category.as_ref());
        let spent = summary.spent();
        if spent.is_empty() {
            return Ok(self.t(lang, "summary_empty", &[("period", &period)]));
        }
        // A period still running is averaged over the days so far.
        let days = if range.contains(turn.today) {
            DateRange::new(range.from, turn.today).days()
        } else {
            range.days()
        };
        let count = summary.expense_count().max(1);
        let per = |divisor: Decimal| -> String {
            spent
                .iter()
                .map(|(c, t)| money((*t / divisor).round_dp(2), *c))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        Ok(self.t(
            lang,
            "average",
            &[
                ("period", &period),
                ("spent", &totals_text(&spent, turn.session.account.currency)),
                ("days", &days.to_string()),
                ("per_day", &per(Decimal::from(days.max(1)))),
                ("count", &summary.expense_count().to_string()),
                ("per_expense", &per(Decimal::from(count))),
            ],
        ))
    }

    async fn compare(
        &self,
        turn: &Turn<'_>,
        a: (DateRange, Option<&Category>),
        b: (DateRange, Option<&Category>),
    ) -> Result<String, LedgerError> {
        let lang = turn.lang.as_str();
        let (sa, sb) = (
            self.ledger.summary(&turn.session, a.0, a.1).await?,
            self.ledger.summary(&turn.session, b.0, b.1).await?,
        );
        let (na, nb) = (
            self.scope_name(lang, a.0, a.1),
            self.scope_name(lang, b.0, b.1),
        );
        let fallback = turn.session.account.currency;
        let mut lines = vec![format!("{na} vs {nb}")];
        // Two columns per category when the sides are whole periods.
        if a.1.is_none() && b.1.is_none() {
            let mut cats: Vec<(Category, Currency)> = Vec::new();
            for row in sa.by_category.iter().chain(&sb.by_category) {
                if !cats.contains(&(row.category.clone(), row.currency)) {
                    cats.push((row.category.clone(), row.currency));
                }
            }
            for (cat, cur) in cats.iter().take(12) {
                let of = |s: &Summary| s.spent_in(*cur, Some(cat));
                lines.push(format!(
                    "  {}: {} · {}",
                    self.label(lang, cat),
                    money(of(&sa), *cur),
                    money(of(&sb), *cur)
                ));
            }
        }
        let (ta, tb) = (sa.spent(), sb.spent());
        lines.push(self.t(
            lang,
            "compare_totals",
            &[
                ("a", &totals_text(&ta, fallback)),
                ("b", &totals_text(&tb, fallback)),
                ("count_a", &sa.expense_count().to_string()),
                ("count_b", &sb.expense_count().to_string()),
            ],
        ));
        // The difference, when both sides are in one and the same currency.
        let single = |t: &[(Currency, Decimal)]| match t {
            [] => Some((fallback, Decimal::ZERO)),
            [one] => Some(*one),
            _ => None,
        };
        if let (Some((ca, x)), Some((cb, y))) = (single(&ta), single(&tb)) {
            if ca == cb {
                let diff = money((x - y).abs(), ca);
                let key = match x.cmp(&y) {
                    std::cmp::Ordering::Greater => "compare_more",
                    std::cmp::Ordering::Less => "compare_less",
                    std::cmp::Ordering::Equal => "compare_same",
                };
                let percent = if y.is_zero() {
                    String::new()
                } else {
                    format!(" ({} %)", ((x - y) * Decimal::from(100) / y).abs().round())
                };
                lines.push(self.t(
                    lang,
                    key,
                    &[
                        ("a", &na),
                        ("b", &nb),
                        ("diff", &format!("{diff}{percent}")),
                    ],
                ));
            }
        }
        Ok(lines.join("\n"))
    }
}
