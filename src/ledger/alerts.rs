//! Overspend alerts and the addresses they go to: the outbox of alerts (written by
//! [`Ledger::record`] and the edits in the same transaction as the change that passed a
//! threshold, and by [`Ledger::start_email_verification`] for email codes), claimed by delivery
//! workers, marked sent or failed; who an alert reaches; and verified email addresses with
//! six-digit codes. How a row's kind and payload read as text is `outbox`'s business.
//!
//! Each alert is due once: a limit alert is unique per (limit, period, threshold), and a claim
//! is exclusive until it goes stale (its worker died), when the next worker takes it over.
//! Nothing here sends anything, and codes are never logged.

use chrono::{DateTime, Duration, Utc};

use super::outbox::{OutboxEmail, alert_of, queue_email};
use super::{Ledger, LedgerError, Session, Threshold};
use crate::domain::{
    Account, AccountId, ChatIdentity, DateRange, Entry, EntryKind, EventKey, Limit, Summary,
};
use crate::store::EntryFilter;

/// How long an email code stays valid.
pub const EMAIL_CODE_TTL: Duration = Duration::minutes(15);
/// At most this many email codes per account in any hour.
pub const EMAIL_CODES_PER_HOUR: i64 = 5;
/// Wrong guesses a code survives: the fifth wrong one kills it.
pub const EMAIL_CODE_GUESSES: i32 = 5;
pub use crate::domain::EMAIL_MAX_CHARS;
/// The longest delivery error kept with an alert.
pub const ERROR_MAX_CHARS: usize = 500;

const EMAIL_CODE_LEN: usize = 6;

/// What an alert is about.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertKind {
    /// Spending against `limit` in `range` passed `threshold`.
    Limit {
        limit: Limit,
        range: DateRange,
        threshold: Threshold,
    },
    /// A verification code to email to `email`.
    EmailCode { email: String, code: String },
    /// A link to email to `email`: to verify the address, or to reset the password.
    EmailLink {
        email: String,
        link: String,
        purpose: LinkPurpose,
    },
}

/// What an emailed link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    VerifyEmail,
    ResetPassword,
}

/// Who an alert reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecipients {
    /// The account's reachable chat identities, oldest first.
    pub chats: Vec<ChatIdentity>,
    /// The verified address, when alerts by email are on.
    pub email: Option<String>,
}

/// Spending of an account in a range, for an alert's body.
#[derive(Debug, Clone)]
pub struct AccountOverview {
    pub summary: Summary,
    /// The last expenses of the range, newest first.
    pub recent: Vec<Entry>,
}

/// An account's alert address and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    pub email: String,
    /// The address was proven with a code or an emailed link.
    pub verified: bool,
    /// Alerts go to it by email (only ever when it is verified).
    pub alerts_on: bool,
}

/// An alert claimed for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: i64,
    pub account: Account,
    pub kind: AlertKind,
    /// Delivery attempts so far, this one included.
    pub attempts: i32,
    /// Its chat messages went out on an earlier attempt (only its email is left).
    pub chats_sent: bool,
}

impl Ledger {
    /// Claims up to `max` due alerts for `worker`: pending ones whose `next_attempt_at <= now`,
    /// and `sending` ones claimed before `now - stale_after` (their worker died). Sets status
    /// `sending`, `claimed_by`, `claimed_at` and `attempts += 1`. On PostgreSQL and MySQL the
    /// rows are claimed with `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent workers never
    /// claim the same alert; SQLite is one process (its single writer serialises claims). A
    /// claimed row that cannot be read back as an alert is marked failed and not returned.
    #[tracing::instrument(skip_all, fields(worker = worker, max = max))]
    pub async fn claim_alerts(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        max: u32,
        stale_after: Duration,
    ) -> Result<Vec<Alert>, LedgerError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let claimed = self
            .store
            .claim_alerts(worker, now, now - stale_after, max)
            .await?;
        let mut alerts = Vec::with_capacity(claimed.len());
        for row in claimed {
            let id = row.id;
            match alert_of(row) {
                Ok(alert) => alerts.push(alert),
                Err(why) => {
                    tracing::warn!(alert = id, why, "unreadable alert marked failed");
                    self.store.alert_failed(id, worker, why, None).await?;
                }
            }
        }
        Ok(alerts)
    }

    /// Marks an alert delivered by `worker`. [`LedgerError::NotFound`] when there is no such
    /// alert, or another worker has taken its claim over (only the owner records an outcome).
    #[tracing::instrument(skip_all, fields(alert = id))]
    pub async fn alert_sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        if self.store.alert_sent(id, worker, now).await? {
            Ok(())
        } else {
            Err(LedgerError::NotFound)
        }
    }

    /// Records that an alert's chat messages went out, so that a retry (of its email) sends
    /// them no more.
    #[tracing::instrument(skip_all, fields(alert = id))]
    pub async fn alert_chats_sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        self.store.alert_chats_sent(id, worker, now).await?;
        Ok(())
    }

    /// A delivery by `worker` failed. `retry_at` Some: back to pending for then; None: failed
    /// for good. Ignored unless `worker` holds the claim.
    /// `error` is stored (truncated to [`ERROR_MAX_CHARS`] characters). An alert already
    /// delivered (or gone) is left as it is.
    #[tracing::instrument(skip_all, fields(alert = id, retry = retry_at.is_some()))]
    pub async fn alert_failed(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), LedgerError> {
        let error: String = error.chars().take(ERROR_MAX_CHARS).collect();
        self.store
            .alert_failed(id, worker, &error, retry_at)
            .await?;
        Ok(())
    }

    /// The account's reachable chat identities (for chat alerts; identities marked
    /// unreachable are left out, oldest first), and its verified address when alerts by email
    /// are on.
    #[tracing::instrument(skip_all, fields(account = %account))]
    pub async fn alert_recipients(
        &self,
        account: AccountId,
    ) -> Result<AlertRecipients, LedgerError> {
        let chats = self.store.reachable_identities(account).await?;
        let email = self.store.alert_email(account).await?;
        Ok(AlertRecipients { chats, email })
    }

    /// Spending of the account in a range (for an alert's body): the summary, and the last `n`
    /// expenses (newest first).
    #[tracing::instrument(skip_all, fields(account = %account))]
    pub async fn account_overview(
        &self,
        account: AccountId,
        range: DateRange,
        n: u32,
    ) -> Result<AccountOverview, LedgerError> {
        let summary = self.summary_of(account, range, None).await?;
        let recent = if n == 0 {
            Vec::new()
        } else {
            let filter = EntryFilter {
                range: Some(range),
                category: None,
                kind: Some(EntryKind::Expense),
                text: None,
                limit: n,
                offset: 0,
            };
            self.store.entries(account, &filter).await?
        };
        Ok(AccountOverview { summary, recent })
    }

    /// `/email you@example.com`: stores the address (a different one than before starts
    /// unverified, with alerts off) and queues a six-digit code (from the OS random generator)
    /// in the outbox as an [`AlertKind::EmailCode`] alert, in one transaction. Codes expire
    /// after [`EMAIL_CODE_TTL`]; at most [`EMAIL_CODES_PER_HOUR`] per account in any hour,
    /// beyond that [`LedgerError::TooMany`] and nothing changes. A malformed address is
    /// [`LedgerError::InvalidEmail`].
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn start_email_verification(
        &self,
        s: &Session,
        email: &str,
        event: Option<&EventKey>,
        now: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        let email = clean_email(email)?;
        let code = new_email_code()?;
        let account = s.account.id;
        let mut tx = self.store.begin_write().await?;
        // A redelivered `/email` sends no second code (which would also kill the first).
        super::claim(&mut tx, event, s, now).await?;
        // Two requests at once (two replicas) count each other's codes.
        tx.lock_account(account).await?;
        let recent = tx
            .count_email_codes_since(account, now - Duration::hours(1))
            .await?;
        if recent >= EMAIL_CODES_PER_HOUR {
            tx.rollback().await?;
            return Err(LedgerError::TooMany);
        }
        tx.upsert_email_address(account, &email).await?;
        let hash = email_code_hash(account, &code);
        tx.insert_email_code(account, &email, &hash, now, now + EMAIL_CODE_TTL)
            .await?;
        let message = OutboxEmail::Code {
            email: &email,
            code: &code,
        };
        queue_email(&mut tx, account, message, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `/verify 123456`: checks the code against the account's newest unused, unexpired one;
    /// marks that code used and its address verified, with alerts on. A wrong, expired or used
    /// code is [`LedgerError::InvalidCode`]; a wrong one counts against the code, which dies
    /// after [`EMAIL_CODE_GUESSES`]. Keyed by `event` like every write. Returns the address.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn verify_email(
        &self,
        s: &Session,
        code: &str,
        event: Option<&EventKey>,
        now: DateTime<Utc>,
    ) -> Result<String, LedgerError> {
        let code = normalise_email_code(code).ok_or(LedgerError::InvalidCode)?;
        let account = s.account.id;
        let mut tx = self.store.begin_write().await?;
        // A redelivered `/verify` is not a second guess.
        super::claim(&mut tx, event, s, now).await?;
        let Some(row) = tx
            .newest_email_code(account, now, EMAIL_CODE_GUESSES)
            .await?
        else {
            tx.rollback().await?;
            return Err(LedgerError::InvalidCode);
        };
        if !same_code(row.code_hash.trim(), &email_code_hash(account, &code)) {
            // Counted, and kept even though the answer is "wrong": after the fifth the code is
            // dead, so six digits cannot be guessed by trying.
            tx.email_code_guessed_wrong(row.id).await?;
            tx.commit().await?;
            return Err(LedgerError::InvalidCode);
        }
        tx.mark_email_code_used(row.id, now).await?;
        tx.verify_email_address(account, &row.email, now).await?;
        // One address per account: once proven, the web signs in with it too (unless another
        // account signs in with it already). Never before it is proven, or anyone with the
        // chat could point the sign-in at their own mailbox.
        let lower = row.email.to_lowercase();
        if tx.login_of(account).await?.is_some() && tx.login_by_email(&lower).await?.is_none() {
            tx.set_login_email(account, &lower).await?;
        }
        tx.commit().await?;
        Ok(row.email)
    }

    /// `/email off`: no more emails (the address stays, and stays verified). `false` when
    /// they were not on.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn email_off(&self, s: &Session) -> Result<bool, LedgerError> {
        Ok(self.store.email_off(s.account.id).await?)
    }

    /// The account's alert address, whether it is verified, and whether alerts by email are
    /// on; `None` when it has none.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn email_settings(&self, s: &Session) -> Result<Option<EmailSettings>, LedgerError> {
        let address = self.store.email_address(s.account.id).await?;
        Ok(address.map(|a| EmailSettings {
            email: a.email,
            verified: a.verified,
            alerts_on: a.alerts_on,
        }))
    }
}

/// A person's own address as the service accepts it, trimmed: see
/// [`crate::domain::EmailAddress::parse_public`].
pub(super) fn clean_email(email: &str) -> Result<String, LedgerError> {
    crate::domain::EmailAddress::parse_public(email)
        .map(crate::domain::EmailAddress::into_string)
        .map_err(|_| LedgerError::InvalidEmail)
}

/// Six digits as typed, spaces and dashes ignored.
fn normalise_email_code(code: &str) -> Option<String> {
    let code: String = code
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    (code.len() == EMAIL_CODE_LEN && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// How a code is kept: the SHA-256 of the account and the code, in hex. Never the code itself,
/// so that reading the table does not hand out codes (a million codes are few enough to try
/// offline, which is why wrong guesses online are bounded and codes expire in minutes).
fn email_code_hash(account: AccountId, code: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("spendbot-email-code:{account}:{code}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two codes without stopping at the first difference.
fn same_code(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A generator seeded from the operating system, for codes people type.
pub(super) fn code_rng() -> Result<rand::rngs::StdRng, LedgerError> {
    use rand::SeedableRng;
    rand::rngs::StdRng::try_from_os_rng().map_err(|e| LedgerError::Other(Box::new(e)))
}

/// Six decimal digits, uniformly drawn.
fn new_email_code() -> Result<String, LedgerError> {
    use rand::Rng;
    let n: u32 = code_rng()?.random_range(0..1_000_000);
    Ok(format!("{n:06}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_checked_minimally() {
        assert_eq!(
            clean_email("  you@example.com ").ok().as_deref(),
            Some("you@example.com")
        );
        assert!(clean_email("a.b+tag@sub.example.co.uk").is_ok());
        for bad in [
            "",
            "you",
            "@example.com",
            "you@example",
            "you@@example.com",
            "y@u@example.com",
            "you @example.com",
            "you@.com",
            "you@example.",
            "you@exa..mple.com",
        ] {
            assert!(
                matches!(clean_email(bad), Err(LedgerError::InvalidEmail)),
                "{bad}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(matches!(clean_email(&long), Err(LedgerError::InvalidEmail)));
    }

    #[test]
    fn email_codes_are_six_digits() {
        for _ in 0..50 {
            let code = new_email_code().expect("os rng");
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
            assert_eq!(normalise_email_code(&code), Some(code));
        }
        assert_eq!(normalise_email_code(" 123-456 "), Some("123456".into()));
        assert_eq!(normalise_email_code("12345"), None);
        assert_eq!(normalise_email_code("12345a"), None);
        assert!(same_code("123456", "123456"));
        assert!(!same_code("123456", "123457"));
        assert!(!same_code("123456", "12345"));
    }
}
