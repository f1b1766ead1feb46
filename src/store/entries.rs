//! Entries, one at a time and as lists: inserting, reading, listing with a filter, editing,
//! recategorising, deleting, the entries of one platform message, the categories in use, and
//! moving an account's entries into another when two are linked. Every statement is scoped
//! by the account it is given; it never decides who may see or change an entry (the ledger
//! does).

use chrono::{DateTime, NaiveDate, Utc};

use super::rows::{EntryRow, parse_currency};
use super::sql::{Conn, Sql, as_text, execute, fetch, insert_id, scalar, sql};
use super::{Store, StoreError, Tx};
use crate::domain::{
    AccountId, Category, DateRange, Entry, EntryId, EntryKind, IdentityId, Money, NewEntry, Note,
};

/// What to list: every field narrows the result.
#[derive(Debug, Clone)]
pub struct EntryFilter<'a> {
    pub range: Option<DateRange>,
    pub category: Option<&'a Category>,
    pub kind: Option<EntryKind>,
    /// Substring of note or category, any case.
    pub text: Option<&'a str>,
    pub limit: u32,
    pub offset: u32,
}

/// The columns of [`EntryRow`].
macro_rules! entry_columns {
    ($($engine:ident)?) => {
        concat!(
            "id, account_id, kind, amount_minor, currency, ",
            as_text!("category" $(, $engine)?),
            ", note, occurred_on, recorded_at, recorded_by"
        )
    };
}

/// The account's categories, each once.
macro_rules! category_column {
    ($($engine:ident)?) => {
        concat!("DISTINCT ", as_text!("category" $(, $engine)?))
    };
}

const INSERT_ENTRY: Sql = sql!(returning_id:
    "INSERT INTO entries (account_id, kind, amount_minor, currency, category, note, \
     occurred_on, recorded_at, recorded_by, source_message) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
);
const ENTRY: Sql = sql!(columns: entry_columns, "FROM entries WHERE account_id = ? AND id = ?");
const LATEST_ENTRY: Sql = sql!(columns: entry_columns,
    "FROM entries WHERE account_id = ? ORDER BY id DESC LIMIT 1"
);
/// Locked on PostgreSQL and MySQL so that two edits of one message serialise; SQLite's write
/// transaction holds the whole database already.
const ENTRIES_FROM_MESSAGE: Sql = sql!(columns: entry_columns,
    "FROM entries WHERE account_id = ? AND source_message = ? ORDER BY id",
    for_update
);
/// [`ENTRIES_FROM_MESSAGE`] without the lock, for reading.
const RECORDED_FROM_MESSAGE: Sql = sql!(columns: entry_columns,
    "FROM entries WHERE account_id = ? AND source_message = ? ORDER BY id"
);
/// The date range is always bound (the whole of time when the filter names none) so that
/// every engine uses the (account, day) index.
const ENTRIES: Sql = sql!(columns: entry_columns,
    "FROM entries \
     WHERE account_id = ? AND occurred_on >= ? AND occurred_on <= ? \
       AND (? IS NULL OR category = ?) \
       AND (? IS NULL OR kind = ?) \
       AND (? IS NULL OR lower(coalesce(note, '')) LIKE ? ESCAPE '!' \
            OR lower(category) LIKE ? ESCAPE '!') \
     ORDER BY occurred_on DESC, id DESC LIMIT ? OFFSET ?"
);
const UPDATE_ENTRY: Sql = sql!(
    "UPDATE entries SET kind = ?, amount_minor = ?, currency = ?, category = ?, note = ?, \
     occurred_on = ? WHERE account_id = ? AND id = ?"
);
/// MySQL counts an entry that already has the category as changed (sqlx connects with the
/// found-rows flag), like the others.
const SET_ENTRY_CATEGORY: Sql =
    sql!("UPDATE entries SET category = ? WHERE account_id = ? AND id = ?");
const DELETE_ENTRY: Sql = sql!("DELETE FROM entries WHERE account_id = ? AND id = ?");
const MOVE_ENTRIES: Sql = sql!("UPDATE entries SET account_id = ? WHERE account_id = ?");
const USED_CATEGORIES: Sql = sql!(columns: category_column,
    "FROM entries WHERE account_id = ? ORDER BY category"
);

impl Store {
    /// One entry of the account; `None` when the account has no such entry.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn entry(
        &self,
        account: AccountId,
        id: EntryId,
    ) -> Result<Option<Entry>, StoreError> {
        entry(self.reader().await?.conn(), account, id).await
    }

    /// Entries newest first (day, then id), filtered.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn entries(
        &self,
        account: AccountId,
        filter: &EntryFilter<'_>,
    ) -> Result<Vec<Entry>, StoreError> {
        let range = filter.range.unwrap_or_else(whole_time);
        let category = filter.category.map(Category::as_str);
        let kind = filter.kind.map(EntryKind::as_str);
        let text = filter.text.map(str::trim).filter(|t| !t.is_empty());
        let pattern = text.map(|t| format!("%{}%", like_escape(&t.to_lowercase())));
        // Exports and imports read whole periods; a list asks for a page.
        let limit = i64::from(if filter.limit == 0 { 50 } else { filter.limit });
        let rows: Vec<EntryRow> = fetch!(
            self.reader().await?.conn(),
            fetch_all,
            ENTRIES,
            account.0,
            range.from,
            range.to,
            category,
            category,
            kind,
            kind,
            pattern.as_deref(),
            pattern.as_deref(),
            pattern.as_deref(),
            limit,
            i64::from(filter.offset),
        )?;
        rows.into_iter().map(EntryRow::into_entry).collect()
    }

    /// The categories the account's entries use.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn used_categories(&self, account: AccountId) -> Result<Vec<Category>, StoreError> {
        let names: Vec<String> = scalar!(
            self.reader().await?.conn(),
            fetch_all,
            USED_CATEGORIES,
            account.0
        )?;
        Ok(names.iter().filter_map(|n| Category::parse(n)).collect())
    }

    /// PostgreSQL's `EXPLAIN (ANALYZE, FORMAT JSON)` of the first page of `list` (`limit`
    /// entries, no filter) for `account`, run through this store's pool as the service runs
    /// it; `None` on other engines. For the plan test: a page must cost a page, not a scan of
    /// the account's history.
    #[doc(hidden)]
    pub async fn explain_list_page(
        &self,
        account: AccountId,
        limit: i64,
    ) -> Result<Option<String>, StoreError> {
        const EXPLAIN: &str = "EXPLAIN (ANALYZE, FORMAT JSON) ";
        let Store::Postgres(pool) = self else {
            return Ok(None);
        };
        let text = format!("{EXPLAIN}{}", ENTRIES.postgres);
        let none: Option<&str> = None;
        let range = whole_time();
        let plan: serde_json::Value = sqlx::query_scalar(&text)
            .bind(account.0)
            .bind(range.from)
            .bind(range.to)
            .bind(none)
            .bind(none)
            .bind(none)
            .bind(none)
            .bind(none)
            .bind(none)
            .bind(none)
            .bind(limit)
            .bind(0_i64)
            .fetch_one(pool)
            .await?;
        Ok(Some(plan.to_string()))
    }

    /// The account's entries recorded from one platform message, oldest first, as they stand.
    pub async fn recorded_from_message(
        &self,
        account: AccountId,
        message: &str,
    ) -> Result<Vec<Entry>, StoreError> {
        let rows: Vec<EntryRow> = fetch!(
            self.reader().await?.conn(),
            fetch_all,
            RECORDED_FROM_MESSAGE,
            account.0,
            message
        )?;
        rows.into_iter().map(EntryRow::into_entry).collect()
    }
}

impl Tx {
    /// Records one entry and returns it.
    pub async fn insert_entry(
        &mut self,
        account: AccountId,
        by: Option<IdentityId>,
        entry: &NewEntry,
        source_message: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Entry, StoreError> {
        let id = insert_id!(
            self.conn(),
            INSERT_ENTRY,
            account.0,
            entry.kind.as_str(),
            entry.money.minor_units(),
            entry.money.currency().code(),
            entry.category.as_str(),
            entry.note.as_ref().map(Note::as_str),
            entry.occurred_on,
            now,
            by.map(|i| i.0),
            source_message,
        )?;
        Ok(stored_entry(entry, EntryId(id), account, by, now))
    }

    /// One entry of the account.
    pub async fn entry(
        &mut self,
        account: AccountId,
        id: EntryId,
    ) -> Result<Option<Entry>, StoreError> {
        entry(self.conn(), account, id).await
    }

    /// The account's most recently recorded entry.
    pub async fn latest_entry(&mut self, account: AccountId) -> Result<Option<Entry>, StoreError> {
        let row: Option<EntryRow> = fetch!(self.conn(), fetch_optional, LATEST_ENTRY, account.0)?;
        row.map(EntryRow::into_entry).transpose()
    }

    /// The account's entries recorded from one platform message, oldest first; on PostgreSQL
    /// and MySQL locked until the transaction ends (SQLite's write transaction holds the lock).
    pub async fn entries_from_message(
        &mut self,
        account: AccountId,
        message: &str,
    ) -> Result<Vec<Entry>, StoreError> {
        let rows: Vec<EntryRow> = fetch!(
            self.conn(),
            fetch_all,
            ENTRIES_FROM_MESSAGE,
            account.0,
            message
        )?;
        rows.into_iter().map(EntryRow::into_entry).collect()
    }

    /// Replaces kind, amount, category, note and day of one entry of the account, keeping its
    /// id, source message and when and by whom it was recorded; `false` when there is none.
    pub async fn update_entry(
        &mut self,
        account: AccountId,
        id: EntryId,
        entry: &NewEntry,
    ) -> Result<bool, StoreError> {
        let changed = execute!(
            self.conn(),
            UPDATE_ENTRY,
            entry.kind.as_str(),
            entry.money.minor_units(),
            entry.money.currency().code(),
            entry.category.as_str(),
            entry.note.as_ref().map(Note::as_str),
            entry.occurred_on,
            account.0,
            id.0,
        )?;
        Ok(changed > 0)
    }

    /// Changes the category of one entry of the account; `false` when there is none.
    pub async fn set_entry_category(
        &mut self,
        account: AccountId,
        id: EntryId,
        category: &Category,
    ) -> Result<bool, StoreError> {
        let category = category.as_str();
        Ok(execute!(self.conn(), SET_ENTRY_CATEGORY, category, account.0, id.0)? > 0)
    }

    /// Deletes one entry of the account; `false` when there was none.
    pub async fn delete_entry(
        &mut self,
        account: AccountId,
        id: EntryId,
    ) -> Result<bool, StoreError> {
        Ok(execute!(self.conn(), DELETE_ENTRY, account.0, id.0)? > 0)
    }

    /// Moves every entry of one account into another; returns how many moved.
    pub async fn move_entries(
        &mut self,
        from: AccountId,
        to: AccountId,
    ) -> Result<u64, StoreError> {
        Ok(execute!(self.conn(), MOVE_ENTRIES, to.0, from.0)?)
    }
}

async fn entry(c: Conn<'_>, account: AccountId, id: EntryId) -> Result<Option<Entry>, StoreError> {
    let row: Option<EntryRow> = fetch!(c, fetch_optional, ENTRY, account.0, id.0)?;
    row.map(EntryRow::into_entry).transpose()
}

/// A new entry as stored under `id`.
pub(super) fn stored_entry(
    entry: &NewEntry,
    id: EntryId,
    account: AccountId,
    by: Option<IdentityId>,
    now: DateTime<Utc>,
) -> Entry {
    Entry {
        id,
        account_id: account,
        kind: entry.kind,
        money: entry.money,
        category: entry.category.clone(),
        note: entry.note.clone(),
        occurred_on: entry.occurred_on,
        recorded_at: now,
        recorded_by: by,
    }
}

impl EntryRow {
    fn into_entry(self) -> Result<Entry, StoreError> {
        let currency = parse_currency(&self.currency)?;
        Ok(Entry {
            id: EntryId(self.id),
            account_id: AccountId(self.account_id),
            kind: EntryKind::parse(&self.kind)
                .ok_or_else(|| StoreError::other(format!("entry {}: unknown kind", self.id)))?,
            money: Money::from_minor(self.amount_minor, currency),
            category: Category::parse(&self.category).unwrap_or_else(Category::other),
            note: self.note.as_deref().and_then(Note::new),
            occurred_on: self.occurred_on,
            recorded_at: self.recorded_at,
            recorded_by: self.recorded_by.map(IdentityId),
        })
    }
}

/// The days the store filters by when a query names no range: the range every engine's DATE
/// type holds (and that SQLite's text dates compare correctly within).
fn whole_time() -> DateRange {
    let from = NaiveDate::from_ymd_opt(1000, 1, 1).unwrap_or(NaiveDate::MIN);
    let to = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    DateRange { from, to }
}

/// Escapes `%`, `_` and the escape character `!` for a `LIKE … ESCAPE '!'` pattern.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_escape("50%_off!"), "50!%!_off!!");
        assert_eq!(like_escape("café ☕"), "café ☕");
    }
}
