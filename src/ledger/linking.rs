//! Linking chat identities: a one-time code made in one chat and typed in another joins the
//! second identity to the first one's account; an account left with no identity is merged
//! into it. Codes come from the OS random generator, avoid characters people confuse, expire
//! after [`LINK_CODE_TTL`] and work once. Codes are never logged.

use chrono::{DateTime, Duration, Utc};

use super::{Ledger, LedgerError, Session, claim};
use crate::domain::{AccountId, EventKey};
use crate::store::StoreError;

/// How long a link code stays valid.
pub const LINK_CODE_TTL: Duration = Duration::minutes(10);
/// The characters of a link code: no 0/O, 1/I/L, which people confuse when typing.
const LINK_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const LINK_CODE_LEN: usize = 8;

/// A one-time code that joins another chat identity to an account.
#[derive(Debug, Clone)]
pub struct LinkCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

impl Ledger {
    /// A one-time code (8 characters, from the OS random generator), valid for
    /// [`LINK_CODE_TTL`], that joins another chat identity to this account. Keyed by `event`:
    /// the same event again is [`LedgerError::Duplicate`].
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn create_link_code(
        &self,
        s: &Session,
        event: Option<&EventKey>,
        now: DateTime<Utc>,
    ) -> Result<LinkCode, LedgerError> {
        let expires_at = now + LINK_CODE_TTL;
        // A clash among 31^8 codes is unlikely; a few attempts make it practically impossible.
        for _ in 0..4 {
            let code = new_link_code()?;
            let mut tx = self.store.begin_write().await?;
            // A redelivered `/link` makes no second code.
            claim(&mut tx, event, s, now).await?;
            match tx
                .insert_link_code(&code, s.account.id, now, expires_at)
                .await
            {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(LinkCode { code, expires_at });
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(LedgerError::Other("could not find a free link code".into()))
    }

    /// Joins this identity to the code's account (the code in any case). A wrong, expired or
    /// used code is [`LedgerError::InvalidCode`] and changes nothing. When the identity's old
    /// account is left with no identity, its entries move into the joined account and the old
    /// account (with its limits) is removed. Returns the new session.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn redeem_link_code(
        &self,
        s: &Session,
        code: &str,
        now: DateTime<Utc>,
        event: Option<&EventKey>,
    ) -> Result<Session, LedgerError> {
        let code = normalise_link_code(code).ok_or(LedgerError::InvalidCode)?;
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, now).await?;
        let row = tx.link_code_for_update(&code).await?;
        let Some(row) = row.filter(|r| r.used_at.is_none() && r.expires_at > now) else {
            tx.rollback().await?;
            return Err(LedgerError::InvalidCode);
        };
        let target = AccountId(row.account_id);
        tx.mark_link_code_used(&code, s.identity_id, now).await?;
        let old = s.account.id;
        if target != old {
            tx.move_identity(s.identity_id, target).await?;
            if tx.count_identities(old).await? == 0 {
                let moved = tx.move_entries(old, target).await?;
                tx.delete_account(old).await?;
                tracing::info!(from = %old, to = %target, moved, "abandoned account merged");
            }
        }
        let account = tx.account(target).await?;
        tx.commit().await?;
        Ok(Session {
            account,
            identity_id: s.identity_id,
            created: false,
        })
    }
}

/// Upper-cases a typed code and checks it against the alphabet.
fn normalise_link_code(code: &str) -> Option<String> {
    let code: String = code
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    (code.len() == LINK_CODE_LEN && code.bytes().all(|b| LINK_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// Eight characters from [`LINK_CODE_ALPHABET`], each uniformly drawn.
fn new_link_code() -> Result<String, LedgerError> {
    use rand::seq::IndexedRandom;
    let mut rng = super::alerts::code_rng()?;
    Ok((0..LINK_CODE_LEN)
        .filter_map(|_| LINK_CODE_ALPHABET.choose(&mut rng).copied().map(char::from))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_codes_avoid_confusable_characters() {
        for _ in 0..50 {
            let code = new_link_code().expect("os rng");
            assert_eq!(code.len(), 8);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
            assert_eq!(normalise_link_code(&code.to_lowercase()), Some(code));
        }
        assert_eq!(normalise_link_code("abc"), None);
        assert_eq!(normalise_link_code("ABCD0FGH"), None);
        assert_eq!(normalise_link_code(" abcd-efgh "), Some("ABCDEFGH".into()));
    }
}
