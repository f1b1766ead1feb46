//! The conversation state of a follow-up question (the bot asked "how much?"): one opaque
//! payload per chat identity, taken once, ignored after it expires. What the payload says is
//! the bot's business; the ledger only keeps it.

use chrono::{DateTime, Utc};

use super::{Ledger, LedgerError, Session};

impl Ledger {
    /// Keeps conversation state for a follow-up (e.g. the bot asked "how much?").
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn set_pending(
        &self,
        s: &Session,
        payload: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), LedgerError> {
        Ok(self
            .store
            .set_pending(s.identity_id, payload, expires_at)
            .await?)
    }

    /// The conversation state, left in place; `None` when absent or expired. A recording that
    /// answers it removes it in its own transaction ([`super::Source::answers_pending`]).
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn pending(
        &self,
        s: &Session,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, LedgerError> {
        let pending = self.store.pending(s.identity_id).await?;
        Ok(pending.filter(|p| p.expires_at > now).map(|p| p.payload))
    }

    /// Takes (removes) the conversation state; `None` when absent or expired.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn take_pending(
        &self,
        s: &Session,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, LedgerError> {
        let pending = self.store.take_pending(s.identity_id).await?;
        Ok(pending.filter(|p| p.expires_at > now).map(|p| p.payload))
    }
}
