//! An account's settings: its currency, time zone and language. A language tag from a chat
//! (`/language`, or the platform's at first contact) is cleaned to ASCII letters, digits, `-`
//! and `_`, at most 35 characters, whatever the platform sends.

use super::{Ledger, LedgerError, Session};
use crate::domain::{Account, Currency};
use crate::store::AccountSetting;

/// The longest language tag kept for an account.
const LANGUAGE_MAX_CHARS: usize = 35;

impl Ledger {
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn set_currency(&self, s: &Session, c: Currency) -> Result<Account, LedgerError> {
        Ok(self
            .store
            .update_account(s.account.id, AccountSetting::Currency(c))
            .await?)
    }

    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn set_timezone(
        &self,
        s: &Session,
        tz: chrono_tz::Tz,
    ) -> Result<Account, LedgerError> {
        Ok(self
            .store
            .update_account(s.account.id, AccountSetting::Timezone(tz))
            .await?)
    }

    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn set_language(&self, s: &Session, lang: &str) -> Result<Account, LedgerError> {
        let lang = clean_language(lang);
        if lang.is_empty() {
            return Ok(s.account.clone());
        }
        Ok(self
            .store
            .update_account(s.account.id, AccountSetting::Language(&lang))
            .await?)
    }
}

/// A language tag as stored: trimmed, without control characters, at most 35 characters.
pub(super) fn clean_language(lang: &str) -> String {
    lang.trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(LANGUAGE_MAX_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_cleaned() {
        assert_eq!(clean_language(" pt-BR "), "pt-BR");
        assert_eq!(clean_language("en\u{0}x"), "enx");
        assert_eq!(clean_language(&"a".repeat(100)).len(), 35);
    }
}
