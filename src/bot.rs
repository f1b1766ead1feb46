//! The platform-neutral conversation: an [`Incoming`] message becomes a [`Reply`]. Every
//! error becomes friendly text here, in one place. No SQL, no HTTP, no platform types.

use chrono::{DateTime, Utc};

use crate::domain::ChatIdentity;

/// The key of an inbound platform event (Telegram `update_id`, Discord interaction id) that
/// makes a redelivered event a no-op.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventKey(pub String);

/// What the platform tells about the person, used when their account is created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityHints {
    /// An IETF language tag such as `es` or `en-US`.
    pub language: Option<String>,
    pub display_name: Option<String>,
}

/// What kind of event came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingKind {
    /// A message or command typed by the person.
    Text(String),
    /// A button of an earlier reply was pressed; carries the button's data.
    Button(String),
}

/// A message from a person on any platform.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub identity: ChatIdentity,
    pub kind: IncomingKind,
    pub at: DateTime<Utc>,
    pub event: Option<EventKey>,
    pub hints: IdentityHints,
}

/// A button under a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    /// At most 64 bytes (Telegram's `callback_data` limit).
    pub data: String,
}

/// A file sent with a reply (e.g. an export).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// What the bot answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub text: String,
    pub buttons: Vec<Button>,
    pub attachment: Option<Attachment>,
}

/// The conversation, shared by every adapter. Cheap to clone.
#[derive(Clone)]
pub struct Bot {
    ledger: crate::ledger::Ledger,
    catalogue: &'static crate::intent::Catalogue,
}

impl Bot {
    pub fn new(ledger: crate::ledger::Ledger, catalogue: &'static crate::intent::Catalogue) -> Self {
        Self { ledger, catalogue }
    }

    /// Answers one incoming event. Never fails: problems become friendly text.
    pub async fn handle(&self, incoming: Incoming) -> Reply {
        let _ = (&self.ledger, self.catalogue, incoming);
        Reply { text: "I am still learning.".into(), ..Reply::default() }
    }
}
