//! The Discord adapter: HTTP interactions (`POST /discord/interactions`) become the bot core's
//! `Incoming`, and its `Reply` becomes an interaction response built with serenity. Slash
//! commands come from the intent catalogue and are turned into the same words Telegram and
//! the terminal use, so every platform understands the same things. It also sends direct
//! messages (for alerts). It only translates: no SQL and no business rules live here.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serenity::all::{
    ButtonStyle, Command, CommandDataOptionValue, CommandInteraction, CommandOptionType,
    ComponentInteraction, CreateActionRow, CreateAutocompleteResponse, CreateButton, CreateCommand,
    CreateCommandOption, CreateInteractionResponse, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse, GuildId, Interaction, InteractionResponseFlags, Member,
    User, UserId,
};
use serenity::http::{Http, HttpBuilder};
use serenity::interactions_endpoint::Verifier;

use crate::adapter::AdapterError;
use crate::bot::{
    Bot, Button, EventKey, IdentityHints, Incoming, IncomingKind, Reply, ReplyStatus,
};
use crate::domain::{ChatIdentity, DEFAULT_CATEGORIES, Platform};
use crate::intent::{Catalogue, SlashDef};
use crate::notify::ChatSender;
use crate::notify::delivery::SendFuture;
use crate::settings::{Ed25519Key, Settings};

mod commands;
mod send;

use commands::*;
use send::*;

/// Discord's limit on one message's content.
const CONTENT_LIMIT: usize = 2000;
/// Discord invalidates an interaction not answered within 3 s; work that may take longer is
/// deferred and finished with a follow-up.
const DEFER_AFTER: Duration = Duration::from_millis(2000);
/// How often a rate-limited request is retried before it is given up.
const RATE_LIMIT_RETRIES: u32 = 5;
/// Discord's own API, where serenity's rate limiter applies.
const DISCORD_API: &str = "https://discord.com/api/v10";
/// Why a direct message was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum DmError {
    /// The person does not accept direct messages from the bot (code 50007); they are now
    /// marked unreachable.
    #[error("the user does not accept direct messages")]
    Closed,
    #[error("Discord refused the message: {0}")]
    Failed(String),
}

/// The Discord side of the service. Cheap to share behind an `Arc`.
pub struct Discord {
    verifier: Verifier,
    http: Arc<Http>,
    core: Bot,
    token: Option<SecretString>,
    defer_after: RwLock<Duration>,
}

impl Discord {
    /// The adapter for `settings`, or `None` when no public key is set. Makes no network call.
    pub fn from_settings(settings: &Settings, core: Bot) -> Result<Option<Self>, AdapterError> {
        match settings.discord.public_key {
            Some(key) => Self::new(settings, core, key).map(Some),
            None => Ok(None),
        }
    }

    fn new(settings: &Settings, core: Bot, public_key: Ed25519Key) -> Result<Self, AdapterError> {
        let verifier = Verifier::try_new(public_key.0).map_err(|_| AdapterError::BadSetting {
            setting: "DISCORD_PUBLIC_KEY",
            reason: "not an Ed25519 public key".to_owned(),
        })?;
        let token = settings.discord.bot_token.clone();
        let http = http_client(settings, token.as_ref())?;
        Ok(Self {
            verifier,
            http: Arc::new(http),
            core,
            token,
            defer_after: RwLock::new(DEFER_AFTER),
        })
    }

    /// A reply of the catalogue in the language of a Discord locale (`es-ES`), else English.
    fn words(&self, locale: &str, key: &'static str) -> &'static str {
        let catalogue = self.core.catalogue();
        let lang = catalogue.language_for(locale).unwrap_or("en");
        catalogue.reply(lang, key)
    }

    /// A short private answer in the person's language: `unknown_command`, `internal`, …
    fn notice(&self, locale: &str, key: &'static str) -> CreateInteractionResponse {
        let reply = Reply {
            text: self.words(locale, key).to_owned(),
            ..Reply::default()
        };
        message(&reply, true)
    }

    /// The response to a handled command: ephemeral in guilds, so nobody else sees your
    /// spending. A replayed interaction changes nothing; it still needs an answer.
    fn respond(&self, reply: &Reply, in_guild: bool, locale: &str) -> CreateInteractionResponse {
        match reply.status {
            ReplyStatus::Duplicate => self.notice(locale, "already_done"),
            _ => message(reply, in_guild),
        }
    }

    /// How long an interaction may take before it is deferred (2 s; tests shorten it).
    pub fn set_defer_after(&self, after: Duration) {
        if let Ok(mut d) = self.defer_after.write() {
            *d = after;
        }
    }

    fn redact(&self, text: &str) -> String {
        match &self.token {
            Some(t) if !t.expose_secret().is_empty() => text.replace(t.expose_secret(), "<token>"),
            _ => text.to_owned(),
        }
    }

    /// `POST /discord/interactions`: 401 unless the Ed25519 signature over timestamp and body
    /// verifies; then the interaction's answer.
    pub async fn interactions(self: &Arc<Self>, headers: &HeaderMap, body: &Bytes) -> Response {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
        };
        let (signature, timestamp) = (
            header("x-signature-ed25519"),
            header("x-signature-timestamp"),
        );
        if signature.is_empty()
            || timestamp.is_empty()
            || self.verifier.verify(signature, timestamp, body).is_err()
        {
            return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
        }
        if !fresh(timestamp, Utc::now().timestamp()) {
            // A signed request replayed later (or with a timestamp that is no time at all).
            return (StatusCode::UNAUTHORIZED, "stale request timestamp").into_response();
        }
        let interaction: Interaction = match serde_json::from_slice(body) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "discord: an interaction could not be read");
                return (StatusCode::BAD_REQUEST, "not an interaction").into_response();
            }
        };
        let started = Instant::now();
        let locale = locale_of(&interaction);
        let dispatched = crate::contain::contained("discord interaction", async {
            Some(match interaction {
                Interaction::Ping(_) => CreateInteractionResponse::Pong,
                Interaction::Command(cmd) => self.command(cmd).await,
                Interaction::Autocomplete(cmd) => autocomplete(&cmd, self.core.catalogue()),
                Interaction::Component(c) => self.component(c).await,
                _ => return None,
            })
        })
        .await;
        crate::metrics::update_handled("discord", started);
        match dispatched {
            Ok(Some(response)) => axum::Json(response).into_response(),
            Ok(None) => (StatusCode::BAD_REQUEST, "unsupported interaction").into_response(),
            // The person hears that it went wrong; Discord is answered, so it does not retry.
            Err(_) => axum::Json(self.notice(&locale, "internal")).into_response(),
        }
    }

    async fn command(self: &Arc<Self>, cmd: CommandInteraction) -> CreateInteractionResponse {
        let in_guild = cmd.guild_id.is_some();
        let Some(text) = self
            .core
            .catalogue()
            .slash_commands()
            .iter()
            .find(|s| s.name == cmd.data.name)
            .map(|def| command_text(def, &cmd))
        else {
            return self.notice(&cmd.locale, "unknown_command");
        };
        let Some(incoming) = incoming(
            &cmd.user,
            cmd.member.as_deref(),
            &cmd.locale,
            cmd.id.get(),
            IncomingKind::Text(text),
        ) else {
            return self.notice(&cmd.locale, "unknown_user");
        };
        match self.in_time(incoming).await {
            InTime::Reply(reply) => self.respond(&reply, in_guild, &cmd.locale),
            InTime::Failed => self.notice(&cmd.locale, "internal"),
            InTime::Late(work) => {
                // Too slow for the 3-second deadline: defer now, follow up when done.
                let me = Arc::clone(self);
                tokio::spawn(async move {
                    if let Ok(reply) = work.await {
                        let locale = cmd.locale.clone();
                        me.follow_up(&locale, &reply, |edit| cmd.edit_response(&me.http, edit))
                            .await;
                    }
                });
                CreateInteractionResponse::Defer(
                    CreateInteractionResponseMessage::new().ephemeral(in_guild),
                )
            }
        }
    }

    /// Hands `incoming` to the bot and waits for its reply as long as Discord's 3-second
    /// deadline allows.
    async fn in_time(&self, incoming: Incoming) -> InTime {
        let core = self.core.clone();
        let mut work = tokio::spawn(async move { core.handle(incoming).await });
        let after = self.defer_after.read().map_or(DEFER_AFTER, |d| *d);
        // A zero wait defers always: a timeout would still take work that is already done.
        if after.is_zero() {
            return InTime::Late(work);
        }
        match tokio::time::timeout(after, &mut work).await {
            Ok(Ok(reply)) => InTime::Reply(reply),
            Ok(Err(_)) => InTime::Failed,
            Err(_) => InTime::Late(work),
        }
    }

    /// Finishes a deferred interaction by editing its original response with `edit` (a
    /// command's answer, or the message a button is on).
    async fn follow_up<F, Fut>(&self, locale: &str, reply: &Reply, edit: F)
    where
        F: Fn(EditInteractionResponse) -> Fut,
        Fut: std::future::Future<Output = Result<serenity::all::Message, serenity::Error>>,
    {
        let text = if reply.status == ReplyStatus::Duplicate {
            self.words(locale, "already_done").to_owned()
        } else {
            content(&reply.text)
        };
        let response = EditInteractionResponse::new()
            .content(text)
            .components(components(&reply.buttons));
        // Only a `429` is tried again: an edit that failed halfway may have landed.
        let edited = self.with_rate_limits(|| edit(response.clone())).await;
        if let Err(e) = edited {
            tracing::warn!(error = %self.redact(&e.to_string()), "discord: follow-up failed");
        }
    }

    async fn component(self: &Arc<Self>, c: ComponentInteraction) -> CreateInteractionResponse {
        let data = c.data.custom_id.clone();
        let Some(incoming) = incoming(
            &c.user,
            c.member.as_ref(),
            &c.locale,
            c.id.get(),
            IncomingKind::Button(data),
        ) else {
            return self.notice(&c.locale, "unknown_user");
        };
        match self.in_time(incoming).await {
            InTime::Reply(reply) => self.pressed(&reply, &c.locale),
            InTime::Failed => self.notice(&c.locale, "internal"),
            InTime::Late(work) => {
                // Acknowledged now (the message stays); when the work is done its reply
                // replaces the message, or reaches the presser alone when it is a notice.
                let me = Arc::clone(self);
                tokio::spawn(async move {
                    let Ok(reply) = work.await else { return };
                    if reply.status == ReplyStatus::Notice {
                        let note = serenity::all::CreateInteractionResponseFollowup::new()
                            .content(content(&reply.text))
                            .ephemeral(true);
                        if let Err(e) = c.create_followup(&me.http, note).await {
                            tracing::warn!(error = %me.redact(&e.to_string()), "discord: follow-up failed");
                        }
                    } else {
                        let locale = c.locale.clone();
                        me.follow_up(&locale, &reply, |edit| c.edit_response(&me.http, edit))
                            .await;
                    }
                });
                CreateInteractionResponse::Acknowledge
            }
        }
    }

    /// The answer to a button press: the message updated in place, or (a notice, a
    /// redelivery, an outage) a message for the presser alone.
    fn pressed(&self, reply: &Reply, locale: &str) -> CreateInteractionResponse {
        match reply.status {
            ReplyStatus::Done => CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new()
                    .content(content(&reply.text))
                    .components(components(&reply.buttons)),
            ),
            _ => self.respond(reply, true, locale),
        }
    }

    /// Registers (overwrites) the slash commands, for one guild or globally; returns their names.
    pub async fn register_commands(&self, guild: Option<u64>) -> Result<Vec<String>, String> {
        let commands: Vec<CreateCommand> = self
            .core
            .catalogue()
            .slash_commands()
            .iter()
            .map(create_command)
            .collect();
        let registered = match guild {
            Some(g) => GuildId::new(g).set_commands(&self.http, commands).await,
            None => Command::set_global_commands(&self.http, commands).await,
        }
        .map_err(|e| self.redact(&e.to_string()))?;
        Ok(registered.into_iter().map(|c| c.name).collect())
    }
}

/// The person behind an interaction: `member.user` in a guild, `user` in a DM.
fn incoming(
    user: &User,
    member: Option<&Member>,
    locale: &str,
    id: u64,
    kind: IncomingKind,
) -> Option<Incoming> {
    let user = member.map_or(user, |m| &m.user);
    let identity = ChatIdentity::new(Platform::Discord, &user.id.get().to_string()).ok()?;
    Some(Incoming {
        identity,
        kind,
        at: Utc::now(),
        event: Some(EventKey(format!("dc:{id}"))),
        hints: IdentityHints {
            language: Some(locale.to_owned()).filter(|l| !l.is_empty()),
            display_name: Some(
                user.global_name
                    .clone()
                    .unwrap_or_else(|| user.name.clone()),
            ),
        },
        message: None,
    })
}

fn message(reply: &Reply, ephemeral: bool) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .content(content(&reply.text))
            .components(components(&reply.buttons))
            // No embeds: unfurling fetches the link, which would use up a one-time sign-in
            // link (`/web`) before the person opens it.
            .flags(InteractionResponseFlags::SUPPRESS_EMBEDS)
            .ephemeral(ephemeral),
    )
}

/// Text cut below Discord's 2000-character limit.
fn content(text: &str) -> String {
    if text.chars().count() <= CONTENT_LIMIT {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(CONTENT_LIMIT - 1).collect();
    cut.push('…');
    cut
}

/// Buttons, five to a row, at most five rows.
fn components(buttons: &[Button]) -> Vec<CreateActionRow> {
    buttons
        .chunks(5)
        .take(5)
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .map(|b| {
                        CreateButton::new(b.data.clone())
                            .label(b.label.clone())
                            .style(ButtonStyle::Secondary)
                    })
                    .collect(),
            )
        })
        .collect()
}

/// How far a request's signed timestamp may be from now, either way.
const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Whether a signed timestamp (Unix seconds) is within [`MAX_CLOCK_SKEW_SECS`] of `now`.
fn fresh(timestamp: &str, now: i64) -> bool {
    timestamp
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|t| now.checked_sub(t))
        .is_some_and(|skew| skew.abs() <= MAX_CLOCK_SKEW_SECS)
}

/// What became of handing an interaction to the bot within Discord's deadline.
enum InTime {
    Reply(Reply),
    /// The work failed (it panicked); the person hears that something went wrong.
    Failed,
    /// Still running: answer Discord now, follow up with this when it is done.
    Late(tokio::task::JoinHandle<Reply>),
}

/// The locale of the person behind an interaction, for words said before it is handled.
fn locale_of(interaction: &Interaction) -> String {
    match interaction {
        Interaction::Command(c) | Interaction::Autocomplete(c) => c.locale.clone(),
        Interaction::Component(c) => c.locale.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_must_be_seconds_within_five_minutes() {
        let now = 1_800_000_000;
        assert!(fresh("1800000000", now));
        assert!(fresh("1799999700", now));
        assert!(fresh("1800000300", now));
        assert!(!fresh("1799999699", now));
        assert!(!fresh("1800000301", now));
        assert!(!fresh("not-a-number", now));
        assert!(!fresh("", now));
        assert!(!fresh("-9223372036854775808", now));
    }

    #[test]
    fn content_is_cut_below_the_limit() {
        assert_eq!(content("short"), "short");
        let long = content(&"x".repeat(5000));
        assert_eq!(long.chars().count(), CONTENT_LIMIT);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn every_slash_command_has_a_valid_name_and_description() {
        let defs = crate::intent::Catalogue::embedded().slash_commands();
        assert!(defs.len() >= 11);
        for d in defs {
            assert!(
                !d.name.is_empty()
                    && d.name.len() <= 32
                    && d.name.chars().all(|c| c.is_ascii_lowercase()),
                "{}",
                d.name
            );
            assert!(
                !d.description.is_empty() && d.description.chars().count() <= 100,
                "{}",
                d.name
            );
            for o in &d.options {
                assert!(
                    d.text.contains(&format!("{{{}}}", o.name))
                        || d.text.contains(&format!("{{#{}}}", o.name)),
                    "{} {}",
                    d.name,
                    o.name
                );
            }
        }
    }
}
