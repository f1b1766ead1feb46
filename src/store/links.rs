//! What waits between two messages: one-time link codes (one account's code, redeemed from a
//! chat identity of another) and the pending question of a conversation (the state of an
//! identity waiting for an answer). Never decides whether a code may be redeemed or what a
//! pending state means: the ledger and the bot do.

use chrono::{DateTime, Utc};
use sqlx::Connection as _;

use super::rows::{LinkCodeRow, PendingRow};
use super::sql::{Conn, Sql, as_text, execute, fetch, sql};
use super::{Store, StoreError, Tx};
use crate::domain::{AccountId, IdentityId};

/// A conversation state waiting for an answer.
#[derive(Debug, Clone)]
pub struct Pending {
    pub payload: String,
    pub expires_at: DateTime<Utc>,
}

/// The columns of [`LinkCodeRow`].
macro_rules! link_code_columns {
    ($($engine:ident)?) => {
        concat!(as_text!("code" $(, $engine)?), ", account_id, expires_at, used_at")
    };
}

const INSERT_LINK_CODE: Sql =
    sql!("INSERT INTO link_codes (code, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)");
/// Locked on PostgreSQL and MySQL so that two redemptions of one code serialise and the second
/// sees it used; SQLite's write transaction holds the whole database already.
const LINK_CODE_FOR_UPDATE: Sql =
    sql!(columns: link_code_columns, "FROM link_codes WHERE code = ?", for_update);
const MARK_LINK_CODE_USED: Sql =
    sql!("UPDATE link_codes SET used_at = ?, used_by = ? WHERE code = ?");
const SET_PENDING: Sql = sql!(
    "INSERT INTO pending_states (identity_id, payload, expires_at) VALUES (?, ?, ?) \
     ON CONFLICT (identity_id) DO UPDATE SET \
       payload = excluded.payload, expires_at = excluded.expires_at",
    mysql: "INSERT INTO pending_states (identity_id, payload, expires_at) VALUES (?, ?, ?) \
     ON DUPLICATE KEY UPDATE payload = VALUES(payload), expires_at = VALUES(expires_at)"
);
/// MySQL 8 has no `DELETE … RETURNING`: there the row is read under a lock, then deleted with
/// [`DELETE_PENDING`], in one transaction.
const TAKE_PENDING: Sql = sql!(
    "DELETE FROM pending_states WHERE identity_id = ? RETURNING payload, expires_at",
    mysql: "SELECT payload, expires_at FROM pending_states WHERE identity_id = ? FOR UPDATE"
);
pub(super) const DELETE_PENDING: Sql = sql!("DELETE FROM pending_states WHERE identity_id = ?");
const PEEK_PENDING: Sql =
    sql!("SELECT payload, expires_at FROM pending_states WHERE identity_id = ?");

impl Store {
    /// Stores (or replaces) the conversation state of an identity.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn set_pending(
        &self,
        identity: IdentityId,
        payload: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(
            self.writer().await?.conn(),
            SET_PENDING,
            identity.0,
            payload,
            expires_at
        )?;
        Ok(())
    }

    /// The conversation state of an identity, expired or not, left in place: a recording that
    /// answers it removes it in its own transaction ([`NewRecording::clears_pending`]).
    ///
    /// [`NewRecording::clears_pending`]: super::NewRecording::clears_pending
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn pending(&self, identity: IdentityId) -> Result<Option<Pending>, StoreError> {
        let row: Option<PendingRow> = fetch!(
            self.reader().await?.conn(),
            fetch_optional,
            PEEK_PENDING,
            identity.0
        )?;
        Ok(row.map(|r| Pending {
            payload: r.payload,
            expires_at: r.expires_at,
        }))
    }

    /// Removes and returns the conversation state of an identity, expired or not.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn take_pending(&self, identity: IdentityId) -> Result<Option<Pending>, StoreError> {
        let row: Option<PendingRow> = match self.writer().await?.conn() {
            Conn::MySql(c) => {
                let mut tx = c.begin().await?;
                let row = fetch!(
                    Conn::MySql(&mut tx),
                    fetch_optional,
                    TAKE_PENDING,
                    identity.0
                )?;
                if row.is_some() {
                    execute!(Conn::MySql(&mut tx), DELETE_PENDING, identity.0)?;
                }
                tx.commit().await?;
                row
            }
            other => fetch!(other, fetch_optional, TAKE_PENDING, identity.0)?,
        };
        Ok(row.map(|r| Pending {
            payload: r.payload,
            expires_at: r.expires_at,
        }))
    }
}

impl Tx {
    /// Stores a link code. [`StoreError::Conflict`] when the code is taken.
    pub async fn insert_link_code(
        &mut self,
        code: &str,
        account: AccountId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(
            self.conn(),
            INSERT_LINK_CODE,
            code,
            account.0,
            now,
            expires_at
        )?;
        Ok(())
    }

    /// A link code, locked against a concurrent redemption until the transaction ends.
    pub async fn link_code_for_update(
        &mut self,
        code: &str,
    ) -> Result<Option<LinkCodeRow>, StoreError> {
        Ok(fetch!(
            self.conn(),
            fetch_optional,
            LINK_CODE_FOR_UPDATE,
            code
        )?)
    }

    pub async fn mark_link_code_used(
        &mut self,
        code: &str,
        by: IdentityId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        execute!(self.conn(), MARK_LINK_CODE_USED, now, by.0, code)?;
        Ok(())
    }
}
