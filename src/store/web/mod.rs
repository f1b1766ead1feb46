//! The web side's persistence: sign-in credentials, sessions, emailed and one-time tokens,
//! failed sign-ins, the identities an account lists, and per-day sums for the dashboard.
//! Tokens and session ids arrive here already hashed: this module never sees a secret that
//! could sign anyone in. It never decides whether a password, token or session is good; the
//! ledger does.

mod mysql;
mod postgres;
mod sqlite;

use chrono::{DateTime, NaiveDate, Utc};

use super::rows::{FailureRow, LinkedIdentityRow, LoginRow, WebSessionRow, WebTokenRow};
use super::{Store, StoreError, Tx, TxInner};
use crate::domain::{AccountId, Currency, DateRange, IdentityId};

impl Store {
    /// The sign-in of an address (already normalised by the caller).
    pub async fn login_by_email(&self, email: &str) -> Result<Option<LoginRow>, StoreError> {
        Ok(read!(self, login_by_email(email)))
    }

    /// The sign-in of an account, if it has one.
    pub async fn login_of(&self, account: AccountId) -> Result<Option<LoginRow>, StoreError> {
        Ok(read!(self, login_of(account.0)))
    }

    pub async fn insert_web_session(
        &self,
        id_hash: &str,
        account: AccountId,
        csrf_token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        write!(self, insert_session(id_hash, account.0, csrf_token, now));
        Ok(())
    }

    pub async fn web_session(&self, id_hash: &str) -> Result<Option<WebSessionRow>, StoreError> {
        Ok(read!(self, web_session(id_hash)))
    }

    pub async fn touch_web_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        write!(self, touch_session(id_hash, now));
        Ok(())
    }

    pub async fn delete_web_session(&self, id_hash: &str) -> Result<(), StoreError> {
        write!(self, delete_session(id_hash));
        Ok(())
    }

    /// A token by its hash, used or not.
    pub async fn web_token(&self, token_hash: &str) -> Result<Option<WebTokenRow>, StoreError> {
        Ok(read!(self, token(token_hash)))
    }

    pub async fn insert_login_failure(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        write!(self, insert_failure(email, now));
        Ok(())
    }

    /// Failed sign-ins for the address after `since`: how many and the oldest.
    pub async fn login_failures_since(
        &self,
        email: &str,
        since: DateTime<Utc>,
    ) -> Result<FailureRow, StoreError> {
        Ok(read!(self, failures_since(email, since)))
    }

    /// Forgets the address's failed sign-ins at or before `before` (they no longer count).
    pub async fn forget_login_failures_before(
        &self,
        email: &str,
        before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        write!(self, forget_failures_before(email, before));
        Ok(())
    }

    pub async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        write!(self, clear_failures(email));
        Ok(())
    }

    /// Every chat identity of the account, oldest first.
    pub async fn linked_identities(
        &self,
        account: AccountId,
    ) -> Result<Vec<LinkedIdentityRow>, StoreError> {
        Ok(read!(self, linked_identities(account.0)))
    }

    /// Removes one identity of the account; `false` when the account has no such identity.
    pub async fn delete_identity(
        &self,
        account: AccountId,
        identity: IdentityId,
    ) -> Result<bool, StoreError> {
        Ok(write!(self, delete_identity(account.0, identity.0)) > 0)
    }

    /// Turns alerts by email on when the address is verified; `false` when nothing changed.
    pub async fn email_alerts_on(&self, account: AccountId) -> Result<bool, StoreError> {
        Ok(write!(self, email_alerts_on(account.0)) > 0)
    }

    /// Expenses in one currency per day over a range (days without any are left out).
    pub async fn daily_spent(
        &self,
        account: AccountId,
        currency: Currency,
        range: DateRange,
    ) -> Result<Vec<(NaiveDate, i64)>, StoreError> {
        let rows = read!(
            self,
            daily_spent(account.0, currency.code(), range.from, range.to)
        );
        Ok(rows.into_iter().map(|r| (r.day, r.total_minor)).collect())
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
        in_tx!(self, insert_login(account.0, email, password_hash, now));
        Ok(())
    }

    pub async fn login_by_email(&mut self, email: &str) -> Result<Option<LoginRow>, StoreError> {
        Ok(in_tx!(self, login_by_email(email)))
    }

    pub async fn login_of(&mut self, account: AccountId) -> Result<Option<LoginRow>, StoreError> {
        Ok(in_tx!(self, login_of(account.0)))
    }

    pub async fn set_password(
        &mut self,
        account: AccountId,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        Ok(in_tx!(self, set_password(account.0, password_hash)) > 0)
    }

    pub async fn set_login_email(
        &mut self,
        account: AccountId,
        email: &str,
    ) -> Result<bool, StoreError> {
        Ok(in_tx!(self, set_login_email(account.0, email)) > 0)
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
        in_tx!(
            self,
            insert_token(token_hash, account.0, purpose, email, now, expires_at)
        );
        Ok(())
    }

    /// How many tokens of `purpose` the account was given after `since`.
    pub async fn count_web_tokens_since(
        &mut self,
        account: AccountId,
        purpose: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(in_tx!(self, count_tokens_since(account.0, purpose, since)))
    }

    /// Uses an unused, unexpired token of `purpose` and returns it; `None` (and nothing
    /// changes) when there is no such token. Two concurrent uses: one gets it.
    pub async fn use_web_token(
        &mut self,
        token_hash: &str,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WebTokenRow>, StoreError> {
        if in_tx!(self, use_token(token_hash, purpose, now)) == 0 {
            return Ok(None);
        }
        Ok(in_tx!(self, token(token_hash)))
    }

    pub async fn insert_web_session(
        &mut self,
        id_hash: &str,
        account: AccountId,
        csrf_token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, insert_session(id_hash, account.0, csrf_token, now));
        Ok(())
    }

    /// Ends every web session of the account but `keep`; returns how many it ended.
    pub async fn delete_other_web_sessions(
        &mut self,
        account: AccountId,
        keep: &str,
    ) -> Result<u64, StoreError> {
        Ok(in_tx!(self, delete_other_sessions(account.0, keep)))
    }

    /// Ends every web session of the account; returns how many there were.
    pub async fn delete_web_sessions_of(&mut self, account: AccountId) -> Result<u64, StoreError> {
        Ok(in_tx!(self, delete_sessions_of(account.0)))
    }
}
