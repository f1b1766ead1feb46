//! The SQLite statements of the web side's store operations. Only bound parameters.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::SqliteConnection as Conn;

use crate::store::rows::{
    DayTotalRow, FailureRow, LinkedIdentityRow, LoginRow, WebSessionRow, WebTokenRow,
};

type Result<T> = std::result::Result<T, sqlx::Error>;

pub async fn insert_login(
    c: &mut Conn,
    account_id: i64,
    email: &str,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO web_logins (account_id, email, password_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )
    .bind(account_id)
    .bind(email)
    .bind(password_hash)
    .bind(now)
    .execute(c)
    .await
    .map(drop)
}

pub async fn login_by_email(c: &mut Conn, email: &str) -> Result<Option<LoginRow>> {
    sqlx::query_as("SELECT account_id, email, password_hash FROM web_logins WHERE email = ?1")
        .bind(email)
        .fetch_optional(c)
        .await
}

pub async fn login_of(c: &mut Conn, account_id: i64) -> Result<Option<LoginRow>> {
    sqlx::query_as("SELECT account_id, email, password_hash FROM web_logins WHERE account_id = ?1")
        .bind(account_id)
        .fetch_optional(c)
        .await
}

pub async fn set_password(c: &mut Conn, account_id: i64, hash: &str) -> Result<u64> {
    let done = sqlx::query("UPDATE web_logins SET password_hash = ?1 WHERE account_id = ?2")
        .bind(hash)
        .bind(account_id)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn set_login_email(c: &mut Conn, account_id: i64, email: &str) -> Result<u64> {
    let done = sqlx::query("UPDATE web_logins SET email = ?1 WHERE account_id = ?2")
        .bind(email)
        .bind(account_id)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn insert_session(
    c: &mut Conn,
    id_hash: &str,
    account_id: i64,
    csrf_token: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO web_sessions (id_hash, account_id, csrf_token, created_at, last_seen_at) \
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )
    .bind(id_hash)
    .bind(account_id)
    .bind(csrf_token)
    .bind(now)
    .execute(c)
    .await
    .map(drop)
}

pub async fn web_session(c: &mut Conn, id_hash: &str) -> Result<Option<WebSessionRow>> {
    sqlx::query_as(
        "SELECT account_id, csrf_token, last_seen_at FROM web_sessions WHERE id_hash = ?1",
    )
    .bind(id_hash)
    .fetch_optional(c)
    .await
}

pub async fn touch_session(c: &mut Conn, id_hash: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE web_sessions SET last_seen_at = ?1 WHERE id_hash = ?2")
        .bind(now)
        .bind(id_hash)
        .execute(c)
        .await
        .map(drop)
}

pub async fn delete_session(c: &mut Conn, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM web_sessions WHERE id_hash = ?1")
        .bind(id_hash)
        .execute(c)
        .await
        .map(drop)
}

pub async fn delete_sessions_of(c: &mut Conn, account_id: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM web_sessions WHERE account_id = ?1")
        .bind(account_id)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete_other_sessions(c: &mut Conn, account_id: i64, keep: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM web_sessions WHERE account_id = ?1 AND id_hash <> ?2")
        .bind(account_id)
        .bind(keep)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn insert_token(
    c: &mut Conn,
    token_hash: &str,
    account_id: i64,
    purpose: &str,
    email: Option<&str>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO web_tokens (token_hash, account_id, purpose, email, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(purpose)
    .bind(email)
    .bind(now)
    .bind(expires_at)
    .execute(c)
    .await
    .map(drop)
}

pub async fn token(c: &mut Conn, token_hash: &str) -> Result<Option<WebTokenRow>> {
    sqlx::query_as(
        "SELECT account_id, purpose, email, expires_at, used_at FROM web_tokens \
         WHERE token_hash = ?1",
    )
    .bind(token_hash)
    .fetch_optional(c)
    .await
}

pub async fn count_tokens_since(
    c: &mut Conn,
    account_id: i64,
    purpose: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM web_tokens WHERE account_id = ?1 AND purpose = ?2 AND created_at > ?3",
    )
    .bind(account_id)
    .bind(purpose)
    .bind(since)
    .fetch_one(c)
    .await
}

/// Marks an unused, unexpired token of `purpose` used; 1 when this call used it.
pub async fn use_token(
    c: &mut Conn,
    token_hash: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE web_tokens SET used_at = ?1 \
         WHERE token_hash = ?2 AND purpose = ?3 AND used_at IS NULL AND expires_at > ?1",
    )
    .bind(now)
    .bind(token_hash)
    .bind(purpose)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn insert_failure(c: &mut Conn, email: &str, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("INSERT INTO login_failures (email, failed_at) VALUES (?1, ?2)")
        .bind(email)
        .bind(now)
        .execute(c)
        .await
        .map(drop)
}

pub async fn failures_since(c: &mut Conn, email: &str, since: DateTime<Utc>) -> Result<FailureRow> {
    sqlx::query_as(
        "SELECT COUNT(*) AS failures, MIN(failed_at) AS oldest FROM login_failures \
         WHERE email = ?1 AND failed_at > ?2",
    )
    .bind(email)
    .bind(since)
    .fetch_one(c)
    .await
}

pub async fn forget_failures_before(
    c: &mut Conn,
    email: &str,
    before: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE email = ?1 AND failed_at <= ?2")
        .bind(email)
        .bind(before)
        .execute(c)
        .await
        .map(drop)
}

pub async fn clear_failures(c: &mut Conn, email: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE email = ?1")
        .bind(email)
        .execute(c)
        .await
        .map(drop)
}

pub async fn linked_identities(c: &mut Conn, account_id: i64) -> Result<Vec<LinkedIdentityRow>> {
    sqlx::query_as(
        "SELECT id, platform, external_id, display_name FROM identities \
         WHERE account_id = ?1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(c)
    .await
}

pub async fn delete_identity(c: &mut Conn, account_id: i64, identity_id: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM identities WHERE id = ?1 AND account_id = ?2")
        .bind(identity_id)
        .bind(account_id)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

pub async fn email_alerts_on(c: &mut Conn, account_id: i64) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE email_addresses SET alerts_on = TRUE \
         WHERE account_id = ?1 AND verified_at IS NOT NULL AND alerts_on = FALSE",
    )
    .bind(account_id)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}

pub async fn daily_spent(
    c: &mut Conn,
    account_id: i64,
    currency: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayTotalRow>> {
    sqlx::query_as(
        "SELECT occurred_on AS day, SUM(amount_minor) AS total_minor FROM entries \
         WHERE account_id = ?1 AND occurred_on >= ?2 AND occurred_on <= ?3 \
           AND kind = 'expense' AND currency = ?4 \
         GROUP BY occurred_on ORDER BY occurred_on",
    )
    .bind(account_id)
    .bind(from)
    .bind(to)
    .bind(currency)
    .fetch_all(c)
    .await
}
