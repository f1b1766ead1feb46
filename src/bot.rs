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

mod corrections;
mod questions;
mod words;
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

/// What an alert is about, with the figures its words need.
pub struct AlertView<'a> {
    pub account: &'a crate::domain::Account,
    pub limit: &'a crate::domain::Limit,
    pub range: DateRange,
    pub threshold: Threshold,
    pub summary: &'a crate::domain::Summary,
    /// The latest expenses, newest first.
    pub recent: &'a [Entry],
    /// Today in the account's time zone.
    pub today: NaiveDate,
}

/// The words of an alert or a notice by email and chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertMessage {
    pub subject: String,
    /// Plain text: the email's text part and the chat message.
    pub text: String,
    pub html: String,
}

/// `&`, `<`, `>` and quotes as HTML entities.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How long a follow-up question ("how much was the coffee?") waits for its answer.
const PENDING_TTL: Duration = Duration::minutes(10);
/// Entries a list shows at most.
const LIST_MAX: u32 = 20;
/// The most entries a list shows when the person asks for a number (`show my last 50`).
const LIST_COUNT_MAX: u32 = 100;

/// An expense or income waiting for its amount.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    income: bool,
    note: Option<String>,
    category: Option<String>,
    currency: Option<String>,
    /// `YYYY-MM-DD`
    date: Option<String>,
}

/// Everything one message needs to be answered.
struct Turn<'a> {
    session: Session,
    lang: String,
    today: NaiveDate,
    incoming: &'a Incoming,
}

impl Turn<'_> {
    fn source(&self) -> Source {
        Source {
            event: self.incoming.event.clone(),
            message: self.incoming.message.clone(),
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

    /// The words of a limit alert, in the account's language and currency: subject, plain text
    /// (also the chat alert) and simple HTML.
    pub fn limit_alert(&self, view: &AlertView<'_>) -> AlertMessage {
        let lang = view.account.language.as_str();
        let c = view.limit.money.currency();
        let spent = view.summary.spent_in(c, view.limit.category.as_ref());
        let limit = view.limit.money.amount();
        let period = self.period_name(lang, view.range);
        let scope = match &view.limit.category {
            Some(cat) => format!("{} · {period}", self.label(lang, cat)),
            None => period.clone(),
        };
        let days_left = if view.today > view.range.to {
            0
        } else {
            (view.range.to - view.today.max(view.range.from)).num_days() + 1
        };
        let over = view.threshold == Threshold::Over;
        let args = [
            ("scope", scope.as_str()),
            ("period", period.as_str()),
            ("spent", &money(spent, c)),
            ("limit", &money(limit, c)),
            ("over", &money((spent - limit).max(Decimal::ZERO), c)),
            ("left", &money((limit - spent).max(Decimal::ZERO), c)),
            ("days", &days_left.to_string()),
            (
                "percent",
                &((spent * Decimal::from(100) / limit.max(Decimal::ONE)).floor()).to_string(),
            ),
        ];
        let subject = self.t(
            lang,
            if over {
                "alert_subject_over"
            } else {
                "alert_subject_warning"
            },
            &args,
        );
        let head = self.t(
            lang,
            if over { "alert_over" } else { "alert_warning" },
            &args,
        );
        let top: Vec<String> = view
            .summary
            .by_category
            .iter()
            .filter(|r| r.currency == c)
            .take(3)
            .map(|r| {
                format!(
                    "{} {}",
                    self.label(lang, &r.category),
                    money(r.total, r.currency)
                )
            })
            .collect();
        let recent: Vec<String> = view
            .recent
            .iter()
            .take(5)
            .map(|e| {
                let note = e
                    .note
                    .as_ref()
                    .map(|n| format!(" · {n}"))
                    .unwrap_or_default();
                format!(
                    "{} {} · {}{note}",
                    self.short_day(lang, e.occurred_on),
                    money(e.money.amount(), e.money.currency()),
                    self.label(lang, &e.category)
                )
            })
            .collect();
        let mut text = head.clone();
        let mut html = format!("<p>{}</p>", html_escape(&head));
        if !top.is_empty() {
            let label = self.t(lang, "alert_top", &[]);
            text.push_str(&format!("\n{label} {}", top.join(", ")));
            html.push_str(&format!(
                "<p>{}</p><ul>{}</ul>",
                html_escape(&label),
                top.iter()
                    .map(|t| format!("<li>{}</li>", html_escape(t)))
                    .collect::<String>()
            ));
        }
        if !recent.is_empty() {
            let label = self.t(lang, "alert_recent", &[]);
            text.push_str(&format!(
                "\n{label}\n{}",
                recent
                    .iter()
                    .map(|r| format!("  {r}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
            html.push_str(&format!(
                "<p>{}</p><ul>{}</ul>",
                html_escape(&label),
                recent
                    .iter()
                    .map(|r| format!("<li>{}</li>", html_escape(r)))
                    .collect::<String>()
            ));
        }
        AlertMessage {
            subject,
            text,
            html,
        }
    }

    /// The email that carries a verification code.
    pub fn email_code_message(&self, lang: &str, code: &str) -> AlertMessage {
        let text = self.t(lang, "email_code_text", &[("code", code)]);
        AlertMessage {
            subject: self.t(lang, "email_code_subject", &[("code", code)]),
            html: format!("<p>{}</p>", html_escape(&text)),
            text,
        }
    }

    /// The email that carries a link: to verify the address, or to reset the password.
    pub fn email_link_message(&self, lang: &str, purpose: LinkPurpose, link: &str) -> AlertMessage {
        let key = match purpose {
            LinkPurpose::VerifyEmail => "email_verify_link",
            LinkPurpose::ResetPassword => "email_reset_link",
        };
        let text = self.t(lang, &format!("{key}_text"), &[("link", link)]);
        let html_text = self.t(lang, &format!("{key}_text"), &[("link", "{link}")]);
        let anchor = format!("<a href=\"{0}\">{0}</a>", html_escape(link));
        AlertMessage {
            subject: self.t(lang, &format!("{key}_subject"), &[]),
            html: format!(
                "<p>{}</p>",
                html_escape(&html_text).replace("{link}", &anchor)
            ),
            text,
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

    /// A reply template of the catalogue with `{name}` placeholders filled.
    fn t(&self, lang: &str, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.catalogue.reply(lang, key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
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
        let mut intent = self.parse(turn, text);
        // Only a bare amount can answer an earlier "how much?"; anything else leaves the
        // question to expire, and costs no write.
        if is_bare_amount(&intent) {
            let pending = self
                .ledger
                .take_pending(&turn.session, turn.incoming.at)
                .await?;
            if let Some(completed) = pending.and_then(|p| complete(&p, &intent)) {
                intent = completed;
            }
        }
        self.act(turn, intent).await
    }

    /// Parses in the account's language, then in every language when that finds nothing.
    fn parse(&self, turn: &Turn<'_>, text: &str) -> Intent {
        let ctx = ParseContext {
            today: turn.today,
            lang: Some(&turn.lang),
        };
        self.catalogue.understand(text, &ctx)
    }

    async fn button(&self, turn: &Turn<'_>, data: &str) -> Result<Reply, LedgerError> {
        if let Some(ids) = data.strip_prefix("undo:") {
            let mut removed = Vec::new();
            for (n, id) in ids
                .split(',')
                .filter_map(|s| s.parse::<i64>().ok())
                .enumerate()
            {
                // Only the first deletion carries the event key; the rest belong to it.
                let event = if n == 0 { turn.event() } else { None };
                if let Some(e) = self
                    .ledger
                    .delete(&turn.session, EntryId(id), event)
                    .await?
                {
                    removed.push(e);
                }
            }
            return Ok(match removed.as_slice() {
                [] => Reply::text(self.t(&turn.lang, "nothing_to_undo", &[])),
                entries => Reply::text(self.removed(turn, entries)),
            });
        }
        if let Some(amount) = data.strip_prefix("amount:") {
            return self.message(turn, amount).await;
        }
        if let Some(id) = data
            .strip_prefix("cat:")
            .and_then(|id| id.parse::<i64>().ok())
        {
            return Ok(self.category_picker(turn, id));
        }
        if let Some((id, name)) = data
            .strip_prefix("setcat:")
            .and_then(|rest| rest.split_once(':'))
        {
            let (Ok(id), Some(category)) = (id.parse::<i64>(), Category::parse(name)) else {
                return Ok(Reply::text(self.t(&turn.lang, "unknown", &[])));
            };
            let changed = self
                .ledger
                .set_category(&turn.session, EntryId(id), &category, turn.event())
                .await?;
            return Ok(Reply::text(match changed {
                Some(e) => self.t(
                    &turn.lang,
                    "category_changed",
                    &[("entry", &self.describe(turn, &e))],
                ),
                None => self.t(&turn.lang, "not_found", &[]),
            }));
        }
        Ok(Reply::text(self.t(&turn.lang, "unknown", &[])))
    }

    /// The default categories as buttons, to move entry `id` to one of them.
    fn category_picker(&self, turn: &Turn<'_>, id: i64) -> Reply {
        let buttons = DEFAULT_CATEGORIES
            .iter()
            .map(|c| Button {
                label: self.catalogue.category_label(&turn.lang, c).to_owned(),
                data: format!("setcat:{id}:{c}"),
            })
            .collect();
        Reply {
            text: self.t(&turn.lang, "category_pick", &[("id", &id.to_string())]),
            buttons,
            ..Reply::default()
        }
    }

    /// An edited message: the entries it recorded change to what it says now.
    async fn edited(&self, turn: &Turn<'_>, text: &str) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let Some(message) = turn.incoming.message.as_deref() else {
            return self.message(turn, text).await;
        };
        let (items, date, kind) = match self.parse(turn, text.trim()) {
            Intent::AddExpense { items, date } => (items, date, EntryKind::Expense),
            Intent::AddIncome { item, date } => (vec![item], date, EntryKind::Income),
            // An edit into something that is not an expense is answered like a new message.
            _ => return self.message(turn, text).await,
        };
        if items.iter().any(|i| i.amount.is_none()) {
            return Ok(Reply::text(self.t(lang, "edit_needs_amount", &[])));
        }
        let entries = match self.entries_from(turn, &items, date, kind) {
            Ok(entries) => entries,
            Err(refusal) => return Ok(Reply::text(refusal)),
        };
        let changed = self
            .ledger
            .edit_message_entries(
                &turn.session,
                message,
                &entries,
                turn.event(),
                turn.incoming.at,
            )
            .await?;
        let Some((before, after)) = changed else {
            return self.message(turn, text).await;
        };
        let was: Vec<String> = before.iter().map(|e| self.describe(turn, e)).collect();
        let now: Vec<String> = after.iter().map(|e| self.describe(turn, e)).collect();
        Ok(Reply::text(self.t(
            lang,
            "edited",
            &[("before", &was.join("; ")), ("after", &now.join("; "))],
        )))
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
            Intent::Start { payload } => {
                match payload.as_deref().and_then(|p| p.strip_prefix("link-")) {
                    Some(code) => self.link(turn, Some(code)).await,
                    None => Ok(Reply::text(format!(
                        "{}\n\n{}",
                        self.t(lang, "welcome", &[]),
                        self.help(lang)
                    ))),
                }
            }
            Intent::SetCurrency(Some(c)) => {
                self.ledger.set_currency(&turn.session, c).await?;
                Ok(Reply::text(self.t(
                    lang,
                    "currency_set",
                    &[("currency", c.code())],
                )))
            }
            Intent::SetCurrency(None) => Ok(Reply::text(self.t(lang, "currency_ask", &[]))),
            Intent::SetTimezone(name) => {
                let zone = name.as_deref().and_then(time_zone);
                match zone {
                    Some(tz) => {
                        self.ledger.set_timezone(&turn.session, tz).await?;
                        Ok(Reply::text(self.t(
                            lang,
                            "timezone_set",
                            &[("zone", tz.name())],
                        )))
                    }
                    None => Ok(Reply::text(self.t(lang, "timezone_ask", &[]))),
                }
            }
            Intent::Categories => {
                let cats = self.ledger.categories(&turn.session).await?;
                let names: Vec<String> = cats.iter().map(|c| self.label(lang, c)).collect();
                Ok(Reply::text(self.t(
                    lang,
                    "categories",
                    &[("list", &names.join(", "))],
                )))
            }
            Intent::Link { code } => self.link(turn, code.as_deref()).await,
            Intent::Web => {
                let token = self
                    .ledger
                    .chat_login_token(&turn.session, turn.incoming.at)
                    .await?;
                let link = format!("{}/login/chat?token={token}", self.public_url);
                let minutes = CHAT_LOGIN_TTL.num_minutes().to_string();
                Ok(Reply::text(self.t(
                    lang,
                    "web_link",
                    &[("link", &link), ("minutes", &minutes)],
                )))
            }
            Intent::Email(Some(_)) if !self.email => {
                Ok(Reply::text(self.t(lang, "email_unavailable", &[])))
            }
            Intent::Email(Some(address)) => {
                self.ledger
                    .start_email_verification(&turn.session, &address, turn.incoming.at)
                    .await?;
                Ok(Reply::text(self.t(
                    lang,
                    "email_code_sent",
                    &[("email", address.trim())],
                )))
            }
            Intent::Email(None) => Ok(Reply::text(
                match self.ledger.email_status(&turn.session).await? {
                    Some((email, true, true)) => self.t(lang, "email_on", &[("email", &email)]),
                    Some((email, true, false)) => {
                        self.t(lang, "email_paused", &[("email", &email)])
                    }
                    Some((email, false, _)) => {
                        self.t(lang, "email_unverified", &[("email", &email)])
                    }
                    None => self.t(lang, "email_none", &[]),
                },
            )),
            Intent::EmailOff => {
                let was_on = self.ledger.email_off(&turn.session).await?;
                Ok(Reply::text(self.t(
                    lang,
                    if was_on {
                        "email_stopped"
                    } else {
                        "email_none"
                    },
                    &[],
                )))
            }
            Intent::Verify(Some(code)) => {
                match self
                    .ledger
                    .verify_email(&turn.session, &code, turn.incoming.at)
                    .await
                {
                    Ok(email) => Ok(Reply::text(self.t(
                        lang,
                        "email_verified",
                        &[("email", &email)],
                    ))),
                    Err(LedgerError::InvalidCode) => {
                        Ok(Reply::text(self.t(lang, "verify_invalid", &[])))
                    }
                    Err(e) => Err(e),
                }
            }
            Intent::Verify(None) => Ok(Reply::text(self.t(lang, "verify_ask", &[]))),
            Intent::Unknown => Ok(Reply::text(self.t(lang, "unknown", &[]))),
        }
    }

    /// Money in the item's currency (the account's when it names none), or why it is refused.
    fn money(
        &self,
        turn: &Turn<'_>,
        amount: Decimal,
        currency: Option<Currency>,
    ) -> Result<Money, String> {
        let lang = turn.lang.as_str();
        Money::new(amount, currency.unwrap_or(turn.session.account.currency)).map_err(|e| match e {
            MoneyError::NotPositive => self.t(lang, "amount_not_positive", &[]),
            MoneyError::TooLarge => self.t(lang, "amount_too_large", &[]),
            MoneyError::UnknownCurrency(_) => self.t(lang, "currency_ask", &[]),
        })
    }

    /// The entries a message's items make (every item has its amount), or why not.
    fn entries_from(
        &self,
        turn: &Turn<'_>,
        items: &[Item],
        date: Option<NaiveDate>,
        kind: EntryKind,
    ) -> Result<Vec<NewEntry>, String> {
        let occurred_on = date.unwrap_or(turn.today);
        items
            .iter()
            .map(|item| {
                let money = self.money(turn, item.amount.unwrap_or_default(), item.currency)?;
                let category = match (kind, &item.category) {
                    (EntryKind::Income, _) => {
                        Category::parse("income").unwrap_or_else(Category::other)
                    }
                    (EntryKind::Expense, Some(c)) => c.clone(),
                    (EntryKind::Expense, None) => Category::other(),
                };
                let note = item.note.as_deref().and_then(Note::new);
                Ok(NewEntry {
                    kind,
                    money,
                    category,
                    note,
                    occurred_on,
                })
            })
            .collect()
    }

    async fn add(
        &self,
        turn: &Turn<'_>,
        items: &[Item],
        date: Option<NaiveDate>,
        kind: EntryKind,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let income = kind == EntryKind::Income;
        if let [item] = items {
            if item.amount.is_none() {
                return self.ask_amount(turn, item, date, income).await;
            }
        }
        if items.iter().any(|i| i.amount.is_none()) {
            return Ok(Reply::text(self.t(lang, "several_missing", &[])));
        }
        let entries = match self.entries_from(turn, items, date, kind) {
            Ok(entries) => entries,
            Err(refusal) => return Ok(Reply::text(refusal)),
        };
        let shortened = items
            .iter()
            .any(|i| i.note.as_deref().is_some_and(Note::was_shortened));
        let recorded = self
            .ledger
            .record(
                &turn.session,
                &turn.source(),
                &entries,
                turn.today,
                turn.incoming.at,
            )
            .await?;
        let mut text = self.recorded_text(turn, &recorded, income).await?;
        if shortened {
            text.push('\n');
            text.push_str(&self.t(lang, "note_shortened", &[]));
        }
        let ids: Vec<String> = recorded.entries.iter().map(|e| e.id.to_string()).collect();
        let data = format!("undo:{}", ids.join(","));
        let mut buttons = Vec::new();
        if data.len() <= 64 {
            buttons.push(Button {
                label: self.t(lang, "button_undo", &[]),
                data,
            });
        }
        if let [entry] = recorded.entries.as_slice() {
            if entry.kind == EntryKind::Expense {
                buttons.push(Button {
                    label: self.t(lang, "button_category", &[]),
                    data: format!("cat:{}", entry.id),
                });
            }
        }
        Ok(Reply {
            text,
            buttons,
            ..Reply::default()
        })
    }

    async fn ask_amount(
        &self,
        turn: &Turn<'_>,
        item: &Item,
        date: Option<NaiveDate>,
        income: bool,
    ) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let pending = Pending {
            income,
            note: item.note.clone(),
            category: item.category.as_ref().map(ToString::to_string),
            currency: item.currency.map(|c| c.to_string()),
            date: date.map(|d| d.to_string()),
        };
        let payload =
            serde_json::to_string(&pending).map_err(|e| LedgerError::Other(Box::new(e)))?;
        self.ledger
            .set_pending(&turn.session, &payload, turn.incoming.at + PENDING_TTL)
            .await?;
        let what = item
            .note
            .clone()
            .unwrap_or_else(|| self.t(lang, "that", &[]));
        if item.candidates.is_empty() {
            return Ok(Reply::text(self.t(lang, "ask_amount", &[("what", &what)])));
        }
        let shown: Vec<String> = item
            .candidates
            .iter()
            .map(|c| c.normalize().to_string())
            .collect();
        let buttons = shown
            .iter()
            .take(4)
            .map(|c| Button {
                label: c.clone(),
                data: format!("amount:{c}"),
            })
            .collect();
        let text = self.t(
            lang,
            "ask_which_amount",
            &[("what", &what), ("options", &shown.join(" / "))],
        );
        Ok(Reply {
            text,
            buttons,
            ..Reply::default()
        })
    }

    /// "Recorded 12.00 USD · food · lunch (#7)" plus where the wallet stands.
    async fn recorded_text(
        &self,
        turn: &Turn<'_>,
        recorded: &Recorded,
        income: bool,
    ) -> Result<String, LedgerError> {
        let lang = turn.lang.as_str();
        let mut lines: Vec<String> = Vec::new();
        for e in &recorded.entries {
            let key = if income {
                "recorded_income"
            } else {
                "recorded"
            };
            lines.push(self.t(lang, key, &[("entry", &self.describe(turn, e))]));
        }
        if income {
            return Ok(lines.join("\n"));
        }
        if recorded.statuses.is_empty() {
            let month = DateRange::month_of(turn.today);
            let currency = turn.session.account.currency;
            // The recording read the month so far in its own transaction; ask only when not.
            // An entry in another currency: the month in every currency spent, not 0 of ours.
            let foreign = recorded
                .entries
                .iter()
                .any(|e| e.money.currency() != currency);
            let spent = match (recorded.month_spent, foreign) {
                (Some(spent), false) => money(spent, currency),
                _ => {
                    let totals = self
                        .ledger
                        .summary(&turn.session, month, None)
                        .await?
                        .spent();
                    let mut parts: Vec<String> =
                        totals.iter().map(|(c, t)| money(*t, *c)).collect();
                    if parts.is_empty() {
                        parts.push(money(Decimal::ZERO, currency));
                    }
                    parts.join(" + ")
                }
            };
            lines.push(self.t(
                lang,
                "month_so_far",
                &[
                    ("period", &self.period_name(lang, month)),
                    ("spent", &spent),
                ],
            ));
        }
        for s in &recorded.statuses {
            lines.push(self.status_line(turn, s));
        }
        for c in &recorded.crossings {
            // Passing 100 % at once says more than passing 80 % on the way.
            let also_over = c.threshold == Threshold::Warning
                && recorded
                    .crossings
                    .iter()
                    .any(|o| o.threshold == Threshold::Over && o.limit.id == c.limit.id);
            if !also_over {
                lines.push(self.crossing_line(turn, c, &recorded.statuses));
            }
        }
        Ok(lines.join("\n"))
    }

    /// "November: 312.40 of 500.00 USD, 62 %, 31.27 a day left"
    fn status_line(&self, turn: &Turn<'_>, s: &LimitStatus) -> String {
        let lang = turn.lang.as_str();
        let c = s.currency();
        let scope = self.limit_scope(lang, s);
        let args = [
            ("scope", scope.as_str()),
            ("spent", &format_amount(s.spent, c)),
            ("limit", &money(s.limit.money.amount(), c)),
            ("percent", &s.percent().to_string()),
            ("per_day", &format_amount(s.per_day_left(turn.today), c)),
            ("over", &money(-s.remaining(), c)),
        ];
        let key = if s.remaining() < Decimal::ZERO {
            "status_over"
        } else {
            "status"
        };
        self.t(lang, key, &args)
    }

    fn crossing_line(&self, turn: &Turn<'_>, c: &Crossing, statuses: &[LimitStatus]) -> String {
        let lang = turn.lang.as_str();
        let status = statuses.iter().find(|s| s.limit.id == c.limit.id);
        let scope =
            status.map_or_else(|| c.limit.period.to_string(), |s| self.limit_scope(lang, s));
        match c.threshold {
            Threshold::Warning => self.t(lang, "warning_80", &[("scope", &scope)]),
            Threshold::Over => self.t(lang, "warning_over", &[("scope", &scope)]),
        }
    }

    /// "November", "food this week", "today".
    /// A day in the person's language: `Tue 24 Nov`, `24 de noviembre`.
    fn day_label(&self, lang: &str, day: NaiveDate) -> String {
        use chrono::Datelike;
        match self.catalogue.own_reply(lang, "day_month") {
            Some(template) => {
                let month = self.t(lang, &format!("month_{}", day.month()), &[]);
                template
                    .replace("{day}", &day.day().to_string())
                    .replace("{month_lower}", &month.to_lowercase())
                    .replace("{month}", &month)
            }
            None => day.format("%a %-d %b").to_string(),
        }
    }

    /// A day in a list: `04 Dec`, or the language's own way.
    fn short_day(&self, lang: &str, day: NaiveDate) -> String {
        match self.catalogue.own_reply(lang, "day_month") {
            Some(_) => self.day_label(lang, day),
            None => day.format("%d %b").to_string(),
        }
    }

    /// A category in the person's language (`food` → `comida`); their own categories as named.
    fn label(&self, lang: &str, c: &Category) -> String {
        if c.is_default() {
            self.catalogue.category_label(lang, c.as_str()).to_owned()
        } else {
            c.to_string()
        }
    }

    fn limit_scope(&self, lang: &str, s: &LimitStatus) -> String {
        let period = self.period_name(lang, s.range);
        match &s.limit.category {
            Some(cat) => format!("{} · {period}", self.label(lang, cat)),
            None => period,
        }
    }

    fn period_name(&self, lang: &str, range: DateRange) -> String {
        use chrono::Datelike;
        if range.from == range.to {
            return match self.catalogue.own_reply(lang, "day_month") {
                Some(_) => format!("{} {}", self.day_label(lang, range.from), range.from.year()),
                None => range.from.format("%-d %b %Y").to_string(),
            };
        }
        if DateRange::month_of(range.from) == range {
            let month = self.t(lang, &format!("month_{}", range.from.month()), &[]);
            return format!("{month} {}", range.from.year());
        }
        range.to_string()
    }

    /// "12.00 USD · food · lunch · Tue 24 Nov (#7)"
    fn describe(&self, turn: &Turn<'_>, e: &Entry) -> String {
        let mut parts = vec![money(e.money.amount(), e.money.currency())];
        if e.kind == EntryKind::Expense {
            parts.push(self.label(&turn.lang, &e.category));
        }
        // "groceries · groceries" says nothing twice.
        if let Some(note) = e
            .note
            .as_ref()
            .filter(|n| !n.as_str().eq_ignore_ascii_case(e.category.as_str()))
        {
            parts.push(note.to_string());
        }
        if e.occurred_on != turn.today {
            parts.push(self.day_label(&turn.lang, e.occurred_on));
        }
        format!("{} (#{})", parts.join(" · "), e.id)
    }

    fn removed(&self, turn: &Turn<'_>, entries: &[Entry]) -> String {
        let list: Vec<String> = entries.iter().map(|e| self.describe(turn, e)).collect();
        self.t(&turn.lang, "removed", &[("entry", &list.join("; "))])
    }

    async fn set_limit(&self, turn: &Turn<'_>, draft: &LimitDraft) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let period_word = self.t(lang, &format!("period_{}", draft.period.as_str()), &[]);
        let scope = match &draft.category {
            Some(c) => format!("{period_word} {}", self.label(lang, c)),
            None => period_word,
        };
        if draft.remove {
            let removed = self
                .ledger
                .remove_limit(
                    &turn.session,
                    draft.period,
                    draft.category.as_ref(),
                    turn.event(),
                )
                .await?;
            let key = if removed {
                "limit_removed"
            } else {
                "limit_none"
            };
            return Ok(Reply::text(self.t(lang, key, &[("scope", &scope)])));
        }
        let Some(amount) = draft.amount else {
            return Ok(Reply::text(self.t(lang, "limit_ask", &[])));
        };
        let money = match self.money(turn, amount, draft.currency) {
            Ok(m) => m,
            Err(refusal) => return Ok(Reply::text(refusal)),
        };
        let limit = NewLimit {
            money,
            period: draft.period,
            category: draft.category.clone(),
        };
        let saved = self
            .ledger
            .set_limit(&turn.session, &limit, turn.event())
            .await?;
        let mut text = self.t(
            lang,
            "limit_set",
            &[("scope", &scope), ("limit", &money_of(&saved.money))],
        );
        let statuses = self
            .ledger
            .limit_statuses(&turn.session, turn.today)
            .await?;
        if let Some(s) = statuses.iter().find(|s| s.limit.id == saved.id) {
            text.push('\n');
            text.push_str(&self.status_line(turn, s));
        }
        Ok(Reply::text(text))
    }

    async fn summary(&self, turn: &Turn<'_>, q: &Query) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        if q.ask != Ask::Totals {
            return Ok(Reply::text(self.answer(turn, q).await?));
        }
        let range = q.range.unwrap_or_else(|| DateRange::month_of(turn.today));
        let summary = self
            .ledger
            .summary(&turn.session, range, q.category.as_ref())
            .await?;
        let mut period = self.period_name(lang, range);
        if let Some(c) = &q.category {
            period = format!("{} · {period}", self.label(lang, c));
        }
        let spent = summary.spent();
        if spent.is_empty() && summary.income.is_empty() {
            return Ok(Reply::text(self.t(
                lang,
                "summary_empty",
                &[("period", &period)],
            )));
        }
        let totals: Vec<String> = spent.iter().map(|(c, t)| money(*t, *c)).collect();
        let head = if summary.expense_count() == 1 {
            "summary_head_one"
        } else {
            "summary_head"
        };
        let mut lines = vec![self.t(
            lang,
            head,
            &[
                ("period", &period),
                ("spent", &totals.join(" + ")),
                ("count", &summary.expense_count().to_string()),
            ],
        )];
        for row in summary.by_category.iter().take(12) {
            let total_in_currency = spent
                .iter()
                .find(|(c, _)| *c == row.currency)
                .map_or(Decimal::ZERO, |(_, t)| *t);
            let share = if total_in_currency.is_zero() {
                Decimal::ZERO
            } else {
                (row.total * Decimal::from(100) / total_in_currency).round()
            };
            lines.push(format!(
                "  {} {} ({share} %)",
                self.label(lang, &row.category),
                money(row.total, row.currency)
            ));
        }
        if !summary.income.is_empty() {
            let income: Vec<String> = summary.income.iter().map(|(c, t)| money(*t, *c)).collect();
            lines.push(self.t(lang, "summary_income", &[("income", &income.join(" + "))]));
        }
        if range.contains(turn.today) {
            for s in self
                .ledger
                .limit_statuses(&turn.session, turn.today)
                .await?
            {
                let same_scope = q.category.is_none() || s.limit.category == q.category;
                if same_scope && s.range.from >= range.from && s.range.to <= range.to {
                    lines.push(self.status_line(turn, &s));
                }
            }
        }
        Ok(Reply::text(lines.join("\n")))
    }

    async fn list(&self, turn: &Turn<'_>, q: &Query) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let query = EntryQuery {
            range: q.range,
            category: q.category.clone(),
            text: q.text.clone(),
            limit: q.count.map_or(LIST_MAX, |n| n.clamp(1, LIST_COUNT_MAX)),
            ..EntryQuery::default()
        };
        let entries = self.ledger.entries(&turn.session, &query).await?;
        let whole = if q.text.is_some() {
            "all_time"
        } else {
            "recent"
        };
        let period = q
            .range
            .map_or_else(|| self.t(lang, whole, &[]), |r| self.period_name(lang, r));
        // `find coffee`: the entries whose note has the words.
        let (empty, head) = match &q.text {
            Some(_) => ("find_none", "find_head"),
            None => ("list_empty", "list_head"),
        };
        let text = q.text.as_deref().unwrap_or_default();
        if entries.is_empty() {
            return Ok(Reply::text(self.t(
                lang,
                empty,
                &[("period", &period), ("text", text)],
            )));
        }
        let mut lines = vec![self.t(lang, head, &[("period", &period), ("text", text)])];
        for e in &entries {
            let sign = if e.kind == EntryKind::Income { "+" } else { "" };
            let note = e
                .note
                .as_ref()
                .map(|n| format!(" · {n}"))
                .unwrap_or_default();
            lines.push(format!(
                "#{} {} {sign}{} · {}{note}",
                e.id,
                self.short_day(lang, e.occurred_on),
                money(e.money.amount(), e.money.currency()),
                self.label(lang, &e.category)
            ));
        }
        if entries.len() == LIST_MAX as usize {
            lines.push(self.t(lang, "list_more", &[]));
        }
        Ok(Reply::text(lines.join("\n")))
    }

    async fn delete(&self, turn: &Turn<'_>, target: DeleteTarget) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        let removed = match target {
            DeleteTarget::Id(id) => {
                self.ledger
                    .delete(&turn.session, EntryId(id), turn.event())
                    .await?
            }
            DeleteTarget::Last => self.ledger.undo_last(&turn.session, turn.event()).await?,
            DeleteTarget::Matching(text) => {
                let query = EntryQuery {
                    text: Some(text),
                    limit: 1,
                    ..EntryQuery::default()
                };
                match self.ledger.entries(&turn.session, &query).await?.first() {
                    Some(e) => {
                        self.ledger
                            .delete(&turn.session, e.id, turn.event())
                            .await?
                    }
                    None => None,
                }
            }
        };
        Ok(Reply::text(match removed {
            Some(e) => self.removed(turn, &[e]),
            None => self.t(lang, "not_found", &[]),
        }))
    }

    async fn link(&self, turn: &Turn<'_>, code: Option<&str>) -> Result<Reply, LedgerError> {
        let lang = turn.lang.as_str();
        match code {
            None => {
                let link = self
                    .ledger
                    .create_link_code(&turn.session, turn.incoming.at)
                    .await?;
                let minutes = LINK_CODE_TTL.num_minutes().to_string();
                Ok(Reply::text(self.t(
                    lang,
                    "link_code",
                    &[("code", &link.code), ("minutes", &minutes)],
                )))
            }
            Some(code) => {
                self.ledger
                    .redeem_link_code(&turn.session, code, turn.incoming.at, turn.event())
                    .await?;
                Ok(Reply::text(self.t(lang, "linked", &[])))
            }
        }
    }

    fn help(&self, lang: &str) -> String {
        let mut text = self.t(lang, "help", &[]);
        text.push('\n');
        for cmd in self.catalogue.commands(lang) {
            text.push_str(&format!("\n/{} – {}", cmd.name, cmd.description));
        }
        text
    }
}

/// Whether the intent is about who the person is (linking, email, sign-in links) rather than
/// their wallet.
fn about_identity(intent: &Intent) -> bool {
    matches!(
        intent,
        Intent::Link { .. }
            | Intent::Start { payload: Some(_) }
            | Intent::Email(_)
            | Intent::EmailOff
            | Intent::Verify(_)
            | Intent::Web
    )
}

/// Whether a message is only an amount (`4.50`, `4.50 dollars`), the answer to "how much?".
fn is_bare_amount(intent: &Intent) -> bool {
    match intent {
        Intent::AddExpense { items, .. } => match items.as_slice() {
            [item] => item.amount.is_some() && item.note.is_none() && item.category.is_none(),
            _ => false,
        },
        _ => false,
    }
}

/// Fills a pending expense with the amount the person just sent, if that is what they sent.
fn complete(payload: &str, intent: &Intent) -> Option<Intent> {
    let pending: Pending = serde_json::from_str(payload).ok()?;
    let Intent::AddExpense { items, date } = intent else {
        return None;
    };
    let [item] = items.as_slice() else {
        return None;
    };
    if !is_bare_amount(intent) {
        return None;
    }
    let filled = Item {
        amount: item.amount,
        currency: item
            .currency
            .or_else(|| pending.currency.as_deref().and_then(Currency::parse)),
        category: pending.category.as_deref().and_then(Category::parse),
        note: pending.note,
        candidates: Vec::new(),
    };
    let date = date.or_else(|| pending.date.as_deref().and_then(|d| d.parse().ok()));
    Some(if pending.income {
        Intent::AddIncome { item: filled, date }
    } else {
        Intent::AddExpense {
            items: vec![filled],
            date,
        }
    })
}

/// An IANA zone by name, in any case (`europe/madrid`).
fn time_zone(name: &str) -> Option<chrono_tz::Tz> {
    name.parse::<chrono_tz::Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
            .copied()
    })
}

fn money(amount: Decimal, currency: Currency) -> String {
    format!("{} {currency}", format_amount(amount, currency))
}

fn money_of(m: &Money) -> String {
    money(m.amount(), m.currency())
}
