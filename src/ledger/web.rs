//! The web side's use cases: registration, sign-in state (sessions, failed attempts, password
//! changes), and the web identity of an account (`web:<account id>`), through which the web
//! speaks to the bot. Emailed links and the chat's sign-in link are in `web_links`.
//!
//! Secrets (session cookies, link tokens) are 256 random bits from the OS, shown once and
//! stored only as their SHA-256. Emailed links go to the outbox in the transaction that made
//! their token: a token exists exactly when its email is queued, and a failed request leaves
//! neither. This module never hashes or checks passwords (the web adapter does, and hands over
//! the argon2id hash), never sets a cookie, and never logs a token.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::alerts::clean_email;
use super::web_links::queue_link;
use super::{Ledger, LedgerError, LinkPurpose, Session};
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

/// What a token is good for: its `purpose` column (and an emailed link's payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChatLogin,
}

/// A `purpose` that names no [`TokenPurpose`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a token of an unknown purpose")]
pub struct UnknownTokenPurpose;

impl TokenPurpose {
    pub(super) const ALL: [TokenPurpose; 3] = [
        TokenPurpose::VerifyEmail,
        TokenPurpose::ResetPassword,
        TokenPurpose::ChatLogin,
    ];

    /// The purpose as the database stores it.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ChatLogin => "chat_login",
        }
    }
}

impl std::str::FromStr for TokenPurpose {
    type Err = UnknownTokenPurpose;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenPurpose::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(UnknownTokenPurpose)
    }
}

impl From<LinkPurpose> for TokenPurpose {
    fn from(p: LinkPurpose) -> Self {
        match p {
            LinkPurpose::VerifyEmail => TokenPurpose::VerifyEmail,
            LinkPurpose::ResetPassword => TokenPurpose::ResetPassword,
        }
    }
}

impl TryFrom<TokenPurpose> for LinkPurpose {
    type Error = UnknownTokenPurpose;

    /// The emailed link of a token; the chat's sign-in link is never emailed.
    fn try_from(p: TokenPurpose) -> Result<Self, Self::Error> {
        match p {
            TokenPurpose::VerifyEmail => Ok(LinkPurpose::VerifyEmail),
            TokenPurpose::ResetPassword => Ok(LinkPurpose::ResetPassword),
            TokenPurpose::ChatLogin => Err(UnknownTokenPurpose),
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

/// A sign-in to create: the address as typed and the argon2id hash of the password (the web
/// adapter hashes it). No `Debug`: the hash stays out of logs.
#[derive(Clone, Copy)]
pub struct NewLogin<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
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
    /// Creates an account that signs in with `login`, with its web identity, and signs it in. The address becomes the account's alert address
    /// (unverified), and a verification link (`link_prefix` + token) goes to the outbox (none
    /// when `link_prefix` is `None`: the service sends no email).
    #[tracing::instrument(skip_all)]
    pub async fn register(
        &self,
        login: NewLogin<'_>,
        language: Option<&str>,
        link_prefix: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Registration, LedgerError> {
        let email = login_email(login.email)?;
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
            .insert_login(account.id, &email, Some(login.password_hash), now)
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
            LinkPurpose::VerifyEmail,
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
        login: NewLogin<'_>,
        link_prefix: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        let email = login_email(login.email)?;
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
            .insert_login(account, &email, Some(login.password_hash), now)
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
            LinkPurpose::VerifyEmail,
            link_prefix,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
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

    /// The session of an account's web identity (`web:<account id>`), created on first use.
    async fn web_session_of(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> Result<Session, LedgerError> {
        let identity = web_identity(account)?;
        if let Some(m) = self.store.member(&identity).await? {
            if m.account.id == account {
                return Ok(Session::of_member(m));
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
}

/// The web identity of an account.
pub(super) fn web_identity(account: AccountId) -> Result<ChatIdentity, LedgerError> {
    ChatIdentity::new(Platform::Web, &account.0.to_string())
        .map_err(|e| LedgerError::Other(Box::new(e)))
}

pub(super) fn new_session(account: AccountId) -> Result<WebSessionStart, LedgerError> {
    Ok(WebSessionStart {
        cookie: secret()?,
        csrf: secret()?,
        account,
    })
}

/// 256 bits from the OS random generator, as 64 hex digits.
pub(super) fn secret() -> Result<String, LedgerError> {
    use rand::TryRngCore;
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| LedgerError::Other(Box::new(e)))?;
    Ok(to_hex(&bytes))
}

/// The SHA-256 of a secret, as stored.
pub(super) fn hash(secret: &str) -> String {
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
    fn every_token_purpose_round_trips_as_the_stored_text() {
        for purpose in TokenPurpose::ALL {
            assert_eq!(purpose.as_str().parse(), Ok(purpose));
        }
        let stored: Vec<&str> = TokenPurpose::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(stored, ["verify_email", "reset_password", "chat_login"]);
        assert_eq!(
            "VerifyEmail".parse::<TokenPurpose>(),
            Err(UnknownTokenPurpose)
        );
        for link in [LinkPurpose::VerifyEmail, LinkPurpose::ResetPassword] {
            assert_eq!(LinkPurpose::try_from(TokenPurpose::from(link)), Ok(link));
        }
        assert!(LinkPurpose::try_from(TokenPurpose::ChatLogin).is_err());
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
