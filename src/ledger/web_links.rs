//! Emailed links and the chat's sign-in link: verifying an address by its link, another
//! verification link, password reset (asked, checked, used), and the one-time link `/web`
//! answers. A link's token is 256 random bits, stored hashed, used once by one atomic update,
//! and expires; an emailed link goes to the outbox in the transaction that made its token. This
//! module never sends mail and never logs a token.

use chrono::{DateTime, Duration, Utc};

use super::outbox::{OutboxEmail, queue_email};
use super::web::{
    CHAT_LOGIN_TTL, LINKS_PER_HOUR, RESET_LINK_TTL, TokenPurpose, VERIFY_LINK_TTL, WebSessionStart,
    hash, login_email, new_session, secret,
};
use super::{Ledger, LedgerError, LinkPurpose, Session};
use crate::domain::AccountId;
use crate::store::StoreError;

impl Ledger {
    /// Emails a new verification link for the account's sign-in address; `false` when it has
    /// none, it is verified already, or the service sends no email.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn resend_verification(
        &self,
        s: &Session,
        link_prefix: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        if link_prefix.is_none() {
            return Ok(false);
        }
        let account = s.account.id;
        let verified = self
            .store
            .email_address(account)
            .await?
            .is_some_and(|a| a.verified);
        let mut tx = self.store.begin_write().await?;
        let Some(login) = tx.login_of(account).await?.filter(|_| !verified) else {
            tx.rollback().await?;
            return Ok(false);
        };
        queue_link(
            &mut tx,
            account,
            &login.email,
            LinkPurpose::VerifyEmail,
            link_prefix,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Follows an emailed verification link: the address it was sent to becomes the account's
    /// verified alert address with alerts on (as `/verify` does in chat). `None` when the
    /// token is wrong, expired or used.
    #[tracing::instrument(skip_all)]
    pub async fn verify_email_link(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, LedgerError> {
        let mut tx = self.store.begin_write().await?;
        let used = tx
            .use_web_token(&hash(token), TokenPurpose::VerifyEmail.as_str(), now)
            .await?;
        let Some(row) = used else {
            tx.rollback().await?;
            return Ok(None);
        };
        let email = row.email.unwrap_or_default();
        tx.verify_email_address(AccountId(row.account_id), &email, now)
            .await?;
        tx.commit().await?;
        Ok(Some(email))
    }

    /// Emails a password-reset link when an account signs in with the address; does the same
    /// nothing, visibly, when none does (the caller answers alike either way).
    #[tracing::instrument(skip_all)]
    pub async fn request_password_reset(
        &self,
        email: &str,
        link_prefix: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        let Ok(email) = login_email(email) else {
            return Ok(());
        };
        let mut tx = self.store.begin_write().await?;
        let Some(login) = tx.login_by_email(&email).await? else {
            tx.rollback().await?;
            return Ok(());
        };
        let account = AccountId(login.account_id);
        // To the address as stored, never as typed.
        match queue_link(
            &mut tx,
            account,
            &login.email,
            LinkPurpose::ResetPassword,
            link_prefix,
            now,
        )
        .await
        {
            Ok(()) => {}
            // Enough links this hour: the same answer, and no more mail.
            Err(LedgerError::TooMany) => return Ok(()),
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether a reset token would work now (for showing the form), without using it.
    pub async fn reset_token_valid(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        Ok(self
            .token_valid(token, TokenPurpose::ResetPassword, now)
            .await?)
    }

    /// Sets a new password through a reset link and ends every session of the account;
    /// `false` when the token is wrong, expired or used (nothing changes then).
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(
        &self,
        token: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        let mut tx = self.store.begin_write().await?;
        let used = tx
            .use_web_token(&hash(token), TokenPurpose::ResetPassword.as_str(), now)
            .await?;
        let Some(row) = used else {
            tx.rollback().await?;
            return Ok(false);
        };
        let account = AccountId(row.account_id);
        tx.set_password(account, password_hash).await?;
        let ended = tx.delete_web_sessions_of(account).await?;
        let login = tx.login_of(account).await?;
        tx.commit().await?;
        tracing::info!(account = %account, ended, "password reset; sessions ended");
        // The new password may be tried at once, whatever the old one's failures were.
        if let Some(login) = login {
            self.store.clear_login_failures(&login.email).await?;
        }
        Ok(true)
    }

    /// A one-time token for the chat's sign-in link, valid for [`CHAT_LOGIN_TTL`].
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn chat_login_token(
        &self,
        s: &Session,
        now: DateTime<Utc>,
    ) -> Result<String, LedgerError> {
        let token = secret()?;
        let mut tx = self.store.begin_write().await?;
        tx.insert_web_token(
            &hash(&token),
            s.account.id,
            TokenPurpose::ChatLogin.as_str(),
            None,
            now,
            now + CHAT_LOGIN_TTL,
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Follows the chat's sign-in link: a new session of that chat's account; `None` when the
    /// token is wrong, expired or used.
    #[tracing::instrument(skip_all)]
    pub async fn chat_login(
        &self,
        token: &str,
        previous_cookie: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<WebSessionStart>, LedgerError> {
        let mut tx = self.store.begin_write().await?;
        let used = tx
            .use_web_token(&hash(token), TokenPurpose::ChatLogin.as_str(), now)
            .await?;
        let Some(row) = used else {
            tx.rollback().await?;
            return Ok(None);
        };
        let account = AccountId(row.account_id);
        let start = new_session(account)?;
        tx.insert_web_session(&hash(&start.cookie), account, &start.csrf, now)
            .await?;
        tx.commit().await?;
        if let Some(old) = previous_cookie {
            self.store.delete_web_session(&hash(old)).await?;
        }
        Ok(Some(start))
    }

    async fn token_valid(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let row = self.store.web_token(&hash(token)).await?;
        Ok(row.is_some_and(|r| {
            r.purpose == purpose.as_str() && r.used_at.is_none() && r.expires_at > now
        }))
    }
}

/// Makes a token of `purpose` for `email` and queues the email carrying its link (nothing
/// when there is no `link_prefix`: the service sends no email); at most
/// [`LINKS_PER_HOUR`] of one purpose per account in any hour, beyond that
/// [`LedgerError::TooMany`] (so nobody can flood an inbox through the forms).
pub(super) async fn queue_link(
    tx: &mut crate::store::Tx,
    account: AccountId,
    email: &str,
    purpose: LinkPurpose,
    link_prefix: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let Some(link_prefix) = link_prefix else {
        return Ok(());
    };
    let token_purpose = TokenPurpose::from(purpose);
    // Two requests at once (two replicas) count each other's links.
    tx.lock_account(account).await?;
    let recent = tx
        .count_web_tokens_since(account, token_purpose.as_str(), now - Duration::hours(1))
        .await?;
    if recent >= LINKS_PER_HOUR {
        return Err(LedgerError::TooMany);
    }
    let token = secret()?;
    let ttl = match purpose {
        LinkPurpose::VerifyEmail => VERIFY_LINK_TTL,
        LinkPurpose::ResetPassword => RESET_LINK_TTL,
    };
    tx.insert_web_token(
        &hash(&token),
        account,
        token_purpose.as_str(),
        Some(email),
        now,
        now + ttl,
    )
    .await?;
    let link = format!("{link_prefix}{token}");
    let message = OutboxEmail::Link {
        email,
        link: &link,
        purpose,
    };
    queue_email(tx, account, message, now).await
}
