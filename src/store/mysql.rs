//! The MySQL / MariaDB statements of every store operation: `LAST_INSERT_ID()` for new ids
//! (MySQL 8 has no `RETURNING`), positional `?` parameters bound once per use, row locks where
//! a read decides a write. Only bound parameters, never string-built SQL.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Connection;
use sqlx::MySqlConnection as Conn;

use super::AccountSetting;
use super::rows::{
    AccountRow, AlertRow, EmailAddressRow, EmailCodeRow, EntryQueryParams, EntryRow,
    EntryValuesParams, IdentityRow, LimitRow, LinkCodeRow, MemberRow, NewEntryParams, PendingRow,
    TotalRow,
};

type Result<T> = std::result::Result<T, sqlx::Error>;

/// The columns of [`EntryRow`], as a literal so that statements stay `&'static str`.
/// Columns with a binary collation (`utf8mb4_bin`) are cast back to text: sqlx decodes them as
/// bytes otherwise.
macro_rules! entry_columns {
    () => {
        "id, account_id, kind, amount_minor, currency, CAST(category AS CHAR) AS category, \
         note, occurred_on, recorded_at, recorded_by"
    };
}

pub async fn ping(c: &mut Conn) -> Result<()> {
    sqlx::query("SELECT 1").execute(c).await.map(drop)
}

pub async fn member(c: &mut Conn, platform: &str, external_id: &str) -> Result<Option<MemberRow>> {
    sqlx::query_as(
        "SELECT i.id AS identity_id, i.unreachable, \
           a.id AS account_id, a.currency, a.timezone, a.language \
         FROM identities i JOIN accounts a ON a.id = i.account_id \
         WHERE i.platform = ? AND i.external_id = ?",
    )
    .bind(platform)
    .bind(external_id)
    .fetch_optional(c)
    .await
}

pub async fn account(c: &mut Conn, id: i64) -> Result<Option<AccountRow>> {
    sqlx::query_as("SELECT id, currency, timezone, language FROM accounts WHERE id = ?")
        .bind(id)
        .fetch_optional(c)
        .await
}

pub async fn insert_account(
    c: &mut Conn,
    currency: &str,
    timezone: &str,
    language: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let done = sqlx::query(
        "INSERT INTO accounts (currency, timezone, language, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(currency)
    .bind(timezone)
    .bind(language)
    .bind(now)
    .execute(c)
    .await?;
    Ok(i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX))
}

pub async fn insert_identity(
    c: &mut Conn,
    platform: &str,
    external_id: &str,
    display_name: Option<&str>,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let done = sqlx::query(
        "INSERT INTO identities (platform, external_id, display_name, account_id, created_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(platform)
    .bind(external_id)
    .bind(display_name)
    .bind(account_id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX))
}

pub async fn claim_event(
    c: &mut Conn,
    key: &str,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    // Not `ON DUPLICATE KEY UPDATE` (it reports one found row either way with the found-rows
    // flag sqlx sets) and not `INSERT IGNORE` (it would hide other errors too): a duplicate key
    // fails only this statement, not the transaction.
    let done = sqlx::query(
        "INSERT INTO inbound_events (event_key, account_id, created_at) VALUES (?, ?, ?)",
    )
    .bind(key)
    .bind(account_id)
    .bind(now)
    .execute(c)
    .await;
    match done {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn insert_entry(c: &mut Conn, e: &NewEntryParams<'_>) -> Result<i64> {
    let done = sqlx::query(
        "INSERT INTO entries (account_id, kind, amount_minor, currency, category, note, \
         occurred_on, recorded_at, recorded_by, source_message) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.account_id)
    .bind(e.kind)
    .bind(e.amount_minor)
    .bind(e.currency)
    .bind(e.category)
    .bind(e.note)
    .bind(e.occurred_on)
    .bind(e.recorded_at)
    .bind(e.recorded_by)
    .bind(e.source_message)
    .execute(c)
    .await?;
    Ok(i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX))
}

pub async fn entry(c: &mut Conn, account_id: i64, id: i64) -> Result<Option<EntryRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM entries WHERE account_id = ? AND id = ?"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(c)
    .await
}

pub async fn latest_entry(c: &mut Conn, account_id: i64) -> Result<Option<EntryRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM entries WHERE account_id = ? ORDER BY id DESC LIMIT 1"
    ))
    .bind(account_id)
    .fetch_optional(c)
    .await
}

pub async fn delete_entry(c: &mut Conn, account_id: i64, id: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM entries WHERE account_id = ? AND id = ?")
        .bind(account_id)
        .bind(id)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

/// The account's entries recorded from one platform message, oldest first, locked until the
/// transaction ends so that two edits of one message serialise.
pub async fn entries_from_message(
    c: &mut Conn,
    account_id: i64,
    message: &str,
) -> Result<Vec<EntryRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM entries WHERE account_id = ? AND source_message = ? ORDER BY id FOR UPDATE"
    ))
    .bind(account_id)
    .bind(message)
    .fetch_all(c)
    .await
}

/// Replaces the values of one entry of the account, keeping its id, source and recording.
pub async fn update_entry(
    c: &mut Conn,
    account_id: i64,
    id: i64,
    v: &EntryValuesParams<'_>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE entries SET kind = ?, amount_minor = ?, currency = ?, category = ?, \
         note = ?, occurred_on = ? WHERE account_id = ? AND id = ?",
    )
    .bind(v.kind)
    .bind(v.amount_minor)
    .bind(v.currency)
    .bind(v.category)
    .bind(v.note)
    .bind(v.occurred_on)
    .bind(account_id)
    .bind(id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

/// sqlx connects with the found-rows flag: an entry that already has the category counts.
pub async fn set_entry_category(
    c: &mut Conn,
    account_id: i64,
    id: i64,
    category: &str,
) -> Result<u64> {
    let done = sqlx::query("UPDATE entries SET category = ? WHERE account_id = ? AND id = ?")
        .bind(category)
        .bind(account_id)
        .bind(id)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn entries(
    c: &mut Conn,
    account_id: i64,
    q: &EntryQueryParams<'_>,
) -> Result<Vec<EntryRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM entries \
         WHERE account_id = ? AND occurred_on >= ? AND occurred_on <= ? \
           AND (? IS NULL OR category = ?) \
           AND (? IS NULL OR kind = ?) \
           AND (? IS NULL OR lower(coalesce(note, '')) LIKE ? ESCAPE '!' \
                OR lower(category) LIKE ? ESCAPE '!') \
         ORDER BY occurred_on DESC, id DESC LIMIT ? OFFSET ?"
    ))
    .bind(account_id)
    .bind(q.from)
    .bind(q.to)
    .bind(q.category)
    .bind(q.category)
    .bind(q.kind)
    .bind(q.kind)
    .bind(q.pattern.as_deref())
    .bind(q.pattern.as_deref())
    .bind(q.pattern.as_deref())
    .bind(q.limit)
    .bind(q.offset)
    .fetch_all(c)
    .await
}

pub async fn totals(
    c: &mut Conn,
    account_id: i64,
    from: NaiveDate,
    to: NaiveDate,
    category: Option<&str>,
) -> Result<Vec<TotalRow>> {
    sqlx::query_as(
        "SELECT kind, CAST(category AS CHAR) AS category, currency, \
           CAST(SUM(amount_minor) AS SIGNED) AS total_minor, COUNT(*) AS count \
         FROM entries \
         WHERE account_id = ? AND occurred_on >= ? AND occurred_on <= ? \
           AND (? IS NULL OR category = ?) \
         GROUP BY kind, entries.category, currency",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(category)
    .bind(category)
    .fetch_all(c)
    .await
}

pub async fn spent(
    c: &mut Conn,
    account_id: i64,
    currency: &str,
    category: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS SIGNED) FROM entries \
         WHERE account_id = ? AND occurred_on >= ? AND occurred_on <= ? \
           AND kind = 'expense' AND currency = ? AND (? IS NULL OR category = ?)",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(currency)
    .bind(category)
    .bind(category)
    .fetch_one(c)
    .await
}

pub async fn used_categories(c: &mut Conn, account_id: i64) -> Result<Vec<String>> {
    sqlx::query_scalar("SELECT DISTINCT CAST(category AS CHAR) AS category FROM entries WHERE account_id = ? ORDER BY category")
        .bind(account_id)
        .fetch_all(c)
        .await
}

pub async fn limits(c: &mut Conn, account_id: i64) -> Result<Vec<LimitRow>> {
    sqlx::query_as(
        "SELECT id, account_id, period, CAST(category AS CHAR) AS category, amount_minor, currency \
         FROM spending_limits WHERE account_id = ? ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(c)
    .await
}

pub async fn upsert_limit(
    c: &mut Conn,
    account_id: i64,
    period: &str,
    category: &str,
    amount_minor: i64,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<LimitRow> {
    // VALUES(col) rather than a row alias: MariaDB knows only the former.
    sqlx::query(
        "INSERT INTO spending_limits \
           (account_id, period, category, amount_minor, currency, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON DUPLICATE KEY UPDATE \
           amount_minor = VALUES(amount_minor), currency = VALUES(currency), \
           updated_at = VALUES(updated_at)",
    )
    .bind(account_id)
    .bind(period)
    .bind(category)
    .bind(amount_minor)
    .bind(currency)
    .bind(now)
    .bind(now)
    .execute(&mut *c)
    .await?;
    sqlx::query_as(
        "SELECT id, account_id, period, CAST(category AS CHAR) AS category, amount_minor, currency \
         FROM spending_limits WHERE account_id = ? AND period = ? AND category = ?",
    )
    .bind(account_id)
    .bind(period)
    .bind(category)
    .fetch_one(c)
    .await
}

pub async fn delete_limit(
    c: &mut Conn,
    account_id: i64,
    period: &str,
    category: &str,
) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM spending_limits WHERE account_id = ? AND period = ? AND category = ?",
    )
    .bind(account_id)
    .bind(period)
    .bind(category)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn update_account(
    c: &mut Conn,
    account_id: i64,
    setting: AccountSetting<'_>,
) -> Result<u64> {
    let query = match setting {
        AccountSetting::Currency(currency) => {
            sqlx::query("UPDATE accounts SET currency = ? WHERE id = ?")
                .bind(currency.code().to_owned())
        }
        AccountSetting::Timezone(tz) => {
            sqlx::query("UPDATE accounts SET timezone = ? WHERE id = ?").bind(tz.name())
        }
        AccountSetting::Language(language) => {
            sqlx::query("UPDATE accounts SET language = ? WHERE id = ?").bind(language.to_owned())
        }
    };
    Ok(query.bind(account_id).execute(c).await?.rows_affected())
}

pub async fn insert_link_code(
    c: &mut Conn,
    code: &str,
    account_id: i64,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO link_codes (code, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
    )
    .bind(code)
    .bind(account_id)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await
    .map(drop)
}

/// Locks the row so that two redemptions of one code serialise and the second sees it used.
pub async fn link_code_for_update(c: &mut Conn, code: &str) -> Result<Option<LinkCodeRow>> {
    sqlx::query_as(
        "SELECT CAST(code AS CHAR) AS code, account_id, expires_at, used_at \
         FROM link_codes WHERE code = ? FOR UPDATE",
    )
    .bind(code)
    .fetch_optional(c)
    .await
}

pub async fn mark_link_code_used(
    c: &mut Conn,
    code: &str,
    by: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE link_codes SET used_at = ?, used_by = ? WHERE code = ?")
        .bind(now)
        .bind(by)
        .bind(code)
        .execute(c)
        .await
        .map(drop)
}

pub async fn move_identity(c: &mut Conn, identity_id: i64, account_id: i64) -> Result<()> {
    sqlx::query("UPDATE identities SET account_id = ? WHERE id = ?")
        .bind(account_id)
        .bind(identity_id)
        .execute(c)
        .await
        .map(drop)
}

pub async fn count_identities(c: &mut Conn, account_id: i64) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM identities WHERE account_id = ?")
        .bind(account_id)
        .fetch_one(c)
        .await
}

pub async fn move_entries(c: &mut Conn, from: i64, to: i64) -> Result<u64> {
    let done = sqlx::query("UPDATE entries SET account_id = ? WHERE account_id = ?")
        .bind(to)
        .bind(from)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete_account(c: &mut Conn, account_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM accounts WHERE id = ?")
        .bind(account_id)
        .execute(c)
        .await
        .map(drop)
}

pub async fn set_unreachable(
    c: &mut Conn,
    platform: &str,
    external_id: &str,
    unreachable: bool,
) -> Result<u64> {
    let done =
        sqlx::query("UPDATE identities SET unreachable = ? WHERE platform = ? AND external_id = ?")
            .bind(unreachable)
            .bind(platform)
            .bind(external_id)
            .execute(c)
            .await?;
    Ok(done.rows_affected())
}

pub async fn unreachable(c: &mut Conn, platform: &str, external_id: &str) -> Result<Option<bool>> {
    sqlx::query_scalar("SELECT unreachable FROM identities WHERE platform = ? AND external_id = ?")
        .bind(platform)
        .bind(external_id)
        .fetch_optional(c)
        .await
}

pub async fn set_pending(
    c: &mut Conn,
    identity_id: i64,
    payload: &str,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO pending_states (identity_id, payload, expires_at) VALUES (?, ?, ?) \
         ON DUPLICATE KEY UPDATE payload = VALUES(payload), expires_at = VALUES(expires_at)",
    )
    .bind(identity_id)
    .bind(payload)
    .bind(expires_at)
    .execute(c)
    .await
    .map(drop)
}

/// MySQL 8 has no `DELETE … RETURNING`: read under a row lock, then delete, in one transaction
/// (a savepoint when the connection is already in one).
pub async fn take_pending(c: &mut Conn, identity_id: i64) -> Result<Option<PendingRow>> {
    let mut tx = c.begin().await?;
    let row: Option<PendingRow> = sqlx::query_as(
        "SELECT payload, expires_at FROM pending_states WHERE identity_id = ? FOR UPDATE",
    )
    .bind(identity_id)
    .fetch_optional(&mut *tx)
    .await?;
    if row.is_some() {
        sqlx::query("DELETE FROM pending_states WHERE identity_id = ?")
            .bind(identity_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// Locks the limit until the transaction ends, so that recordings counting towards it
/// serialise and each reads the sums the one before committed.
pub async fn lock_limit(c: &mut Conn, limit_id: i64) -> Result<()> {
    sqlx::query("SELECT id FROM spending_limits WHERE id = ? FOR UPDATE")
        .bind(limit_id)
        .fetch_optional(c)
        .await
        .map(drop)
}

pub async fn insert_limit_alert(
    c: &mut Conn,
    account_id: i64,
    limit_id: i64,
    period_from: NaiveDate,
    threshold: i16,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "INSERT IGNORE INTO outbox (account_id, kind, limit_id, period_from, threshold, status, \
           attempts, next_attempt_at, created_at) \
         VALUES (?, 'limit', ?, ?, ?, 'pending', 0, ?, ?)",
    )
    .bind(account_id)
    .bind(limit_id)
    .bind(period_from)
    .bind(threshold)
    .bind(now)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn insert_outbox_message(
    c: &mut Conn,
    account_id: i64,
    kind: &str,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let done = sqlx::query(
        "INSERT INTO outbox (account_id, kind, payload, status, attempts, next_attempt_at, \
           created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)",
    )
    .bind(account_id)
    .bind(kind)
    .bind(payload)
    .bind(now)
    .bind(now)
    .execute(c)
    .await?;
    Ok(i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX))
}

/// Due alerts: pending ones whose time has come, and claims older than `stale_before`, locked
/// until the transaction ends; rows another claimer holds are skipped, so concurrent claimers
/// never get the same alert.
pub async fn due_alerts(
    c: &mut Conn,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
    max: i64,
) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM outbox \
         WHERE (status = 'pending' AND next_attempt_at <= ?) \
            OR (status = 'sending' AND claimed_at < ?) \
         ORDER BY next_attempt_at, id LIMIT ? FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(stale_before)
    .bind(max)
    .fetch_all(c)
    .await
}

pub async fn mark_alert_claimed(
    c: &mut Conn,
    id: i64,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ?, \
           attempts = attempts + 1 WHERE id = ?",
    )
    .bind(worker)
    .bind(now)
    .bind(id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn alert(c: &mut Conn, id: i64) -> Result<Option<AlertRow>> {
    sqlx::query_as(
        "SELECT o.id, o.account_id, a.currency, a.timezone, a.language, o.kind, o.limit_id, \
           l.period AS l_period, CAST(l.category AS CHAR) AS l_category, \
           l.amount_minor AS l_amount_minor, l.currency AS l_currency, o.period_from, \
           o.threshold, o.payload, o.attempts \
         FROM outbox o JOIN accounts a ON a.id = o.account_id \
           LEFT JOIN spending_limits l ON l.id = o.limit_id \
         WHERE o.id = ?",
    )
    .bind(id)
    .fetch_optional(c)
    .await
}

pub async fn alert_sent(c: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
    )
    .bind(now)
    .bind(id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

/// Back to pending at `retry_at`, or failed for good without it; never undoes a sent alert.
pub async fn alert_failed(
    c: &mut Conn,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END, \
           next_attempt_at = COALESCE(?, next_attempt_at), last_error = ? \
         WHERE id = ? AND status <> 'sent'",
    )
    .bind(retry_at)
    .bind(retry_at)
    .bind(error)
    .bind(id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn reachable_identities(c: &mut Conn, account_id: i64) -> Result<Vec<IdentityRow>> {
    sqlx::query_as(
        "SELECT CAST(platform AS CHAR) AS platform, CAST(external_id AS CHAR) AS external_id \
         FROM identities WHERE account_id = ? AND unreachable = FALSE ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(c)
    .await
}

pub async fn alert_email(c: &mut Conn, account_id: i64) -> Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT email FROM email_addresses \
         WHERE account_id = ? AND verified_at IS NOT NULL AND alerts_on = TRUE",
    )
    .bind(account_id)
    .fetch_optional(c)
    .await
}

pub async fn email_address(c: &mut Conn, account_id: i64) -> Result<Option<EmailAddressRow>> {
    sqlx::query_as("SELECT email, verified_at, alerts_on FROM email_addresses WHERE account_id = ?")
        .bind(account_id)
        .fetch_optional(c)
        .await
}

pub async fn email_off(c: &mut Conn, account_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE email_addresses SET alerts_on = FALSE WHERE account_id = ? AND alerts_on = TRUE",
    )
    .bind(account_id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

/// Locks the account until the transaction ends (serialises its email codes).
pub async fn lock_account(c: &mut Conn, account_id: i64) -> Result<()> {
    sqlx::query("SELECT id FROM accounts WHERE id = ? FOR UPDATE")
        .bind(account_id)
        .fetch_optional(c)
        .await
        .map(drop)
}

pub async fn count_email_codes_since(
    c: &mut Conn,
    account_id: i64,
    since: DateTime<Utc>,
) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM email_codes WHERE account_id = ? AND created_at > ?")
        .bind(account_id)
        .bind(since)
        .fetch_one(c)
        .await
}

pub async fn insert_email_code(
    c: &mut Conn,
    account_id: i64,
    email: &str,
    code: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_codes (account_id, email, code, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(account_id)
    .bind(email)
    .bind(code)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await
    .map(drop)
}

/// Stores the address; a different address than before starts unverified, with alerts off.
/// MySQL applies the assignments left to right, so `email` changes last.
pub async fn upsert_email_address(c: &mut Conn, account_id: i64, email: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_addresses (account_id, email, verified_at, alerts_on) \
         VALUES (?, ?, NULL, FALSE) \
         ON DUPLICATE KEY UPDATE \
           verified_at = IF(email = VALUES(email), verified_at, NULL), \
           alerts_on = IF(email = VALUES(email), alerts_on, FALSE), \
           email = VALUES(email)",
    )
    .bind(account_id)
    .bind(email)
    .execute(c)
    .await
    .map(drop)
}

/// The newest unused, unexpired code of the account, locked until the transaction ends.
pub async fn newest_email_code(
    c: &mut Conn,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<EmailCodeRow>> {
    sqlx::query_as(
        "SELECT id, email, code, expires_at, used_at FROM email_codes \
         WHERE account_id = ? AND used_at IS NULL AND expires_at > ? \
         ORDER BY id DESC LIMIT 1 FOR UPDATE",
    )
    .bind(account_id)
    .bind(now)
    .fetch_optional(c)
    .await
}

pub async fn mark_email_code_used(c: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE email_codes SET used_at = ? WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(c)
        .await
        .map(drop)
}

pub async fn verify_email_address(
    c: &mut Conn,
    account_id: i64,
    email: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_addresses (account_id, email, verified_at, alerts_on) \
         VALUES (?, ?, ?, TRUE) \
         ON DUPLICATE KEY UPDATE \
           email = VALUES(email), verified_at = VALUES(verified_at), alerts_on = TRUE",
    )
    .bind(account_id)
    .bind(email)
    .bind(now)
    .execute(c)
    .await
    .map(drop)
}
