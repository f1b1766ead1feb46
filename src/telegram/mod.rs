//! The Telegram adapter: Bot API updates (long polling or webhook) become the bot core's
//! `Incoming`, and its `Reply` becomes Bot API calls made with teloxide. It only translates:
//! no SQL and no business rules live here. Each update is keyed by `update_id`, so a
//! redelivery changes nothing; when the database is down, an update is not confirmed (polling)
//! or answered 503 (webhook) so that Telegram delivers it again.

use std::future::Future;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use backon::{ConstantBuilder, ExponentialBuilder, Retryable as _};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use teloxide_core::adaptors::Throttle;
use teloxide_core::adaptors::throttle::Limits;
use teloxide_core::payloads::{
    AnswerCallbackQuerySetters, EditMessageTextSetters, GetUpdatesSetters, SendMessageSetters,
    SetMyCommandsSetters, SetWebhookSetters,
};
use teloxide_core::requests::{Request as _, Requester};
use teloxide_core::types::{
    AllowedUpdate, BotCommand, CallbackQuery, ChatId, ChatMemberUpdated, InlineKeyboardButton,
    InlineKeyboardMarkup, Message, MessageId, ParseMode, Update, UpdateKind,
};
use teloxide_core::{ApiError, RequestError};

use tokio_util::sync::CancellationToken;

use crate::adapter::AdapterError;
use crate::bot::{Bot, EventKey, IdentityHints, Incoming, IncomingKind, Reply, ReplyStatus};
use crate::domain::{ChatIdentity, Platform};
use crate::notify::ChatSender;
use crate::notify::delivery::SendFuture;
use crate::settings::Settings;

mod send;

/// Telegram's limit on one message's text.
const MESSAGE_LIMIT: usize = 4096;
/// How long one `getUpdates` long poll waits for news.
const POLL_TIMEOUT_SECS: u32 = 10;
/// How often a reply is retried after flood control before it is given up.
const FLOOD_RETRIES: u32 = 5;
/// The longest wait between retries of a failing poll or an unavailable database.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The updates the bot asks for.
const ALLOWED: [AllowedUpdate; 4] = [
    AllowedUpdate::Message,
    AllowedUpdate::EditedMessage,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::MyChatMember,
];

/// What became of one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Applied (or seen before, or of no interest): confirm it.
    Done,
    /// The database is unavailable and nothing changed: deliver it again later.
    RetryLater,
}

/// The Telegram side of the service. Cheap to share behind an `Arc`.
pub struct Telegram {
    api: teloxide_core::Bot,
    core: Bot,
    /// The numeric id at the start of the token, which keys this bot's updates.
    bot_id: String,
    token: SecretString,
    webhook_secret: Option<SecretString>,
    webhook_url: String,
    /// The bot's `@username`, learnt from `getMe`, for mentions in groups.
    username: RwLock<Option<String>>,
    /// The bot behind flood control, for notices; made (and its worker task started) on the
    /// first notice, inside the runtime.
    notices: OnceLock<Throttle<teloxide_core::Bot>>,
}

impl Telegram {
    /// The adapter for `settings`, or `None` when no token is set. Makes no network call.
    pub fn from_settings(settings: &Settings, core: Bot) -> Result<Option<Self>, AdapterError> {
        match settings.telegram.bot_token.clone() {
            Some(token) => Self::new(settings, core, token).map(Some),
            None => Ok(None),
        }
    }

    fn new(settings: &Settings, core: Bot, token: SecretString) -> Result<Self, AdapterError> {
        let url = settings.telegram.api_url.url().clone();
        let client = teloxide_core::net::default_reqwest_settings()
            .timeout(Duration::from_secs(u64::from(POLL_TIMEOUT_SECS) + 10))
            .build()
            .map_err(|e| AdapterError::Client {
                platform: "Telegram",
                reason: e.to_string(),
            })?;
        let api = teloxide_core::Bot::with_client(token.expose_secret(), client).set_api_url(url);
        let bot_id = token
            .expose_secret()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        Ok(Self {
            api,
            core,
            bot_id,
            webhook_secret: settings.telegram.webhook_secret.clone(),
            webhook_url: format!("{}/telegram/webhook", settings.http.public_url),
            token,
            username: RwLock::new(None),
            notices: OnceLock::new(),
        })
    }

    /// The bot's username (from `getMe`, once known), for `t.me` deep links.
    pub fn username(&self) -> Option<String> {
        self.username.read().ok().and_then(|u| u.clone())
    }

    /// Whether updates come by webhook (else by long polling).
    pub fn webhook_mode(&self) -> bool {
        self.webhook_secret.is_some()
    }

    /// Error text with the token taken out: HTTP client errors print URLs, and the token is
    /// part of every Bot API URL.
    fn redact(&self, e: &RequestError) -> String {
        e.to_string().replace(self.token.expose_secret(), "<token>")
    }

    /// Learns the bot's name, registers the command menu and sets or removes the webhook,
    /// retrying until Telegram answers or `stopping` says to give up.
    pub async fn prepare(&self, stop: &CancellationToken) {
        let policy = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(250))
            .with_max_delay(MAX_BACKOFF)
            .with_jitter()
            .without_max_times();
        let prepared = (|| self.try_prepare()).retry(policy).notify(|e, wait| {
            tracing::warn!(error = %self.redact(e), ?wait, "telegram: set-up failed; retrying");
        });
        tokio::select! {
            () = stop.cancelled() => {}
            // Retried without end, so it only returns once Telegram has answered.
            _ = prepared => {}
        }
    }

    async fn try_prepare(&self) -> Result<(), RequestError> {
        let me = self.api.get_me().await?;
        if let Ok(mut name) = self.username.write() {
            *name = me.user.username.clone().map(|u| u.to_lowercase());
        }
        let catalogue = self.core.catalogue();
        let commands: Vec<BotCommand> = catalogue
            .commands("en")
            .iter()
            .map(|c| BotCommand::new(c.name.clone(), c.description.clone()))
            .collect();
        self.api.set_my_commands(commands).await?;
        for (code, _) in catalogue.language_names().filter(|(code, _)| *code != "en") {
            let local: Vec<BotCommand> = catalogue
                .commands(code)
                .iter()
                .map(|c| BotCommand::new(c.name.clone(), c.description.clone()))
                .collect();
            self.api
                .set_my_commands(local)
                .language_code(code.to_owned())
                .await?;
        }
        match &self.webhook_secret {
            Some(secret) => {
                let url = reqwest::Url::parse(&self.webhook_url).map_err(|e| {
                    RequestError::Io(Arc::new(std::io::Error::other(format!(
                        "SPENDBOT_PUBLIC_URL: {e}"
                    ))))
                })?;
                self.api
                    .set_webhook(url)
                    .secret_token(secret.expose_secret().to_owned())
                    .allowed_updates(ALLOWED.to_vec())
                    .await?;
                tracing::info!(url = %self.webhook_url, "telegram: webhook set");
            }
            None => {
                self.api.delete_webhook().await?;
                tracing::info!("telegram: long polling");
            }
        }
        Ok(())
    }

    /// Long polling until `stop` is cancelled. An update is confirmed (the next offset passes
    /// it) only once it is handled; when the database is down the same batch is fetched again.
    /// This loop is the project's own rather than teloxide's listener, which confirms an update
    /// as soon as it is received: a message must not be lost when the database is down.
    pub async fn poll(&self, stop: CancellationToken) {
        self.prepare(&stop).await;
        if stop.is_cancelled() {
            return;
        }
        let mut offset: i32 = 0;
        let mut backoff = Duration::from_millis(250);
        loop {
            let request = self
                .api
                .get_updates()
                .offset(offset)
                .timeout(POLL_TIMEOUT_SECS)
                .allowed_updates(ALLOWED.to_vec());
            let updates = tokio::select! {
                () = stop.cancelled() => return,
                result = request => result,
            };
            let updates = match updates {
                Ok(updates) => updates,
                Err(RequestError::RetryAfter(wait)) => {
                    if !pause(&stop, wait.duration()).await {
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %self.redact(&e), "telegram: getUpdates failed");
                    if !pause(&stop, backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            let mut retry = false;
            for update in updates {
                let id = update.id.0;
                if self.handle(update).await == Handled::RetryLater {
                    retry = true;
                    break;
                }
                offset = i32::try_from(id).map_or(offset, |id| id.saturating_add(1));
            }
            if retry {
                if !pause(&stop, backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            } else {
                backoff = Duration::from_millis(250);
            }
            if stop.is_cancelled() {
                return;
            }
        }
    }

    /// `POST /telegram/webhook`: 401 without the right secret header, 400 for a body that is
    /// not an update, 503 when the database is down (Telegram retries), else 200.
    pub async fn webhook(&self, headers: &HeaderMap, body: &Bytes) -> StatusCode {
        let Some(secret) = &self.webhook_secret else {
            return StatusCode::NOT_FOUND;
        };
        let given = headers
            .get("x-telegram-bot-api-secret-token")
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !constant_time_eq(given, secret.expose_secret().as_bytes()) {
            return StatusCode::UNAUTHORIZED;
        }
        let update: Update = match serde_json::from_slice(body) {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(error = %e, "telegram: a webhook body is not an update");
                return StatusCode::BAD_REQUEST;
            }
        };
        match self.handle(update).await {
            Handled::Done => StatusCode::OK,
            Handled::RetryLater => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Handles one update of any kind.
    #[tracing::instrument(skip_all, fields(update = update.id.0))]
    pub async fn handle(&self, update: Update) -> Handled {
        let started = Instant::now();
        let event = EventKey(format!("tg:{}:{}", self.bot_id, update.id.0));
        let dispatched = crate::contain::contained("telegram update", async {
            match update.kind {
                UpdateKind::Message(msg) => self.message(msg, event, false).await,
                UpdateKind::EditedMessage(msg) => self.message(msg, event, true).await,
                UpdateKind::CallbackQuery(q) => self.callback(q, event).await,
                UpdateKind::MyChatMember(change) => self.membership(change).await,
                _ => Handled::Done,
            }
        })
        .await;
        crate::metrics::update_handled("telegram", started);
        // An update whose handling panicked is confirmed all the same: delivered again it
        // would panic again, and hold back every update after it.
        dispatched.unwrap_or(Handled::Done)
    }

    async fn message(&self, msg: Message, event: EventKey, edited: bool) -> Handled {
        let (Some(from), Some(text)) = (msg.from.as_ref(), msg.text()) else {
            return Handled::Done;
        };
        if from.is_bot {
            return Handled::Done;
        }
        let Some(text) = self.addressed_text(&msg, text) else {
            return Handled::Done;
        };
        let Ok(identity) = ChatIdentity::new(Platform::Telegram, &from.id.0.to_string()) else {
            return Handled::Done;
        };
        let reference = format!("tg:{}:{}", msg.chat.id.0, msg.id.0);
        let incoming = Incoming {
            identity,
            kind: if edited {
                IncomingKind::Edited(text)
            } else {
                IncomingKind::Text(text)
            },
            at: Utc::now(),
            event: Some(event),
            hints: IdentityHints {
                language: from.language_code.clone(),
                display_name: Some(from.first_name.clone()),
            },
            message: Some(reference),
        };
        let reply = self.core.handle(incoming).await;
        match reply.status {
            ReplyStatus::Duplicate => Handled::Done,
            ReplyStatus::RetryLater => Handled::RetryLater,
            ReplyStatus::Done | ReplyStatus::Notice => {
                self.send(msg.chat.id, &reply, from.id.0).await;
                Handled::Done
            }
        }
    }

    /// In a private chat, every text. In a group (privacy mode), only commands to this bot,
    /// mentions of it and replies to its messages; the mention itself is taken out.
    fn addressed_text(&self, msg: &Message, text: &str) -> Option<String> {
        if msg.chat.is_private() {
            return Some(text.to_owned());
        }
        let username = self.username.read().ok().and_then(|u| u.clone());
        if let Some(command) = text.strip_prefix('/') {
            let head = command.split_whitespace().next().unwrap_or_default();
            return match head.split_once('@') {
                None => Some(text.to_owned()),
                Some((_, to)) if username.as_deref() == Some(to.to_lowercase().as_str()) => {
                    Some(text.to_owned())
                }
                Some(_) => None,
            };
        }
        if let Some(name) = &username {
            let mention = format!("@{name}");
            // ASCII lower-casing keeps byte offsets (usernames are ASCII), so `at` indexes `text`.
            let lower = text.to_ascii_lowercase();
            if let Some(at) = lower.find(&mention) {
                let mut rest = String::with_capacity(text.len());
                rest.push_str(&text[..at]);
                rest.push_str(&text[at + mention.len()..]);
                return Some(rest.trim().to_owned());
            }
        }
        let to_me = msg
            .reply_to_message()
            .and_then(|r| r.from.as_ref())
            .is_some_and(|u| u.is_bot && u.id.0.to_string() == self.bot_id);
        to_me.then(|| text.to_owned())
    }

    async fn callback(&self, q: CallbackQuery, event: EventKey) -> Handled {
        let Some(data) = q.data.clone() else {
            self.answer(&q).await;
            return Handled::Done;
        };
        let Ok(identity) = ChatIdentity::new(Platform::Telegram, &q.from.id.0.to_string()) else {
            self.answer(&q).await;
            return Handled::Done;
        };
        let incoming = Incoming {
            identity,
            kind: IncomingKind::Button(data),
            at: Utc::now(),
            event: Some(event),
            hints: IdentityHints {
                language: q.from.language_code.clone(),
                display_name: Some(q.from.first_name.clone()),
            },
            message: q
                .message
                .as_ref()
                .map(|m| format!("tg:{}:{}", m.chat().id.0, m.id().0)),
        };
        let reply = self.core.handle(incoming).await;
        if reply.status == ReplyStatus::Notice {
            // For the presser alone (someone else's button in a group, or nothing left to
            // do): a notification on their screen; the message stays as it is.
            self.answer_with(&q, &reply.text).await;
            return Handled::Done;
        }
        // The client shows a spinner until the query is answered, whatever happened.
        self.answer(&q).await;
        match reply.status {
            ReplyStatus::RetryLater => Handled::RetryLater,
            ReplyStatus::Duplicate | ReplyStatus::Notice => Handled::Done,
            ReplyStatus::Done => {
                match &q.message {
                    Some(m) => self.edit(m.chat().id, m.id(), &reply).await,
                    None => {
                        self.send(
                            ChatId(i64::try_from(q.from.id.0).unwrap_or_default()),
                            &reply,
                            q.from.id.0,
                        )
                        .await;
                    }
                }
                Handled::Done
            }
        }
    }

    /// A private chat's member status: blocking the bot makes the person unreachable for
    /// alerts, unblocking makes them reachable again.
    async fn membership(&self, change: ChatMemberUpdated) -> Handled {
        if !change.chat.is_private() {
            return Handled::Done;
        }
        let Ok(identity) = ChatIdentity::new(Platform::Telegram, &change.from.id.0.to_string())
        else {
            return Handled::Done;
        };
        let gone = change.new_chat_member.is_banned() || change.new_chat_member.is_left();
        if self.core.set_reachable(&identity, !gone).await {
            Handled::Done
        } else {
            Handled::RetryLater
        }
    }
}

/// Waits `how_long` unless `stop` is cancelled first; says whether to go on.
async fn pause(stop: &CancellationToken, how_long: Duration) -> bool {
    tokio::select! {
        () = stop.cancelled() => false,
        () = tokio::time::sleep(how_long) => true,
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"s3cr3t", b"s3cr3t"));
        assert!(!constant_time_eq(b"s3cr3t", b"s3cr3T"));
        assert!(!constant_time_eq(b"s3cr3t", b"s3cr3"));
    }
}
