//! What an account's entries add up to: totals per kind, category and currency over a range,
//! the expenses in one currency (and category) over a range, and expenses per day. Amounts in
//! different currencies are never added together, and it never decides what a sum means (a
//! limit's standing, a threshold crossed): the domain does.

use chrono::NaiveDate;

use super::rows::{DayTotalRow, TotalRow};
use super::sql::{Conn, Sql, as_bigint, as_text, fetch, scalar, sql};
use super::{Store, StoreError, Tx};
use crate::domain::{AccountId, Category, Currency, DateRange};

/// The columns of [`TotalRow`], from `daily_totals`.
macro_rules! total_columns {
    ($($engine:ident)?) => {
        concat!(
            "kind, ",
            as_text!("category" $(, $engine)?),
            ", currency, ",
            as_bigint!("SUM(total_minor)" $(, $engine)?),
            " AS total_minor, ",
            as_bigint!("SUM(entry_count)" $(, $engine)?),
            " AS count"
        )
    };
}

/// Expenses, nothing spent being 0.
macro_rules! spent_column {
    ($($engine:ident)?) => {
        as_bigint!("COALESCE(SUM(total_minor), 0)" $(, $engine)?)
    };
}

/// The columns of [`DayTotalRow`].
macro_rules! day_columns {
    ($($engine:ident)?) => {
        concat!(
            "day, ",
            as_bigint!("SUM(total_minor)" $(, $engine)?),
            " AS total_minor"
        )
    };
}

// Every sum reads `daily_totals` (kept by triggers on `entries`, see migration 0005): at most
// one row per day, kind, currency and category, whatever the history.
const TOTALS: Sql = sql!(columns: total_columns,
    "FROM daily_totals \
     WHERE account_id = ? AND day >= ? AND day <= ? \
       AND (? IS NULL OR category = ?) \
     GROUP BY kind, daily_totals.category, currency \
     HAVING SUM(entry_count) > 0"
);
/// Bound: account, first day, last day, currency, category twice (`None` for every category).
/// SQLite's group commit runs it too.
pub(super) const SPENT: Sql = sql!(columns: spent_column,
    "FROM daily_totals \
     WHERE account_id = ? AND day >= ? AND day <= ? \
       AND kind = 'expense' AND currency = ? AND (? IS NULL OR category = ?)"
);
const DAILY_SPENT: Sql = sql!(columns: day_columns,
    "FROM daily_totals \
     WHERE account_id = ? AND day >= ? AND day <= ? \
       AND kind = 'expense' AND currency = ? \
     GROUP BY day HAVING SUM(entry_count) > 0 ORDER BY day"
);

impl Store {
    /// Totals per kind, category and currency over a range.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn totals(
        &self,
        account: AccountId,
        range: DateRange,
        category: Option<&Category>,
    ) -> Result<Vec<TotalRow>, StoreError> {
        let category = category.map(Category::as_str);
        Ok(fetch!(
            self.reader().await?.conn(),
            fetch_all,
            TOTALS,
            account.0,
            range.from,
            range.to,
            category,
            category,
        )?)
    }

    /// Expenses in one currency (and category) over a range, in minor units.
    pub async fn spent(
        &self,
        account: AccountId,
        currency: Currency,
        category: Option<&Category>,
        range: DateRange,
    ) -> Result<i64, StoreError> {
        spent(
            self.reader().await?.conn(),
            account,
            currency,
            category,
            range,
        )
        .await
    }

    /// Expenses in one currency per day over a range (days without any are left out).
    pub async fn daily_spent(
        &self,
        account: AccountId,
        currency: Currency,
        range: DateRange,
    ) -> Result<Vec<(NaiveDate, i64)>, StoreError> {
        let rows: Vec<DayTotalRow> = fetch!(
            self.reader().await?.conn(),
            fetch_all,
            DAILY_SPENT,
            account.0,
            range.from,
            range.to,
            currency.code(),
        )?;
        Ok(rows.into_iter().map(|r| (r.day, r.total_minor)).collect())
    }
}

impl Tx {
    /// See [`Store::spent`]; inside the transaction, so it sees the transaction's own writes.
    pub async fn spent(
        &mut self,
        account: AccountId,
        currency: Currency,
        category: Option<&Category>,
        range: DateRange,
    ) -> Result<i64, StoreError> {
        spent(self.conn(), account, currency, category, range).await
    }
}

async fn spent(
    c: Conn<'_>,
    account: AccountId,
    currency: Currency,
    category: Option<&Category>,
    range: DateRange,
) -> Result<i64, StoreError> {
    let category = category.map(Category::as_str);
    Ok(scalar!(
        c,
        fetch_one,
        SPENT,
        account.0,
        range.from,
        range.to,
        currency.code(),
        category,
        category,
    )?)
}
