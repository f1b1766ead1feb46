//! Spending limits as stored: an account's limits, setting one (replacing the limit of the same
//! period and category), removing one, and locking one so that changes counting towards it
//! serialise. It never decides where spending stands against a limit or which thresholds a
//! change crossed: those are the domain's rules.

use chrono::{DateTime, Utc};

use super::rows::{LimitRow, parse_currency};
use super::sql::{Sql, as_text, execute, fetch, scalar, sql};
use super::{Store, StoreError, Tx};
use crate::domain::{AccountId, Category, Limit, LimitId, LimitPeriod, Money, NewLimit};

/// The columns of [`LimitRow`].
macro_rules! limit_columns {
    ($($engine:ident)?) => {
        concat!(
            "id, account_id, period, ",
            as_text!("category" $(, $engine)?),
            ", amount_minor, currency"
        )
    };
}

const LIMITS: Sql = sql!(columns: limit_columns,
    "FROM spending_limits WHERE account_id = ? ORDER BY id"
);
const LIMIT_BY_KEY: Sql = sql!(columns: limit_columns,
    "FROM spending_limits WHERE account_id = ? AND period = ? AND category = ?"
);
/// An upsert is each dialect's own; MySQL's `VALUES(col)` rather than a row alias, because
/// MariaDB knows only the former.
const UPSERT_LIMIT: Sql = sql!(
    "INSERT INTO spending_limits \
       (account_id, period, category, amount_minor, currency, created_at, updated_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (account_id, period, category) DO UPDATE SET \
       amount_minor = excluded.amount_minor, currency = excluded.currency, \
       updated_at = excluded.updated_at",
    mysql: "INSERT INTO spending_limits \
       (account_id, period, category, amount_minor, currency, created_at, updated_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?) \
     ON DUPLICATE KEY UPDATE \
       amount_minor = VALUES(amount_minor), currency = VALUES(currency), \
       updated_at = VALUES(updated_at)"
);
const DELETE_LIMIT: Sql =
    sql!("DELETE FROM spending_limits WHERE account_id = ? AND period = ? AND category = ?");
/// On SQLite a plain read: its write transaction holds the whole database already.
const LOCK_LIMIT: Sql = sql!(for_update: "SELECT id FROM spending_limits WHERE id = ?");

impl Store {
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn limits(&self, account: AccountId) -> Result<Vec<Limit>, StoreError> {
        let rows: Vec<LimitRow> =
            fetch!(self.reader().await?.conn(), fetch_all, LIMITS, account.0)?;
        rows.into_iter().map(LimitRow::into_limit).collect()
    }
}

impl Tx {
    /// Sets the account's limit for (period, category), replacing any earlier one.
    pub async fn upsert_limit(
        &mut self,
        account: AccountId,
        limit: &NewLimit,
        now: DateTime<Utc>,
    ) -> Result<Limit, StoreError> {
        let category = limit.category.as_ref().map(Category::as_str).unwrap_or("");
        let period = limit.period.as_str();
        execute!(
            self.conn(),
            UPSERT_LIMIT,
            account.0,
            period,
            category,
            limit.money.minor_units(),
            limit.money.currency().code(),
            now,
            now,
        )?;
        let row: LimitRow = fetch!(
            self.conn(),
            fetch_one,
            LIMIT_BY_KEY,
            account.0,
            period,
            category
        )?;
        row.into_limit()
    }

    /// Removes the account's limit for (period, category); `false` when there was none.
    pub async fn delete_limit(
        &mut self,
        account: AccountId,
        period: LimitPeriod,
        category: Option<&Category>,
    ) -> Result<bool, StoreError> {
        let category = category.map(Category::as_str).unwrap_or("");
        let removed = execute!(
            self.conn(),
            DELETE_LIMIT,
            account.0,
            period.as_str(),
            category
        )?;
        Ok(removed > 0)
    }

    /// Locks a limit until the transaction ends (PostgreSQL, MySQL; SQLite's write
    /// transaction holds its single write lock already).
    pub async fn lock_limit(&mut self, limit: LimitId) -> Result<(), StoreError> {
        let _: Option<i64> = scalar!(self.conn(), fetch_optional, LOCK_LIMIT, limit.0)?;
        Ok(())
    }
}

impl LimitRow {
    pub(super) fn into_limit(self) -> Result<Limit, StoreError> {
        let currency = parse_currency(&self.currency)?;
        Ok(Limit {
            id: LimitId(self.id),
            account_id: AccountId(self.account_id),
            money: Money::from_minor(self.amount_minor, currency),
            period: LimitPeriod::parse(&self.period)
                .ok_or_else(|| StoreError::other(format!("limit {}: unknown period", self.id)))?,
            category: if self.category.is_empty() {
                None
            } else {
                Category::parse(&self.category)
            },
        })
    }
}
