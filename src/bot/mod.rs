//! The platform-neutral conversation: an [`Incoming`] message becomes a [`Reply`]. It parses
//! the text with the intent catalogue, calls the ledger, and words the answer in the account's
//! language. Every error becomes friendly text here, in one place ([`Bot::failure`]). No SQL,
//! no HTTP, no platform types.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use crate::domain::EventKey;
use crate::domain::{
    Category, ChatIdentity, Currency, DEFAULT_CATEGORIES, DateRange, Entry, EntryId, EntryKind,
    LimitStatus, Money, MoneyError, NewEntry, NewLimit, Note, Platform, format_amount,
};
use crate::intent::{Ask, Catalogue, DeleteTarget, Intent, Item, LimitDraft, ParseContext, Query};
use crate::ledger::{
    CHAT_LOGIN_TTL, Crossing, EntryQuery, LINK_CODE_TTL, Ledger, LedgerError, LinkPurpose,
    Recorded, Session, Source, Threshold,
};

/// The longest message the bot reads, in characters: Telegram's own limit for one message.
/// Longer text (the terminal, the web form, a pasted file) is refused with a clear answer
/// before it is parsed.
pub const MESSAGE_MAX_CHARS: usize = 4096;

mod account;
mod alerts;
mod buttons;
mod corrections;
mod limits;
mod outbox;
mod queries;
mod questions;
mod recording;
mod text;
mod words;

use account::*;
pub use alerts::{AlertMessage, AlertView};
pub use buttons::{ButtonAction, UnknownButton};
use recording::*;
use text::*;
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
    /// The person edited an earlier message (`Incoming::message` says which) to this text.
    Edited(String),
}

/// A message from a person on any platform.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub identity: ChatIdentity,
    pub kind: IncomingKind,
    pub at: DateTime<Utc>,
    pub event: Option<EventKey>,
    pub hints: IdentityHints,
    /// The platform's reference of the message (e.g. `tg:<chat>:<message id>`), kept with what it
    /// records so that an edit of the message can change it.
    pub message: Option<String>,
}

impl Incoming {
    /// A typed message with no event key and no hints, received now.
    pub fn text(identity: ChatIdentity, text: &str) -> Self {
        Self {
            identity,
            kind: IncomingKind::Text(text.to_owned()),
            at: Utc::now(),
            event: None,
            hints: IdentityHints::default(),
            message: None,
        }
    }
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

/// How handling went, for adapters that must answer their platform differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyStatus {
    /// Handled; send the reply.
    #[default]
    Done,
    /// The event was handled before (a redelivery): nothing changed and nothing needs saying.
    Duplicate,
    /// The database is unavailable: nothing changed; the platform should deliver the event
    /// again later (a webhook answers 5xx, polling does not confirm it).
    RetryLater,
    /// For the person who pressed a button only (it was not theirs, or there is nothing left
    /// to do): say it to them privately and leave the message the button is on as it is.
    Notice,
}

/// What the bot answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub text: String,
    pub buttons: Vec<Button>,
    pub attachment: Option<Attachment>,
    pub status: ReplyStatus,
}

impl Reply {
    fn text(text: String) -> Self {
        Self {
            text,
            ..Self::default()
        }
    }
}

/// Everything one message needs to be answered.
struct Turn<'a> {
    session: Session,
    lang: String,
    today: NaiveDate,
    incoming: &'a Incoming,
    /// The message answers the pending "how much?" question.
    answers_pending: bool,
}

impl Turn<'_> {
    fn source(&self) -> Source {
        Source {
            event: self.incoming.event.clone(),
            message: self.incoming.message.clone(),
            answers_pending: self.answers_pending,
        }
    }

    fn event(&self) -> Option<&EventKey> {
        self.incoming.event.as_ref()
    }
}

/// The conversation, shared by every adapter. Cheap to clone.
#[derive(Clone)]
pub struct Bot {
    ledger: Ledger,
    catalogue: &'static Catalogue,
    /// Whether alert emails can be sent (SendGrid is configured).
    email: bool,
    /// Where people reach the web side (`SPENDBOT_PUBLIC_URL`, no trailing slash).
    public_url: String,
}

impl Bot {
    pub fn new(ledger: Ledger, catalogue: &'static Catalogue) -> Self {
        Self {
            ledger,
            catalogue,
            email: false,
            public_url: "http://127.0.0.1:8080".to_owned(),
        }
    }

    /// The bot with the address of the web side, for the links it gives (`/web`).
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').to_owned();
        self
    }

    /// The bot with alert emails on or off (off by default: `/email` then says so).
    pub fn with_email(mut self, on: bool) -> Self {
        self.email = on;
        self
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.catalogue
    }

    /// Marks a chat identity reachable or not, for an adapter that learns the person blocked
    /// the bot (or unblocked it). `false` when it could not be saved (the database is down).
    pub async fn set_reachable(&self, identity: &ChatIdentity, reachable: bool) -> bool {
        match self.ledger.set_reachable(identity, reachable).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "could not save whether an identity is reachable");
                false
            }
        }
    }

    /// Answers one incoming event. Never fails: problems become friendly text.
    #[tracing::instrument(skip_all, fields(platform = incoming.identity.platform().as_str()))]
    pub async fn handle(&self, incoming: Incoming) -> Reply {
        let hinted = incoming
            .hints
            .language
            .as_deref()
            .and_then(|l| self.catalogue.language_for(l));
        let lang = hinted
            .unwrap_or(&self.ledger.defaults().language)
            .to_owned();
        match self.converse(&incoming, hinted).await {
            Ok(reply) => reply,
            Err(e) => self.failure(&lang, e),
        }
    }

    /// "Something went wrong on my side", in the default language: for an adapter whose
    /// handling of a message failed before the bot could answer (it panicked).
    pub fn apology(&self) -> Reply {
        Reply::text(self.t(&self.ledger.defaults().language, "internal", &[]))
    }

    /// The one place where errors become words.
    fn failure(&self, lang: &str, e: LedgerError) -> Reply {
        match e {
            LedgerError::Duplicate => Reply {
                status: ReplyStatus::Duplicate,
                ..Reply::default()
            },
            LedgerError::Unavailable(err) => {
                tracing::warn!(error = %err, "database unavailable");
                Reply {
                    status: ReplyStatus::RetryLater,
                    ..Reply::text(self.t(lang, "unavailable", &[]))
                }
            }
            LedgerError::InvalidCode => Reply::text(self.t(lang, "link_invalid", &[])),
            LedgerError::NotFound => Reply::text(self.t(lang, "not_found", &[])),
            LedgerError::TooMany => Reply::text(self.t(lang, "email_too_many", &[])),
            LedgerError::InvalidEmail => Reply::text(self.t(lang, "email_invalid", &[])),
            LedgerError::Other(err) => {
                tracing::error!(error = %err, "could not handle a message");
                Reply::text(self.t(lang, "internal", &[]))
            }
        }
    }

    async fn converse(
        &self,
        incoming: &Incoming,
        language: Option<&str>,
    ) -> Result<Reply, LedgerError> {
        let session = self
            .ledger
            .session(
                &incoming.identity,
                incoming.hints.display_name.as_deref(),
                language,
            )
            .await?;
        let lang = session.account.language.clone();
        let today = incoming
            .at
            .with_timezone(&session.account.timezone)
            .date_naive();
        let turn = Turn {
            session,
            lang,
            today,
            incoming,
            answers_pending: false,
        };
        match &incoming.kind {
            IncomingKind::Button(data) => self.button(&turn, data).await,
            IncomingKind::Text(text) => self.message(&turn, text).await,
            IncomingKind::Edited(text) => self.edited(&turn, text).await,
        }
    }

    async fn message(&self, turn: &Turn<'_>, text: &str) -> Result<Reply, LedgerError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Reply::text(self.t(&turn.lang, "unknown", &[])));
        }
        if let Some(refusal) = self.too_long(turn, text) {
            return Ok(refusal);
        }
        let intent = self.parse(turn, text);
        // Only a bare amount can answer an earlier "how much?"; anything else leaves the
        // question to expire, and costs no write. The question is read here and removed by
        // the recording that answers it, in its transaction: if that fails, the retried answer
        // still finds its note and category.
        if is_bare_amount(&intent) {
            let pending = self.ledger.pending(&turn.session, turn.incoming.at).await?;
            if let Some(completed) = pending.and_then(|p| complete(&p, &intent)) {
                let answering = Turn {
                    session: turn.session.clone(),
                    lang: turn.lang.clone(),
                    today: turn.today,
                    incoming: turn.incoming,
                    answers_pending: true,
                };
                return self.act(&answering, completed).await;
            }
        }
        self.act(turn, intent).await
    }

    /// A refusal for a message longer than [`MESSAGE_MAX_CHARS`], before any parsing.
    fn too_long(&self, turn: &Turn<'_>, text: &str) -> Option<Reply> {
        // Bytes bound characters from above: most messages are decided without counting.
        if text.len() <= MESSAGE_MAX_CHARS || text.chars().count() <= MESSAGE_MAX_CHARS {
            return None;
        }
        let max = MESSAGE_MAX_CHARS.to_string();
        Some(Reply::text(self.t(
            &turn.lang,
            "too_long",
            &[("max", &max)],
        )))
    }

    /// Parses in the account's language, then in every language when that finds nothing.
    fn parse(&self, turn: &Turn<'_>, text: &str) -> Intent {
        let ctx = ParseContext {
            today: turn.today,
            lang: Some(&turn.lang),
        };
        self.catalogue.understand(text, &ctx)
    }

    async fn act(&self, turn: &Turn<'_>, intent: Intent) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        if turn.incoming.identity.platform() == Platform::Web && about_identity(&intent) {
            // The web's identity is the account's own sign-in: linking it elsewhere would take
            // the account with it, so these live in the web's settings, not its typing box.
            return Ok(Reply::text(self.t(lang, "web_use_settings", &[])));
        }
        match intent {
            Intent::AddExpense { items, date } => {
                self.add(turn, &items, date, EntryKind::Expense).await
            }
            Intent::AddIncome { item, date } => {
                self.add(turn, &[item], date, EntryKind::Income).await
            }
            Intent::SetLimit(draft) => self.set_limit(turn, &draft).await,
            Intent::Summary(q) => self.summary(turn, &q).await,
            Intent::List(q) => self.list(turn, &q).await,
            Intent::Undo => match self.ledger.undo_last(&turn.session, turn.event()).await? {
                Some(e) => Ok(Reply::text(self.removed(turn, &[e]))),
                None => Ok(Reply::text(self.t(lang, "nothing_to_undo", &[]))),
            },
            Intent::Delete(target) => self.delete(turn, target).await,
            Intent::Correct { target, change } => self.correct(turn, target, change).await,
            Intent::Help => Ok(Reply::text(self.help(lang))),
            Intent::Greeting => Ok(Reply::text(self.t(lang, "greeting", &[]))),
            Intent::Unknown => Ok(Reply::text(self.t(lang, "unknown", &[]))),
            Intent::Email(_) | Intent::EmailOff | Intent::Verify(_) => {
                self.email(turn, intent).await
            }
            other => self.account(turn, other).await,
        }
    }
}
