//! The web side's persistence: sign-in credentials, sessions, emailed and one-time tokens,
//! and failed sign-ins. Tokens and session ids arrive here already hashed: this module never
//! sees a secret that could sign anyone in. It never decides whether a password, token or
//! session is good; the ledger does.

use chrono::{DateTime, Utc};

use super::rows::{FailureRow, LoginRow, WebSessionRow, WebTokenRow};
use super::sql::{Conn, Sql, as_text, execute, fetch, scalar, sql};
use super::{Store, StoreError, Tx};
use crate::domain::AccountId;

/// The columns of [`LoginRow`].
macro_rules! login_columns {
    ($($engine:ident)?) => {
        concat!("account_id, ", as_text!("email" $(, $engine)?), ", password_hash")
    };
}

/// The columns of [`WebTokenRow`].
macro_rules! token_columns {
    ($($engine:ident)?) => {
        concat!("account_id, purpose, ", as_text!("email" $(, $engine)?), ", expires_at, used_at")
    };
}

const INSERT_LOGIN: Sql = sql!(
    "INSERT INTO web_logins (account_id, email, password_hash, created_at) VALUES (?, ?, ?, ?)"
);
const LOGIN_BY_EMAIL: Sql = sql!(columns: login_columns, "FROM web_logins WHERE email = ?");
const LOGIN_OF: Sql = sql!(columns: login_columns, "FROM web_logins WHERE account_id = ?");
const SET_PASSWORD: Sql = sql!("UPDATE web_logins SET password_hash = ? WHERE account_id = ?");
const SET_LOGIN_EMAIL: Sql = sql!("UPDATE web_logins SET email = ? WHERE account_id = ?");
/// Bound: id hash, account, CSRF token, now twice (created and last seen).
const INSERT_SESSION: Sql = sql!(
    "INSERT INTO web_sessions (id_hash, account_id, csrf_token, created_at, last_seen_at) \
     VALUES (?, ?, ?, ?, ?)"
);
const WEB_SESSION: Sql =
    sql!("SELECT account_id, csrf_token, last_seen_at FROM web_sessions WHERE id_hash = ?");
const TOUCH_SESSION: Sql = sql!("UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?");
const DELETE_SESSION: Sql = sql!("DELETE FROM web_sessions WHERE id_hash = ?");
const DELETE_SESSIONS_OF: Sql = sql!("DELETE FROM web_sessions WHERE account_id = ?");
const DELETE_OTHER_SESSIONS: Sql =
    sql!("DELETE FROM web_sessions WHERE account_id = ? AND id_hash <> ?");
const INSERT_TOKEN: Sql = sql!(
    "INSERT INTO web_tokens (token_hash, account_id, purpose, email, created_at, expires_at) \
     VALUES (?, ?, ?, ?, ?, ?)"
);
const TOKEN: Sql = sql!(columns: token_columns, "FROM web_tokens WHERE token_hash = ?");
const COUNT_TOKENS_SINCE: Sql =
    sql!("SELECT COUNT(*) FROM web_tokens WHERE account_id = ? AND purpose = ? AND created_at > ?");
/// Marks an unused, unexpired token of a purpose used. Bound: now, hash, purpose, now.
const USE_TOKEN: Sql = sql!(
    "UPDATE web_tokens SET used_at = ? \
     WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?"
);
const INSERT_FAILURE: Sql = sql!("INSERT INTO login_failures (email, failed_at) VALUES (?, ?)");
const FAILURES_SINCE: Sql = sql!(
    "SELECT COUNT(*) AS failures, MIN(failed_at) AS oldest FROM login_failures \
     WHERE email = ? AND failed_at > ?"
);
const FORGET_FAILURES_BEFORE: Sql =
    sql!("DELETE FROM login_failures WHERE email = ? AND failed_at <= ?");
const CLEAR_FAILURES: Sql = sql!("DELETE FROM login_failures WHERE email = ?");

impl Store {
    /// The sign-in of an address (already normalised by the caller).
    pub async fn login_by_email(&self, email: &str) -> Result<Option<LoginRow>, StoreError> {
        login_by_email(self.reader().await?.conn(), email).await
    }

    /// The sign-in of an account, if it has one.
    pub async fn login_of(&self, account: AccountId) -> Result<Option<LoginRow>, StoreError> {
        login_of(self.reader().await?.conn(), account).await
    }

    pub async fn insert_web_session(
        &self,
        id_hash: &str,
        account: AccountId,
        csrf_token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert_session(
            self.writer().await?.conn(),
            id_hash,
            account,
            csrf_token,
            now,
        )
        .await?;
        Ok(())
    }

    pub async fn web_session(&self, id_hash: &str) -> Result<Option<WebSessionRow>, StoreError> {
        Ok(fetch!(
            self.reader().await?.conn(),
            fetch_optional,
            WEB_SESSION,
            id_hash
        )?)
    }

    pub async fn touch_web_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(self.writer().await?.conn(), TOUCH_SESSION, now, id_hash)?;
        Ok(())
    }

    pub async fn delete_web_session(&self, id_hash: &str) -> Result<(), StoreError> {
        execute!(self.writer().await?.conn(), DELETE_SESSION, id_hash)?;
        Ok(())
    }

    /// A token by its hash, used or not.
    pub async fn web_token(&self, token_hash: &str) -> Result<Option<WebTokenRow>, StoreError> {
        Ok(fetch!(
            self.reader().await?.conn(),
            fetch_optional,
            TOKEN,
            token_hash
        )?)
    }

    pub async fn insert_login_failure(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(self.writer().await?.conn(), INSERT_FAILURE, email, now)?;
        Ok(())
    }

    /// Failed sign-ins for the address after `since`: how many and the oldest.
    pub async fn login_failures_since(
        &self,
        email: &str,
        since: DateTime<Utc>,
    ) -> Result<FailureRow, StoreError> {
        Ok(fetch!(
            self.reader().await?.conn(),
            fetch_one,
            FAILURES_SINCE,
            email,
            since
        )?)
    }

    /// Forgets the address's failed sign-ins at or before `before` (they no longer count).
    pub async fn forget_login_failures_before(
        &self,
        email: &str,
        before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(
            self.writer().await?.conn(),
            FORGET_FAILURES_BEFORE,
            email,
            before
        )?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        execute!(self.writer().await?.conn(), CLEAR_FAILURES, email)?;
        Ok(())
    }
}

impl Tx {
    pub async fn insert_login(
        &mut self,
        account: AccountId,
        email: &str,
        password_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(
            self.conn(),
            INSERT_LOGIN,
            account.0,
            email,
            password_hash,
            now
        )?;
        Ok(())
    }

    pub async fn login_by_email(&mut self, email: &str) -> Result<Option<LoginRow>, StoreError> {
        login_by_email(self.conn(), email).await
    }

    pub async fn login_of(&mut self, account: AccountId) -> Result<Option<LoginRow>, StoreError> {
        login_of(self.conn(), account).await
    }

    pub async fn set_password(
        &mut self,
        account: AccountId,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        Ok(execute!(self.conn(), SET_PASSWORD, password_hash, account.0)? > 0)
    }

    pub async fn set_login_email(
        &mut self,
        account: AccountId,
        email: &str,
    ) -> Result<bool, StoreError> {
        Ok(execute!(self.conn(), SET_LOGIN_EMAIL, email, account.0)? > 0)
    }

    pub async fn insert_web_token(
        &mut self,
        token_hash: &str,
        account: AccountId,
        purpose: &str,
        email: Option<&str>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(
            self.conn(),
            INSERT_TOKEN,
            token_hash,
            account.0,
            purpose,
            email,
            now,
            expires_at
        )?;
        Ok(())
    }

    /// How many tokens of `purpose` the account was given after `since`.
    pub async fn count_web_tokens_since(
        &mut self,
        account: AccountId,
        purpose: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(scalar!(
            self.conn(),
            fetch_one,
            COUNT_TOKENS_SINCE,
            account.0,
            purpose,
            since
        )?)
    }

    /// Uses an unused, unexpired token of `purpose` and returns it; `None` (and nothing
    /// changes) when there is no such token. Two concurrent uses: one gets it.
    pub async fn use_web_token(
        &mut self,
        token_hash: &str,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WebTokenRow>, StoreError> {
        if execute!(self.conn(), USE_TOKEN, now, token_hash, purpose, now)? == 0 {
            return Ok(None);
        }
        Ok(fetch!(self.conn(), fetch_optional, TOKEN, token_hash)?)
    }

    pub async fn insert_web_session(
        &mut self,
        id_hash: &str,
        account: AccountId,
        csrf_token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert_session(self.conn(), id_hash, account, csrf_token, now).await?;
        Ok(())
    }

    /// Ends every web session of the account but `keep`; returns how many it ended.
    pub async fn delete_other_web_sessions(
        &mut self,
        account: AccountId,
        keep: &str,
    ) -> Result<u64, StoreError> {
        Ok(execute!(
            self.conn(),
            DELETE_OTHER_SESSIONS,
            account.0,
            keep
        )?)
    }

    /// Ends every web session of the account; returns how many there were.
    pub async fn delete_web_sessions_of(&mut self, account: AccountId) -> Result<u64, StoreError> {
        Ok(execute!(self.conn(), DELETE_SESSIONS_OF, account.0)?)
    }
}

async fn login_by_email(c: Conn<'_>, email: &str) -> Result<Option<LoginRow>, StoreError> {
    Ok(fetch!(c, fetch_optional, LOGIN_BY_EMAIL, email)?)
}

async fn login_of(c: Conn<'_>, account: AccountId) -> Result<Option<LoginRow>, StoreError> {
    Ok(fetch!(c, fetch_optional, LOGIN_OF, account.0)?)
}

async fn insert_session(
    c: Conn<'_>,
    id_hash: &str,
    account: AccountId,
    csrf_token: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    execute!(c, INSERT_SESSION, id_hash, account.0, csrf_token, now, now)?;
    Ok(())
}
