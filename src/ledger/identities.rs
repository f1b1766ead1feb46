//! Who is speaking: the session of a chat identity, created with its account (from the
//! ledger's defaults) on first contact, and whether an identity can be written to (alerts skip
//! identities whose person blocked the bot). Two replicas meeting the same person at once end
//! with one account: the loser of the race drops its own.

use chrono::Utc;

use super::settings::clean_language;
use super::{Ledger, LedgerError, Session};
use crate::domain::ChatIdentity;
use crate::store::StoreError;

impl Ledger {
    /// Finds the identity's account, creating identity and account (with the defaults;
    /// `language` overrides the default language when given) on first contact.
    #[tracing::instrument(skip_all, fields(identity = %identity))]
    pub async fn session(
        &self,
        identity: &ChatIdentity,
        display_name: Option<&str>,
        language: Option<&str>,
    ) -> Result<Session, LedgerError> {
        if let Some(m) = self.store.member(identity).await? {
            if m.unreachable {
                // A person who writes to the bot can be written to again. The flag came with
                // the read above, so this costs a write only when it is set.
                match self.store.set_reachable(identity, true).await {
                    Ok(_) => tracing::info!(account = %m.account.id, "identity reachable again"),
                    Err(e) => tracing::warn!(error = %e, "could not mark the identity reachable"),
                }
            }
            return Ok(Session::of_member(m));
        }
        self.first_contact(identity, display_name, language).await
    }

    /// Creates the identity and its account; the session of whoever created them first when
    /// another replica (or a concurrent message) did so meanwhile.
    async fn first_contact(
        &self,
        identity: &ChatIdentity,
        display_name: Option<&str>,
        language: Option<&str>,
    ) -> Result<Session, LedgerError> {
        let language = language
            .map(clean_language)
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| self.defaults.language.clone());
        let display_name = display_name.map(str::trim).filter(|n| !n.is_empty());
        let now = Utc::now();
        let mut tx = self.store.begin_write().await?;
        // Someone else may have created it since the read before this (a second replica, say).
        if let Some(m) = tx.member(identity).await? {
            tx.rollback().await?;
            return Ok(Session::of_member(m));
        }
        let account = tx
            .insert_account(
                self.defaults.currency,
                self.defaults.timezone,
                &language,
                now,
            )
            .await?;
        match tx
            .insert_identity(identity, display_name, account.id, now)
            .await
        {
            Ok(identity_id) => {
                tx.commit().await?;
                tracing::info!(account = %account.id, "account created on first contact");
                Ok(Session {
                    account,
                    identity_id,
                    created: true,
                })
            }
            Err(StoreError::Conflict) => {
                // A concurrent first contact won; dropping the transaction discards our account.
                drop(tx);
                let m = self
                    .store
                    .member(identity)
                    .await?
                    .ok_or(LedgerError::NotFound)?;
                Ok(Session::of_member(m))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Marks a chat identity reachable or not (a user blocked the bot, or closed their
    /// messages); alerts skip unreachable ones. An unknown identity is `Ok(())`: nothing
    /// changes.
    #[tracing::instrument(skip_all, fields(identity = %identity, reachable))]
    pub async fn set_reachable(
        &self,
        identity: &ChatIdentity,
        reachable: bool,
    ) -> Result<(), LedgerError> {
        self.store.set_reachable(identity, reachable).await?;
        Ok(())
    }

    /// Whether the identity is marked reachable (`true` for unknown identities).
    #[tracing::instrument(skip_all, level = "debug", fields(identity = %identity))]
    pub async fn is_reachable(&self, identity: &ChatIdentity) -> Result<bool, LedgerError> {
        Ok(self.store.reachable(identity).await?.unwrap_or(true))
    }
}
