//! Reading a wallet: entries by range, category, text and kind, summaries of spending and
//! income per category and currency, and the categories an account knows. Reads only; amounts
//! in different currencies are never added together.

use rust_decimal::Decimal;

use super::{Ledger, LedgerError, Session};
use crate::domain::{
    AccountId, Category, CategoryTotal, Currency, DEFAULT_CATEGORIES, DateRange, Entry, EntryKind,
    Money, Summary,
};
use crate::store::EntryFilter;

/// Which entries to list; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct EntryQuery {
    pub range: Option<DateRange>,
    pub category: Option<Category>,
    /// Matches note or category, any case, as a substring.
    pub text: Option<String>,
    pub kind: Option<EntryKind>,
    /// At most this many (0 means 50).
    pub limit: u32,
    /// Skip this many first (for pages).
    pub offset: u32,
}

impl Ledger {
    /// Entries newest first (day, then id); see [`EntryQuery`].
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn entries(&self, s: &Session, q: &EntryQuery) -> Result<Vec<Entry>, LedgerError> {
        let filter = EntryFilter {
            range: q.range,
            category: q.category.as_ref(),
            kind: q.kind,
            text: q.text.as_deref(),
            limit: q.limit,
            offset: q.offset,
        };
        Ok(self.store.entries(s.account.id, &filter).await?)
    }

    /// Spending per category and currency, and income per currency, over a range.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn summary(
        &self,
        s: &Session,
        range: DateRange,
        category: Option<&Category>,
    ) -> Result<Summary, LedgerError> {
        self.summary_of(s.account.id, range, category).await
    }

    pub(super) async fn summary_of(
        &self,
        account: AccountId,
        range: DateRange,
        category: Option<&Category>,
    ) -> Result<Summary, LedgerError> {
        let rows = self.store.totals(account, range, category).await?;
        let mut by_category = Vec::new();
        let mut income: Vec<(Currency, Decimal)> = Vec::new();
        for row in rows {
            let Some(currency) = Currency::parse(&row.currency) else {
                continue;
            };
            let total = Money::from_minor(row.total_minor, currency).amount();
            match EntryKind::parse(&row.kind) {
                Some(EntryKind::Expense) => by_category.push(CategoryTotal {
                    category: Category::parse(&row.category).unwrap_or_else(Category::other),
                    currency,
                    total,
                    count: u64::try_from(row.count).unwrap_or(0),
                }),
                Some(EntryKind::Income) => match income.iter_mut().find(|(c, _)| *c == currency) {
                    Some((_, t)) => *t += total,
                    None => income.push((currency, total)),
                },
                None => {}
            }
        }
        by_category.sort_by(|a, b| {
            b.total
                .cmp(&a.total)
                .then_with(|| a.category.cmp(&b.category))
                .then(a.currency.cmp(&b.currency))
        });
        income.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(Summary {
            range,
            by_category,
            income,
        })
    }

    /// The default categories, then the custom ones this account has used (alphabetically).
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn categories(&self, s: &Session) -> Result<Vec<Category>, LedgerError> {
        let mut all: Vec<Category> = DEFAULT_CATEGORIES
            .iter()
            .filter_map(|c| Category::parse(c))
            .collect();
        let mut custom: Vec<Category> = self
            .store
            .used_categories(s.account.id)
            .await?
            .into_iter()
            .filter(|c| !c.is_default())
            .collect();
        custom.sort();
        custom.dedup();
        all.extend(custom);
        Ok(all)
    }
}
