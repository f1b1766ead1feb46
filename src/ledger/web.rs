//! The web side's use cases: registration, sign-in state (sessions, failed attempts), emailed
//! links (email verification, password reset), the chat's one-time sign-in link, and the web
//! identity of an account (`web:<account id>`), through which the web speaks to the bot.
//!
//! Secrets (session cookies, link tokens) are 256 random bits from the OS, shown once and
//! stored only as their SHA-256. Emailed links go to the outbox in the transaction that made
//! their token, so a link is sent exactly once even when the request is retried. This module
//! never hashes or checks passwords (the web adapter does, and hands over the argon2id hash),
//! never sets a cookie, and never logs a token.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::alerts::{KIND_EMAIL_LINK, clean_email};
use super::{Ledger, LedgerError, Session};
use crate::domain::{AccountId, ChatIdentity, Platform};
use crate::store::StoreError;

/// A web session ends after this long without a request.
pub const WEB_SESSION_IDLE: Duration = Duration::days(30);
/// How often a live session's last-seen time is written (not on every request).
const TOUCH_EVERY: Duration = Duration::hours(1);
/// How long an emailed verification link works.
pub const VERIFY_LINK_TTL: Duration = Duration::days(2);
/// How long a password-reset link works.
pub const RESET_LINK_TTL: Duration = Duration::hours(1);
/// How long the chat's sign-in link works.
pub const CHAT_LOGIN_TTL: Duration = Duration::minutes(15);
/// Emailed links of one purpose an account can be sent in any hour.
pub const LINKS_PER_HOUR: i64 = 5;
/// Failed sign-ins for one address within [`LOGIN_FAILURE_WINDOW`] before the next wait.
pub const LOGIN_FAILURES_MAX: i64 = 10;
pub const LOGIN_FAILURE_WINDOW: Duration = Duration::minutes(15);

/// What a token is good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChatLogin,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChatLogin => "chat_login",
        }
    }
}

/// A web session just started: the cookie value (secret: only the browser keeps it) and the
/// CSRF token of its forms.
#[derive(Debug, Clone)]
pub struct WebSessionStart {
    pub cookie: String,
    pub csrf: String,
    pub account: AccountId,
}

/// A signed-in web visitor.
#[derive(Debug, Clone)]
pub struct WebVisit {
    /// The account, through its web identity (so the bot can answer typed text).
    pub session: Session,
    pub csrf: String,
    /// The address and whether a password is set; `None` for an account that came from a
    /// chat link and set neither yet.
    pub login: Option<WebLogin>,
}

/// An account's sign-in address.
#[derive(Debug, Clone)]
pub struct WebLogin {
    pub email: String,
    pub has_password: bool,
}

/// What a registration did.
#[derive(Debug, Clone)]
pub enum Registration {
    Created(WebSessionStart),
    /// Another account signs in with this address; nothing changed.
    EmailTaken,
}

/// The stored sign-in an address has.
#[derive(Debug, Clone)]
pub struct LoginCandidate {
    pub account: AccountId,
    /// The argon2id PHC string; `None` when no password was set.
    pub password_hash: Option<String>,
}

/// An address as used for signing in: checked, trimmed and lower-cased.
pub fn login_email(email: &str) -> Result<String, LedgerError> {
    clean_email(email).map(|e| e.to_lowercase())
}

impl Ledger {
    /// Creates an account that signs in with `email` and the given password hash, with its
    /// web identity, and signs it in. The address becomes the account's alert address
    /// (unverified), and a verification link (`link_prefix` + token) goes to the outbox (none
    /// when `link_prefix` is `None`: the service sends no email).
    #[tracing::instrument(skip_all)]
    pub async fn register(
        &self,
        email: &str,
        password_hash: &str,
        language: Option<&str>,
        link_prefix: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Registration, LedgerError> {
        let email = login_email(email)?;
        let language = language
            .filter(|l| !l.is_empty())
            .unwrap_or(&self.defaults.language);
        let mut tx = self.store.begin_write().await?;
        if tx.login_by_email(&email).await?.is_some() {
            tx.rollback().await?;
            return Ok(Registration::EmailTaken);
        }
        let account = tx
            .insert_account(
                self.defaults.currency,
                self.defaults.timezone,
                language,
                now,
            )
            .await?;
        let identity = web_identity(account.id)?;
        tx.insert_identity(&identity, None, account.id, now).await?;
        match tx
            .insert_login(account.id, &email, Some(password_hash), now)
            .await
        {
            Ok(()) => {}
            // A concurrent registration of the same address won.
            Err(StoreError::Conflict) => return Ok(Registration::EmailTaken),
            Err(e) => return Err(e.into()),
        }
        tx.upsert_email_address(account.id, &email).await?;
        queue_link(
            &mut tx,
            account.id,
            &email,
            TokenPurpose::VerifyEmail,
            link_prefix,
            now,
        )
        .await?;
        let start = new_session(account.id)?;
        tx.insert_web_session(&hash(&start.cookie), account.id, &start.csrf, now)
            .await?;
        tx.commit().await?;
        tracing::info!(account = %account.id, "account registered on the web");
        Ok(Registration::Created(start))
    }

    /// Gives a signed-in account without a sign-in address (it came from a chat link) an
    /// address and a password, and emails a verification link; `false` (nothing changes)
    /// when another account signs in with the address. An account that has one changes
    /// neither here.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn add_web_login(
        &self,
        s: &Session,
        email: &str,
        password_hash: &str,
        link_prefix: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        let email = login_email(email)?;
        let account = s.account.id;
        let mut tx = self.store.begin_write().await?;
        if tx.login_of(account).await?.is_some() {
            tx.rollback().await?;
            return Err(LedgerError::Other(
                "this account already has a sign-in".into(),
            ));
        }
        if tx.login_by_email(&email).await?.is_some() {
            tx.rollback().await?;
            return Ok(false);
        }
        match tx
            .insert_login(account, &email, Some(password_hash), now)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        tx.upsert_email_address(account, &email).await?;
        queue_link(
            &mut tx,
            account,
            &email,
            TokenPurpose::VerifyEmail,
            link_prefix,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

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
            TokenPurpose::VerifyEmail,
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

    /// How long the address must wait before it may try to sign in again, when it failed
    /// [`LOGIN_FAILURES_MAX`] times within [`LOGIN_FAILURE_WINDOW`].
    pub async fn sign_in_wait(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Duration>, LedgerError> {
        let email = email.trim().to_lowercase();
        let failures = self
            .store
            .login_failures_since(&email, now - LOGIN_FAILURE_WINDOW)
            .await?;
        if failures.failures < LOGIN_FAILURES_MAX {
            return Ok(None);
        }
        let oldest = failures.oldest.unwrap_or(now);
        Ok(Some(
            (oldest + LOGIN_FAILURE_WINDOW - now).max(Duration::seconds(1)),
        ))
    }

    /// Counts a sign-in attempt for the address as failed; [`Ledger::signed_in`] forgets the
    /// address's failures when the password was right.
    pub async fn sign_in_attempted(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        let email = email.trim().to_lowercase();
        // Only the window counts, so older failures of this address go as new ones come.
        self.store
            .forget_login_failures_before(&email, now - LOGIN_FAILURE_WINDOW)
            .await?;
        Ok(self.store.insert_login_failure(&email, now).await?)
    }

    /// The sign-in stored for an address, if any.
    pub async fn sign_in_candidate(
        &self,
        email: &str,
    ) -> Result<Option<LoginCandidate>, LedgerError> {
        let Ok(email) = login_email(email) else {
            return Ok(None);
        };
        Ok(self
            .store
            .login_by_email(&email)
            .await?
            .map(|l| LoginCandidate {
                account: AccountId(l.account_id),
                password_hash: l.password_hash,
            }))
    }

    /// Starts a session for an account whose password checked out; the session the browser
    /// had (if any) ends, so the id changes at every sign-in, and the address's failures are
    /// forgotten.
    #[tracing::instrument(skip_all, fields(account = %account))]
    pub async fn signed_in(
        &self,
        account: AccountId,
        email: &str,
        previous_cookie: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<WebSessionStart, LedgerError> {
        if let Some(old) = previous_cookie {
            self.store.delete_web_session(&hash(old)).await?;
        }
        self.store
            .clear_login_failures(&email.trim().to_lowercase())
            .await?;
        let start = new_session(account)?;
        self.store
            .insert_web_session(&hash(&start.cookie), account, &start.csrf, now)
            .await?;
        Ok(start)
    }

    /// The signed-in visitor of a session cookie; `None` when the session is unknown or was
    /// idle longer than [`WEB_SESSION_IDLE`] (then it is removed).
    #[tracing::instrument(skip_all, level = "debug")]
    pub async fn web_visit(
        &self,
        cookie: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WebVisit>, LedgerError> {
        let id_hash = hash(cookie);
        let Some(row) = self.store.web_session(&id_hash).await? else {
            return Ok(None);
        };
        if row.last_seen_at + WEB_SESSION_IDLE < now {
            self.store.delete_web_session(&id_hash).await?;
            return Ok(None);
        }
        if row.last_seen_at + TOUCH_EVERY < now {
            self.store.touch_web_session(&id_hash, now).await?;
        }
        let account = AccountId(row.account_id);
        let session = self.web_session_of(account, now).await?;
        let login = self.store.login_of(account).await?.map(|l| WebLogin {
            email: l.email,
            has_password: l.password_hash.is_some(),
        });
        Ok(Some(WebVisit {
            session,
            csrf: row.csrf_token,
            login,
        }))
    }

    /// Ends the session of a cookie (nothing happens for an unknown one).
    pub async fn sign_out(&self, cookie: &str) -> Result<(), LedgerError> {
        Ok(self.store.delete_web_session(&hash(cookie)).await?)
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
            TokenPurpose::ResetPassword,
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

    /// Sets a new password for a signed-in account (whose current password the caller checked)
    /// and ends every other session of it; the one of `cookie` stays.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn change_password(
        &self,
        s: &Session,
        password_hash: &str,
        cookie: &str,
    ) -> Result<(), LedgerError> {
        let account = s.account.id;
        let mut tx = self.store.begin_write().await?;
        if !tx.set_password(account, password_hash).await? {
            tx.rollback().await?;
            return Err(LedgerError::NotFound);
        }
        let ended = tx.delete_other_web_sessions(account, &hash(cookie)).await?;
        tx.commit().await?;
        tracing::info!(account = %account, ended, "password changed; other sessions ended");
        Ok(())
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

    /// The session of an account's web identity (`web:<account id>`), created on first use.
    async fn web_session_of(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Session, LedgerError> {
        let identity = web_identity(account)?;
        if let Some(m) = self.store.member(&identity).await? {
            if m.account.id == account {
                return Ok(Session {
                    account: m.account,
                    identity_id: m.identity_id,
                    created: false,
                });
            }
        }
        let mut tx = self.store.begin_write().await?;
        let identity_id = match tx.member(&identity).await? {
            Some(m) if m.account.id == account => m.identity_id,
            Some(m) => {
                // The web identity was linked elsewhere (a code redeemed from the web): it
                // belongs with the account that signs in with it.
                tx.move_identity(m.identity_id, account).await?;
                m.identity_id
            }
            None => tx.insert_identity(&identity, None, account, now).await?,
        };
        let account = tx.account(account).await?;
        tx.commit().await?;
        Ok(Session {
            account,
            identity_id,
            created: false,
        })
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

/// The web identity of an account.
fn web_identity(account: AccountId) -> Result<ChatIdentity, LedgerError> {
    ChatIdentity::new(Platform::Web, &account.0.to_string())
        .map_err(|e| LedgerError::Other(Box::new(e)))
}

/// Makes a token of `purpose` for `email` and queues the email carrying its link (nothing
/// when there is no `link_prefix`: the service sends no email); at most
/// [`LINKS_PER_HOUR`] of one purpose per account in any hour, beyond that
/// [`LedgerError::TooMany`] (so nobody can flood an inbox through the forms).
async fn queue_link(
    tx: &mut crate::store::Tx,
    account: AccountId,
    email: &str,
    purpose: TokenPurpose,
    link_prefix: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), LedgerError> {
    let Some(link_prefix) = link_prefix else {
        return Ok(());
    };
    // Two requests at once (two replicas) count each other's links.
    tx.lock_account(account).await?;
    let recent = tx
        .count_web_tokens_since(account, purpose.as_str(), now - Duration::hours(1))
        .await?;
    if recent >= LINKS_PER_HOUR {
        return Err(LedgerError::TooMany);
    }
    let token = secret()?;
    let ttl = match purpose {
        TokenPurpose::VerifyEmail => VERIFY_LINK_TTL,
        TokenPurpose::ResetPassword => RESET_LINK_TTL,
        TokenPurpose::ChatLogin => CHAT_LOGIN_TTL,
    };
    tx.insert_web_token(
        &hash(&token),
        account,
        purpose.as_str(),
        Some(email),
        now,
        now + ttl,
    )
    .await?;
    let payload = serde_json::json!({
        "email": email,
        "purpose": purpose.as_str(),
        "link": format!("{link_prefix}{token}"),
    })
    .to_string();
    tx.insert_outbox_message(account, KIND_EMAIL_LINK, &payload, now)
        .await?;
    Ok(())
}

fn new_session(account: AccountId) -> Result<WebSessionStart, LedgerError> {
    Ok(WebSessionStart {
        cookie: secret()?,
        csrf: secret()?,
        account,
    })
}

/// 256 bits from the OS random generator, as 64 hex digits.
fn secret() -> Result<String, LedgerError> {
    use rand::TryRngCore;
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| LedgerError::Other(Box::new(e)))?;
    Ok(to_hex(&bytes))
}

/// The SHA-256 of a secret, as stored.
fn hash(secret: &str) -> String {
    to_hex(&Sha256::digest(secret.as_bytes()))
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_64_hex_digits_and_differ() {
        let a = secret().expect("os rng");
        let b = secret().expect("os rng");
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn login_addresses_are_lower_cased_and_checked() {
        assert_eq!(
            login_email(" Ana@Example.COM ").ok(),
            Some("ana@example.com".into())
        );
        assert!(login_email("not an address").is_err());
    }
}
