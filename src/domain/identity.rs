//! Who is talking: accounts (one wallet each) and the chat identities linked to them.

use std::fmt;

use chrono_tz::Tz;

use super::Currency;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An account, the owner of one wallet.
    AccountId
);
id_type!(
    /// A chat identity row.
    IdentityId
);
id_type!(
    /// An expense or income.
    EntryId
);
id_type!(
    /// A spending limit.
    LimitId
);

/// Where a person talks to the bot from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    Console,
    Telegram,
    Discord,
    Web,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::Telegram => "telegram",
            Self::Discord => "discord",
            Self::Web => "web",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Console, Self::Telegram, Self::Discord, Self::Web]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// Why a chat identity cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("an identity needs a name of 1 to 128 visible characters")]
    BadExternalId,
}

/// A person on one platform: `telegram:111111111`, `console:alice`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatIdentity {
    platform: Platform,
    external_id: String,
}

impl ChatIdentity {
    pub fn new(platform: Platform, external_id: &str) -> Result<Self, IdentityError> {
        let external_id = external_id.trim();
        if external_id.is_empty()
            || external_id.chars().count() > 128
            || external_id.chars().any(char::is_control)
        {
            return Err(IdentityError::BadExternalId);
        }
        Ok(Self {
            platform,
            external_id: external_id.to_owned(),
        })
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    pub fn external_id(&self) -> &str {
        &self.external_id
    }
}

impl fmt::Display for ChatIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform.as_str(), self.external_id)
    }
}

/// An account: the settings its wallet is kept in.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub currency: Currency,
    pub timezone: Tz,
    /// A language code of the intent catalogue, e.g. `en`.
    pub language: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_refuse_empty_and_control_characters() {
        assert!(ChatIdentity::new(Platform::Console, "  ").is_err());
        assert!(ChatIdentity::new(Platform::Console, "a\u{0}b").is_err());
        assert_eq!(
            ChatIdentity::new(Platform::Telegram, "111").map(|i| i.to_string()),
            Ok("telegram:111".to_owned())
        );
    }
}

/// The key of an inbound platform event (Telegram `update_id`, Discord interaction id). It is
/// stored with the change the event made, so a redelivered event changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventKey(pub String);
