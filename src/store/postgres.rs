//! The PostgreSQL statements of every store operation: `RETURNING` for new ids, typed
//! parameters where a NULL needs a type, row locks where a read decides a write. Only bound
//! parameters, never string-built SQL.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection as Conn;

use super::AccountSetting;
use super::rows::{
    AccountRow, AlertRow, EmailAddressRow, EmailCodeRow, EntryQueryParams, EntryRow,
    EntryValuesParams, IdentityRow, LimitRow, LinkCodeRow, MemberRow, NewEntryParams, PendingRow,
    TotalRow,
};

type Result<T> = std::result::Result<T, sqlx::Error>;

/// The columns of [`EntryRow`], as a literal so that statements stay `&'static str`.
macro_rules! entry_columns {
    () => {
        "id, account_id, kind, amount_minor, currency, category, note, occurred_on, \
         recorded_at, recorded_by"
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
         WHERE i.platform = $1 AND i.external_id = $2",
    )
    .bind(platform)
    .bind(external_id)
    .fetch_optional(c)
    .await
}

pub async fn account(c: &mut Conn, id: i64) -> Result<Option<AccountRow>> {
    sqlx::query_as("SELECT id, currency, timezone, language FROM accounts WHERE id = $1")
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
    sqlx::query_scalar(
        "INSERT INTO accounts (currency, timezone, language, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(currency)
    .bind(timezone)
    .bind(language)
    .bind(now)
    .fetch_one(c)
    .await
}

pub async fn insert_identity(
    c: &mut Conn,
    platform: &str,
    external_id: &str,
    display_name: Option<&str>,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO identities (platform, external_id, display_name, account_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(platform)
    .bind(external_id)
    .bind(display_name)
    .bind(account_id)
    .bind(now)
    .fetch_one(c)
    .await
}

pub async fn claim_event(
    c: &mut Conn,
    key: &str,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO inbound_events (event_key, account_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (event_key) DO NOTHING",
    )
    .bind(key)
    .bind(account_id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_entry(c: &mut Conn, e: &NewEntryParams<'_>) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO entries (account_id, kind, amount_minor, currency, category, note, \
         occurred_on, recorded_at, recorded_by, source_message) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
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
    .fetch_one(c)
    .await
}

pub async fn entry(c: &mut Conn, account_id: i64, id: i64) -> Result<Option<EntryRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM entries WHERE account_id = $1 AND id = $2"
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
        " FROM entries WHERE account_id = $1 ORDER BY id DESC LIMIT 1"
    ))
    .bind(account_id)
    .fetch_optional(c)
    .await
}

pub async fn delete_entry(c: &mut Conn, account_id: i64, id: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM entries WHERE account_id = $1 AND id = $2")
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
        " FROM entries WHERE account_id = $1 AND source_message = $2 ORDER BY id FOR UPDATE"
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
        "UPDATE entries SET kind = $1, amount_minor = $2, currency = $3, category = $4, \
         note = $5, occurred_on = $6 WHERE account_id = $7 AND id = $8",
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

pub async fn set_entry_category(
    c: &mut Conn,
    account_id: i64,
    id: i64,
    category: &str,
) -> Result<u64> {
    let done = sqlx::query("UPDATE entries SET category = $1 WHERE account_id = $2 AND id = $3")
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
         WHERE account_id = $1 AND occurred_on >= $2 AND occurred_on <= $3 \
           AND ($4::TEXT IS NULL OR category = $4) \
           AND ($5::TEXT IS NULL OR kind = $5) \
           AND ($6::TEXT IS NULL OR note ILIKE $6 ESCAPE '!' OR category ILIKE $6 ESCAPE '!') \
         ORDER BY occurred_on DESC, id DESC LIMIT $7 OFFSET $8"
    ))
    .bind(account_id)
    .bind(q.from)
    .bind(q.to)
    .bind(q.category)
    .bind(q.kind)
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
        "SELECT kind, category, currency, SUM(amount_minor)::BIGINT AS total_minor, COUNT(*) AS count \
         FROM entries \
         WHERE account_id = $1 AND occurred_on >= $2 AND occurred_on <= $3 \
           AND ($4::TEXT IS NULL OR category = $4) \
         GROUP BY kind, category, currency",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
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
        "SELECT COALESCE(SUM(amount_minor), 0)::BIGINT FROM entries \
         WHERE account_id = $1 AND occurred_on >= $2 AND occurred_on <= $3 \
           AND kind = 'expense' AND currency = $4 AND ($5::TEXT IS NULL OR category = $5)",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(currency)
    .bind(category)
    .fetch_one(c)
    .await
}

pub async fn used_categories(c: &mut Conn, account_id: i64) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT category FROM entries WHERE account_id = $1 ORDER BY category",
    )
    .bind(account_id)
    .fetch_all(c)
    .await
}

pub async fn limits(c: &mut Conn, account_id: i64) -> Result<Vec<LimitRow>> {
    sqlx::query_as(
        "SELECT id, account_id, period, category, amount_minor, currency \
         FROM spending_limits WHERE account_id = $1 ORDER BY id",
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
    sqlx::query_as(
        "INSERT INTO spending_limits \
           (account_id, period, category, amount_minor, currency, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (account_id, period, category) DO UPDATE SET \
           amount_minor = excluded.amount_minor, currency = excluded.currency, \
           updated_at = excluded.updated_at \
         RETURNING id, account_id, period, category, amount_minor, currency",
    )
    .bind(account_id)
    .bind(period)
    .bind(category)
    .bind(amount_minor)
    .bind(currency)
    .bind(now)
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
        "DELETE FROM spending_limits WHERE account_id = $1 AND period = $2 AND category = $3",
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
            sqlx::query("UPDATE accounts SET currency = $1 WHERE id = $2")
                .bind(currency.code().to_owned())
        }
        AccountSetting::Timezone(tz) => {
            sqlx::query("UPDATE accounts SET timezone = $1 WHERE id = $2").bind(tz.name())
        }
        AccountSetting::Language(language) => {
            sqlx::query("UPDATE accounts SET language = $1 WHERE id = $2").bind(language.to_owned())
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
        "INSERT INTO link_codes (code, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
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
        "SELECT code, account_id, expires_at, used_at FROM link_codes WHERE code = $1 FOR UPDATE",
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
    sqlx::query("UPDATE link_codes SET used_at = $1, used_by = $2 WHERE code = $3")
        .bind(now)
        .bind(by)
        .bind(code)
        .execute(c)
        .await
        .map(drop)
}

pub async fn move_identity(c: &mut Conn, identity_id: i64, account_id: i64) -> Result<()> {
    sqlx::query("UPDATE identities SET account_id = $1 WHERE id = $2")
        .bind(account_id)
        .bind(identity_id)
        .execute(c)
        .await
        .map(drop)
}

pub async fn count_identities(c: &mut Conn, account_id: i64) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM identities WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(c)
        .await
}

pub async fn move_entries(c: &mut Conn, from: i64, to: i64) -> Result<u64> {
    let done = sqlx::query("UPDATE entries SET account_id = $1 WHERE account_id = $2")
        .bind(to)
        .bind(from)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete_account(c: &mut Conn, account_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM accounts WHERE id = $1")
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
    let done = sqlx::query(
        "UPDATE identities SET unreachable = $1 WHERE platform = $2 AND external_id = $3",
    )
    .bind(unreachable)
    .bind(platform)
    .bind(external_id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn unreachable(c: &mut Conn, platform: &str, external_id: &str) -> Result<Option<bool>> {
    sqlx::query_scalar(
        "SELECT unreachable FROM identities WHERE platform = $1 AND external_id = $2",
    )
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
        "INSERT INTO pending_states (identity_id, payload, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (identity_id) DO UPDATE SET \
           payload = excluded.payload, expires_at = excluded.expires_at",
    )
    .bind(identity_id)
    .bind(payload)
    .bind(expires_at)
    .execute(c)
    .await
    .map(drop)
}

pub async fn take_pending(c: &mut Conn, identity_id: i64) -> Result<Option<PendingRow>> {
    sqlx::query_as(
        "DELETE FROM pending_states WHERE identity_id = $1 RETURNING payload, expires_at",
    )
    .bind(identity_id)
    .fetch_optional(c)
    .await
}

/// Locks the limit until the transaction ends, so that recordings counting towards it
/// serialise and each reads the sums the one before committed.
pub async fn lock_limit(c: &mut Conn, limit_id: i64) -> Result<()> {
    sqlx::query("SELECT id FROM spending_limits WHERE id = $1 FOR UPDATE")
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
        "INSERT INTO outbox (account_id, kind, limit_id, period_from, threshold, status, \
           attempts, next_attempt_at, created_at) \
         VALUES ($1, 'limit', $2, $3, $4, 'pending', 0, $5, $5) \
         ON CONFLICT (limit_id, period_from, threshold) DO NOTHING",
    )
    .bind(account_id)
    .bind(limit_id)
    .bind(period_from)
    .bind(threshold)
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
    sqlx::query_scalar(
        "INSERT INTO outbox (account_id, kind, payload, status, attempts, next_attempt_at, \
           created_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4) RETURNING id",
    )
    .bind(account_id)
    .bind(kind)
    .bind(payload)
    .bind(now)
    .fetch_one(c)
    .await
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
         WHERE (status = 'pending' AND next_attempt_at <= $1) \
            OR (status = 'sending' AND claimed_at < $2) \
         ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED",
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
        "UPDATE outbox SET status = 'sending', claimed_by = $1, claimed_at = $2, \
           attempts = attempts + 1 WHERE id = $3",
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
           l.period AS l_period, l.category AS l_category, l.amount_minor AS l_amount_minor, \
           l.currency AS l_currency, o.period_from, o.threshold, o.payload, o.attempts \
         FROM outbox o JOIN accounts a ON a.id = o.account_id \
           LEFT JOIN spending_limits l ON l.id = o.limit_id \
         WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(c)
    .await
}

pub async fn alert_sent(c: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $1, last_error = NULL WHERE id = $2",
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
        "UPDATE outbox SET status = CASE WHEN $1::TIMESTAMPTZ IS NULL THEN 'failed' ELSE 'pending' END, \
           next_attempt_at = COALESCE($1, next_attempt_at), last_error = $2 \
         WHERE id = $3 AND status <> 'sent'",
    )
    .bind(retry_at)
    .bind(error)
    .bind(id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn reachable_identities(c: &mut Conn, account_id: i64) -> Result<Vec<IdentityRow>> {
    sqlx::query_as(
        "SELECT platform, external_id FROM identities \
         WHERE account_id = $1 AND unreachable = FALSE ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(c)
    .await
}

pub async fn alert_email(c: &mut Conn, account_id: i64) -> Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT email FROM email_addresses \
         WHERE account_id = $1 AND verified_at IS NOT NULL AND alerts_on = TRUE",
    )
    .bind(account_id)
    .fetch_optional(c)
    .await
}

pub async fn email_address(c: &mut Conn, account_id: i64) -> Result<Option<EmailAddressRow>> {
    sqlx::query_as(
        "SELECT email, verified_at, alerts_on FROM email_addresses WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(c)
    .await
}

pub async fn email_off(c: &mut Conn, account_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE email_addresses SET alerts_on = FALSE WHERE account_id = $1 AND alerts_on = TRUE",
    )
    .bind(account_id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

/// Locks the account until the transaction ends (serialises its email codes).
pub async fn lock_account(c: &mut Conn, account_id: i64) -> Result<()> {
    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
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
    sqlx::query_scalar("SELECT COUNT(*) FROM email_codes WHERE account_id = $1 AND created_at > $2")
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
         VALUES ($1, $2, $3, $4, $5)",
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
pub async fn upsert_email_address(c: &mut Conn, account_id: i64, email: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_addresses (account_id, email, verified_at, alerts_on) \
         VALUES ($1, $2, NULL, FALSE) \
         ON CONFLICT (account_id) DO UPDATE SET \
           verified_at = CASE WHEN email_addresses.email = excluded.email \
             THEN email_addresses.verified_at ELSE NULL END, \
           alerts_on = CASE WHEN email_addresses.email = excluded.email \
             THEN email_addresses.alerts_on ELSE FALSE END, \
           email = excluded.email",
    )
    .bind(account_id)
    .bind(email)
    .execute(c)
    .await
    .map(drop)
}

/// The newest unused, unexpired code of the account.
pub async fn newest_email_code(
    c: &mut Conn,
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<EmailCodeRow>> {
    sqlx::query_as(
        "SELECT id, email, code, expires_at, used_at FROM email_codes \
         WHERE account_id = $1 AND used_at IS NULL AND expires_at > $2 \
         ORDER BY id DESC LIMIT 1 FOR UPDATE",
    )
    .bind(account_id)
    .bind(now)
    .fetch_optional(c)
    .await
}

pub async fn mark_email_code_used(c: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE email_codes SET used_at = $1 WHERE id = $2")
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
         VALUES ($1, $2, $3, TRUE) \
         ON CONFLICT (account_id) DO UPDATE SET \
           email = excluded.email, verified_at = excluded.verified_at, alerts_on = TRUE",
    )
    .bind(account_id)
    .bind(email)
    .bind(now)
    .execute(c)
    .await
    .map(drop)
}
