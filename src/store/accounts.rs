//! Accounts and the chat identities that belong to them: which account an identity speaks
//! for, new accounts and identities, an account's settings, whether an identity can be
//! written to, the identities an account lists, and moving identities and deleting accounts
//! when two are linked. Never decides who may link, see or change what: the ledger does.

use chrono::{DateTime, Utc};

use super::rows::{AccountRow, IdentityRow, LinkedIdentityRow, MemberRow, parse_currency};
use super::sql::{Conn, Sql, as_text, execute, fetch, insert_id, scalar, sql};
use super::{Store, StoreError, Tx};
use crate::domain::{Account, AccountId, ChatIdentity, Currency, IdentityId, Platform};

/// Which setting of an account to change.
#[derive(Debug, Clone, Copy)]
pub enum AccountSetting<'a> {
    Currency(Currency),
    Timezone(chrono_tz::Tz),
    Language(&'a str),
}

/// The identity and account a chat identity maps to.
#[derive(Debug, Clone)]
pub struct Member {
    pub identity_id: IdentityId,
    pub account: Account,
    /// Marked unreachable (the person blocked the bot or closed their messages).
    pub unreachable: bool,
}

/// A chat identity's platform and id.
macro_rules! identity_columns {
    ($($engine:ident)?) => {
        concat!(
            as_text!("platform" $(, $engine)?),
            ", ",
            as_text!("external_id" $(, $engine)?)
        )
    };
}

/// The columns of [`LinkedIdentityRow`].
macro_rules! linked_columns {
    ($($engine:ident)?) => {
        concat!("id, ", identity_columns!($($engine)?), ", display_name")
    };
}

const MEMBER: Sql = sql!(
    "SELECT i.id AS identity_id, i.unreachable, \
       a.id AS account_id, a.currency, a.timezone, a.language \
     FROM identities i JOIN accounts a ON a.id = i.account_id \
     WHERE i.platform = ? AND i.external_id = ?"
);
const ACCOUNT: Sql = sql!("SELECT id, currency, timezone, language FROM accounts WHERE id = ?");
const INSERT_ACCOUNT: Sql = sql!(returning_id:
    "INSERT INTO accounts (currency, timezone, language, created_at) VALUES (?, ?, ?, ?)"
);
const INSERT_IDENTITY: Sql = sql!(returning_id:
    "INSERT INTO identities (platform, external_id, display_name, account_id, created_at) \
     VALUES (?, ?, ?, ?, ?)"
);
const SET_CURRENCY: Sql = sql!("UPDATE accounts SET currency = ? WHERE id = ?");
const SET_TIMEZONE: Sql = sql!("UPDATE accounts SET timezone = ? WHERE id = ?");
const SET_LANGUAGE: Sql = sql!("UPDATE accounts SET language = ? WHERE id = ?");
/// On SQLite a plain read: its write transaction holds the whole database already.
const LOCK_ACCOUNT: Sql = sql!(for_update: "SELECT id FROM accounts WHERE id = ?");
const DELETE_ACCOUNT: Sql = sql!("DELETE FROM accounts WHERE id = ?");
const SET_UNREACHABLE: Sql =
    sql!("UPDATE identities SET unreachable = ? WHERE platform = ? AND external_id = ?");
const UNREACHABLE: Sql =
    sql!("SELECT unreachable FROM identities WHERE platform = ? AND external_id = ?");
const REACHABLE_IDENTITIES: Sql = sql!(columns: identity_columns,
    "FROM identities WHERE account_id = ? AND unreachable = FALSE ORDER BY id"
);
const LINKED_IDENTITIES: Sql =
    sql!(columns: linked_columns, "FROM identities WHERE account_id = ? ORDER BY id");
const DELETE_IDENTITY: Sql = sql!("DELETE FROM identities WHERE id = ? AND account_id = ?");
const MOVE_IDENTITY: Sql = sql!("UPDATE identities SET account_id = ? WHERE id = ?");
const COUNT_IDENTITIES: Sql = sql!("SELECT COUNT(*) FROM identities WHERE account_id = ?");

impl Store {
    /// The identity and account of a chat identity, if it was seen before.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn member(&self, identity: &ChatIdentity) -> Result<Option<Member>, StoreError> {
        member(self.reader().await?.conn(), identity).await
    }

    #[tracing::instrument(skip_all, level = "debug", fields(account = %id))]
    pub async fn account(&self, id: AccountId) -> Result<Account, StoreError> {
        account(self.reader().await?.conn(), id).await
    }

    /// Changes one setting of an account and returns the account as it now is.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn update_account(
        &self,
        account: AccountId,
        setting: AccountSetting<'_>,
    ) -> Result<Account, StoreError> {
        let (statement, value) = match &setting {
            AccountSetting::Currency(currency) => (SET_CURRENCY, currency.code()),
            AccountSetting::Timezone(tz) => (SET_TIMEZONE, tz.name()),
            AccountSetting::Language(language) => (SET_LANGUAGE, *language),
        };
        let changed = execute!(self.writer().await?.conn(), statement, value, account.0)?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.account(account).await
    }

    /// Marks a chat identity reachable or not; `false` when the identity is unknown.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn set_reachable(
        &self,
        identity: &ChatIdentity,
        reachable: bool,
    ) -> Result<bool, StoreError> {
        let changed = execute!(
            self.writer().await?.conn(),
            SET_UNREACHABLE,
            !reachable,
            identity.platform().as_str(),
            identity.external_id(),
        )?;
        Ok(changed > 0)
    }

    /// Whether a chat identity is marked reachable; `None` when it is unknown.
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn reachable(&self, identity: &ChatIdentity) -> Result<Option<bool>, StoreError> {
        let unreachable: Option<bool> = scalar!(
            self.reader().await?.conn(),
            fetch_optional,
            UNREACHABLE,
            identity.platform().as_str(),
            identity.external_id(),
        )?;
        Ok(unreachable.map(|u| !u))
    }

    /// The account's chat identities not marked unreachable, oldest first.
    #[tracing::instrument(skip_all, level = "debug", fields(account = %account))]
    pub async fn reachable_identities(
        &self,
        account: AccountId,
    ) -> Result<Vec<ChatIdentity>, StoreError> {
        let rows: Vec<IdentityRow> = fetch!(
            self.reader().await?.conn(),
            fetch_all,
            REACHABLE_IDENTITIES,
            account.0
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let platform = Platform::parse(&r.platform)?;
                ChatIdentity::new(platform, &r.external_id).ok()
            })
            .collect())
    }

    /// Every chat identity of the account, oldest first.
    pub async fn linked_identities(
        &self,
        account: AccountId,
    ) -> Result<Vec<LinkedIdentityRow>, StoreError> {
        Ok(fetch!(
            self.reader().await?.conn(),
            fetch_all,
            LINKED_IDENTITIES,
            account.0
        )?)
    }

    /// Removes one identity of the account; `false` when the account has no such identity.
    pub async fn delete_identity(
        &self,
        account: AccountId,
        identity: IdentityId,
    ) -> Result<bool, StoreError> {
        Ok(execute!(
            self.writer().await?.conn(),
            DELETE_IDENTITY,
            identity.0,
            account.0
        )? > 0)
    }
}

impl Tx {
    /// See [`Store::member`]; inside the transaction.
    pub async fn member(&mut self, identity: &ChatIdentity) -> Result<Option<Member>, StoreError> {
        member(self.conn(), identity).await
    }

    pub async fn account(&mut self, id: AccountId) -> Result<Account, StoreError> {
        account(self.conn(), id).await
    }

    /// Creates an account and returns it.
    pub async fn insert_account(
        &mut self,
        currency: Currency,
        timezone: chrono_tz::Tz,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<Account, StoreError> {
        let id = insert_id!(
            self.conn(),
            INSERT_ACCOUNT,
            currency.code(),
            timezone.name(),
            language,
            now
        )?;
        Ok(Account {
            id: AccountId(id),
            currency,
            timezone,
            language: language.to_owned(),
        })
    }

    /// Creates a chat identity in an account. [`StoreError::Conflict`] when it exists.
    pub async fn insert_identity(
        &mut self,
        identity: &ChatIdentity,
        display_name: Option<&str>,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<IdentityId, StoreError> {
        let id = insert_id!(
            self.conn(),
            INSERT_IDENTITY,
            identity.platform().as_str(),
            identity.external_id(),
            display_name,
            account.0,
            now,
        )?;
        Ok(IdentityId(id))
    }

    /// Locks an account until the transaction ends (PostgreSQL, MySQL; SQLite's write
    /// transaction holds its single write lock already).
    pub async fn lock_account(&mut self, account: AccountId) -> Result<(), StoreError> {
        let _: Option<i64> = scalar!(self.conn(), fetch_optional, LOCK_ACCOUNT, account.0)?;
        Ok(())
    }

    /// Moves a chat identity into another account.
    pub async fn move_identity(
        &mut self,
        identity: IdentityId,
        to: AccountId,
    ) -> Result<(), StoreError> {
        execute!(self.conn(), MOVE_IDENTITY, to.0, identity.0)?;
        Ok(())
    }

    /// How many chat identities an account has.
    pub async fn count_identities(&mut self, account: AccountId) -> Result<i64, StoreError> {
        Ok(scalar!(
            self.conn(),
            fetch_one,
            COUNT_IDENTITIES,
            account.0
        )?)
    }

    /// Deletes an account with everything that cascades from it (limits, link codes).
    pub async fn delete_account(&mut self, account: AccountId) -> Result<(), StoreError> {
        execute!(self.conn(), DELETE_ACCOUNT, account.0)?;
        Ok(())
    }
}

async fn member(c: Conn<'_>, identity: &ChatIdentity) -> Result<Option<Member>, StoreError> {
    let row: Option<MemberRow> = fetch!(
        c,
        fetch_optional,
        MEMBER,
        identity.platform().as_str(),
        identity.external_id(),
    )?;
    row.map(MemberRow::into_member).transpose()
}

async fn account(c: Conn<'_>, id: AccountId) -> Result<Account, StoreError> {
    let row: Option<AccountRow> = fetch!(c, fetch_optional, ACCOUNT, id.0)?;
    row.ok_or(StoreError::NotFound)?.into_account()
}

impl MemberRow {
    fn into_member(self) -> Result<Member, StoreError> {
        let account = account_of(
            self.account_id,
            &self.currency,
            &self.timezone,
            self.language,
        )?;
        Ok(Member {
            identity_id: IdentityId(self.identity_id),
            account,
            unreachable: self.unreachable,
        })
    }
}

impl AccountRow {
    fn into_account(self) -> Result<Account, StoreError> {
        account_of(self.id, &self.currency, &self.timezone, self.language)
    }
}

/// An account from its columns (of its own row or joined to another); an unknown stored time
/// zone reads as UTC (and is logged).
pub(super) fn account_of(
    id: i64,
    currency: &str,
    timezone: &str,
    language: String,
) -> Result<Account, StoreError> {
    let currency = parse_currency(currency)?;
    let timezone = timezone.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
        tracing::warn!(account = id, "stored time zone is unknown; using UTC");
        chrono_tz::UTC
    });
    Ok(Account {
        id: AccountId(id),
        currency,
        timezone,
        language,
    })
}
