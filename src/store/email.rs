//! An account's email address (verified or not, alerts by email on or off) and the codes that
//! verify it. Never decides whether a code is good or how many may be sent: the ledger does;
//! never sends an email.

use chrono::{DateTime, Utc};

use super::rows::{EmailAddressRow, EmailCodeRow};
use super::sql::{Sql, execute, fetch, scalar, sql};
use super::{Store, StoreError, Tx};
use crate::domain::AccountId;

/// The account's email address as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    pub email: String,
    pub verified: bool,
    pub alerts_on: bool,
}

/// The insert that both writes of an address start with; each engine has its own upsert.
macro_rules! insert_address {
    ($verified_at:literal, $alerts_on:literal) => {
        concat!(
            "INSERT INTO email_addresses (account_id, email, verified_at, alerts_on) VALUES (?, ?, ",
            $verified_at,
            ", ",
            $alerts_on,
            ") "
        )
    };
}

const ALERT_EMAIL: Sql = sql!(
    "SELECT email FROM email_addresses \
     WHERE account_id = ? AND verified_at IS NOT NULL AND alerts_on = TRUE"
);
const EMAIL_ADDRESS: Sql =
    sql!("SELECT email, verified_at, alerts_on FROM email_addresses WHERE account_id = ?");
const EMAIL_OFF: Sql =
    sql!("UPDATE email_addresses SET alerts_on = FALSE WHERE account_id = ? AND alerts_on = TRUE");
const EMAIL_ALERTS_ON: Sql = sql!(
    "UPDATE email_addresses SET alerts_on = TRUE \
     WHERE account_id = ? AND verified_at IS NOT NULL AND alerts_on = FALSE"
);
/// A different address than before starts unverified, with alerts off. MySQL applies the
/// assignments left to right, so `email` changes last there.
const UPSERT_EMAIL_ADDRESS: Sql = sql!(
    concat!(
        insert_address!("NULL", "FALSE"),
        "ON CONFLICT (account_id) DO UPDATE SET \
           verified_at = CASE WHEN email_addresses.email = excluded.email \
             THEN email_addresses.verified_at ELSE NULL END, \
           alerts_on = CASE WHEN email_addresses.email = excluded.email \
             THEN email_addresses.alerts_on ELSE FALSE END, \
           email = excluded.email"
    ),
    mysql: concat!(
        insert_address!("NULL", "FALSE"),
        "ON DUPLICATE KEY UPDATE \
           verified_at = IF(email = VALUES(email), verified_at, NULL), \
           alerts_on = IF(email = VALUES(email), alerts_on, FALSE), \
           email = VALUES(email)"
    )
);
const VERIFY_EMAIL_ADDRESS: Sql = sql!(
    concat!(
        insert_address!("?", "TRUE"),
        "ON CONFLICT (account_id) DO UPDATE SET \
           email = excluded.email, verified_at = excluded.verified_at, alerts_on = TRUE"
    ),
    mysql: concat!(
        insert_address!("?", "TRUE"),
        "ON DUPLICATE KEY UPDATE \
           email = VALUES(email), verified_at = VALUES(verified_at), alerts_on = TRUE"
    )
);
const COUNT_EMAIL_CODES_SINCE: Sql =
    sql!("SELECT COUNT(*) FROM email_codes WHERE account_id = ? AND created_at > ?");
const INSERT_EMAIL_CODE: Sql = sql!(
    "INSERT INTO email_codes (account_id, email, code_hash, created_at, expires_at) \
     VALUES (?, ?, ?, ?, ?)"
);
/// The newest code still open: unused, unexpired, with fewer wrong guesses than the bound. On
/// PostgreSQL and MySQL locked until the transaction ends.
const NEWEST_EMAIL_CODE: Sql = sql!(for_update:
    "SELECT id, email, code_hash, expires_at, used_at, failed_attempts FROM email_codes \
     WHERE account_id = ? AND used_at IS NULL AND expires_at > ? AND failed_attempts < ? \
     ORDER BY id DESC LIMIT 1"
);
const EMAIL_CODE_GUESSED_WRONG: Sql =
    sql!("UPDATE email_codes SET failed_attempts = failed_attempts + 1 WHERE id = ?");
const MARK_EMAIL_CODE_USED: Sql = sql!("UPDATE email_codes SET used_at = ? WHERE id = ?");

impl Store {
    /// The account's verified address, when alerts by email are on.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn alert_email(&self, account: AccountId) -> Result<Option<String>, StoreError> {
        Ok(scalar!(
            self.reader().await?.conn(),
            fetch_optional,
            ALERT_EMAIL,
            account.0
        )?)
    }

    /// The account's address as stored.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn email_address(
        &self,
        account: AccountId,
    ) -> Result<Option<EmailAddress>, StoreError> {
        let row: Option<EmailAddressRow> = fetch!(
            self.reader().await?.conn(),
            fetch_optional,
            EMAIL_ADDRESS,
            account.0
        )?;
        Ok(row.map(|r| EmailAddress {
            email: r.email,
            verified: r.verified_at.is_some(),
            alerts_on: r.alerts_on,
        }))
    }

    /// Turns alerts by email off; `false` when they were not on.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn email_off(&self, account: AccountId) -> Result<bool, StoreError> {
        Ok(execute!(self.writer().await?.conn(), EMAIL_OFF, account.0)? > 0)
    }

    /// Turns alerts by email on when the address is verified; `false` when nothing changed.
    pub async fn email_alerts_on(&self, account: AccountId) -> Result<bool, StoreError> {
        Ok(execute!(self.writer().await?.conn(), EMAIL_ALERTS_ON, account.0)? > 0)
    }
}

impl Tx {
    /// Stores the account's address; a different one than before starts unverified, with
    /// alerts off.
    pub async fn upsert_email_address(
        &mut self,
        account: AccountId,
        email: &str,
    ) -> Result<(), StoreError> {
        execute!(self.conn(), UPSERT_EMAIL_ADDRESS, account.0, email)?;
        Ok(())
    }

    /// Sets the account's address, verified at `now`, with alerts on.
    pub async fn verify_email_address(
        &mut self,
        account: AccountId,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(self.conn(), VERIFY_EMAIL_ADDRESS, account.0, email, now)?;
        Ok(())
    }

    /// How many email codes the account was given after `since`.
    pub async fn count_email_codes_since(
        &mut self,
        account: AccountId,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(scalar!(
            self.conn(),
            fetch_one,
            COUNT_EMAIL_CODES_SINCE,
            account.0,
            since
        )?)
    }

    pub async fn insert_email_code(
        &mut self,
        account: AccountId,
        email: &str,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(
            self.conn(),
            INSERT_EMAIL_CODE,
            account.0,
            email,
            code_hash,
            now,
            expires_at
        )?;
        Ok(())
    }

    /// The newest unused, unexpired email code of the account with fewer than `max_wrong`
    /// wrong guesses, locked until the transaction ends.
    pub async fn newest_email_code(
        &mut self,
        account: AccountId,
        now: DateTime<Utc>,
        max_wrong: i32,
    ) -> Result<Option<EmailCodeRow>, StoreError> {
        Ok(fetch!(
            self.conn(),
            fetch_optional,
            NEWEST_EMAIL_CODE,
            account.0,
            now,
            max_wrong
        )?)
    }

    /// Counts one wrong guess against a code.
    pub async fn email_code_guessed_wrong(&mut self, id: i64) -> Result<(), StoreError> {
        execute!(self.conn(), EMAIL_CODE_GUESSED_WRONG, id)?;
        Ok(())
    }

    pub async fn mark_email_code_used(
        &mut self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(self.conn(), MARK_EMAIL_CODE_USED, now, id)?;
        Ok(())
    }
}
