//! What the stories of the ledger and the conversation share: a migrated ledger on a database
//! URL with the service's defaults (USD, UTC, English), a person on a platform, their session.

use spendbot::domain::{ChatIdentity, Currency, Platform};
use spendbot::ledger::{AccountDefaults, Ledger, Session};
use spendbot::store::Store;

/// A ledger over the database at `url`, migrated.
pub async fn ledger(url: &str) -> Ledger {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("migrate");
    Ledger::new(
        store,
        AccountDefaults {
            currency: Currency::USD,
            timezone: chrono_tz::UTC,
            language: "en".into(),
        },
    )
}

/// Someone on a platform.
pub fn who(platform: Platform, id: &str) -> ChatIdentity {
    ChatIdentity::new(platform, id).expect("identity")
}

/// The session of someone on a platform, named by their id.
pub async fn session(ledger: &Ledger, platform: Platform, id: &str) -> Session {
    ledger
        .session(&who(platform, id), Some(id), None)
        .await
        .expect("session")
}
