//! The Discord adapter: HTTP interactions (`POST /discord/interactions`) become the bot core's
//! `Incoming`, and its `Reply` becomes an interaction response built with serenity. Slash
//! commands come from the intent catalogue and are turned into the same words Telegram and
//! the terminal use, so every platform understands the same things. It also sends direct
//! messages (for alerts). It only translates: no SQL and no business rules live here.

use std::sync::{Arc, RwLock};
use std::time::Duration;

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
use crate::settings::Settings;

/// Discord's limit on one message's content.
const CONTENT_LIMIT: usize = 2000;
/// Discord invalidates an interaction not answered within 3 s; work that may take longer is
/// deferred and finished with a follow-up.
const DEFER_AFTER: Duration = Duration::from_millis(2000);
/// How often a rate-limited request is retried before it is given up.
const RATE_LIMIT_RETRIES: u32 = 5;
/// Discord's own API, where serenity's rate limiter applies.
const DISCORD_API: &str = "https://discord.com/api/v10";
/// Suggested while typing a currency.
const CURRENCIES: [&str; 24] = [
    "USD", "EUR", "GBP", "INR", "JPY", "CHF", "CAD", "AUD", "NZD", "CNY", "HKD", "SGD", "SEK",
    "NOK", "DKK", "PLN", "CZK", "MXN", "BRL", "ARS", "ZAR", "THB", "KRW", "TRY",
];
/// Suggested while typing a period.
const PERIODS: [&str; 11] = [
    "today",
    "yesterday",
    "this week",
    "last week",
    "this month",
    "last month",
    "this year",
    "last year",
    "last 7 days",
    "last 30 days",
    "last weekend",
];
/// Suggested while typing a day.
const DAYS: [&str; 6] = [
    "today",
    "yesterday",
    "day before yesterday",
    "last friday",
    "2 days ago",
    "last weekend",
];

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
    /// Whether requests go to Discord itself (serenity's rate limiter) or to another server
    /// (tests), where 429 answers are waited out here.
    manual_rate_limits: bool,
    token: Option<SecretString>,
    defer_after: RwLock<Duration>,
}

impl Discord {
    /// The adapter for `settings`, or `None` when no public key is set. Makes no network call.
    pub fn from_settings(settings: &Settings, core: Bot) -> Result<Option<Self>, AdapterError> {
        match settings.discord.public_key.clone() {
            Some(key) => Self::new(settings, core, &key).map(Some),
            None => Ok(None),
        }
    }

    fn new(settings: &Settings, core: Bot, public_key: &str) -> Result<Self, AdapterError> {
        let bad_key = |reason: &str| AdapterError::BadSetting {
            setting: "DISCORD_PUBLIC_KEY",
            reason: reason.to_owned(),
        };
        let bytes = hex_key(public_key).ok_or_else(|| bad_key("not 64 hex digits"))?;
        let verifier =
            Verifier::try_new(bytes).map_err(|_| bad_key("not an Ed25519 public key"))?;
        let token = settings.discord.bot_token.clone();
        let http = http_client(settings, token.as_ref())?;
        Ok(Self {
            verifier,
            http: Arc::new(http),
            core,
            manual_rate_limits: settings.discord.api_url.trim_end_matches('/') != DISCORD_API,
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
        let interaction: Interaction = match serde_json::from_slice(body) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "discord: an interaction could not be read");
                return (StatusCode::BAD_REQUEST, "not an interaction").into_response();
            }
        };
        let response = match interaction {
            Interaction::Ping(_) => CreateInteractionResponse::Pong,
            Interaction::Command(cmd) => self.command(cmd).await,
            Interaction::Autocomplete(cmd) => autocomplete(&cmd, self.core.catalogue()),
            Interaction::Component(c) => self.component(c).await,
            _ => return (StatusCode::BAD_REQUEST, "unsupported interaction").into_response(),
        };
        axum::Json(response).into_response()
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
        let core = self.core.clone();
        let work = tokio::spawn(async move { core.handle(incoming).await });
        let after = self.defer_after.read().map_or(DEFER_AFTER, |d| *d);
        let mut work = work;
        // A zero wait defers always: a timeout would still take work that is already done.
        let waited = if after.is_zero() {
            None
        } else {
            tokio::time::timeout(after, &mut work).await.ok()
        };
        match waited {
            Some(Ok(reply)) => self.respond(&reply, in_guild, &cmd.locale),
            Some(Err(_)) => self.notice(&cmd.locale, "internal"),
            None => {
                // Too slow for the 3-second deadline: defer now, follow up when done.
                let me = Arc::clone(self);
                tokio::spawn(async move {
                    if let Ok(reply) = work.await {
                        me.follow_up(&cmd, &reply).await;
                    }
                });
                CreateInteractionResponse::Defer(
                    CreateInteractionResponseMessage::new().ephemeral(in_guild),
                )
            }
        }
    }

    /// Finishes a deferred command by editing its original response.
    async fn follow_up(&self, cmd: &CommandInteraction, reply: &Reply) {
        let text = if reply.status == ReplyStatus::Duplicate {
            self.words(&cmd.locale, "already_done").to_owned()
        } else {
            content(&reply.text)
        };
        let edit = EditInteractionResponse::new()
            .content(text)
            .components(components(&reply.buttons));
        for attempt in 0..=RATE_LIMIT_RETRIES {
            match cmd.edit_response(&self.http, edit.clone()).await {
                Ok(_) => return,
                Err(e)
                    if attempt < RATE_LIMIT_RETRIES
                        && status(&e) == Some(429)
                        && self.manual_rate_limits =>
                {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => {
                    tracing::warn!(error = %self.redact(&e.to_string()), "discord: follow-up failed");
                    return;
                }
            }
        }
    }

    async fn component(&self, c: ComponentInteraction) -> CreateInteractionResponse {
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
        let reply = self.core.handle(incoming).await;
        match reply.status {
            ReplyStatus::Done => CreateInteractionResponse::UpdateMessage(
                CreateInteractionResponseMessage::new()
                    .content(content(&reply.text))
                    .components(components(&reply.buttons)),
            ),
            _ => self.respond(&reply, true, &c.locale),
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

    /// Sends a direct message: opens the DM channel and posts to it, waiting out rate limits.
    /// A person whose DMs are closed (code 50007) is marked unreachable, so alerts stop trying.
    pub async fn send_dm(&self, user_id: u64, text: &str) -> Result<(), DmError> {
        let user = UserId::new(user_id.max(1));
        let channel = self
            .with_rate_limits(|| user.create_dm_channel(&self.http))
            .await;
        let sent = match channel {
            Ok(channel) => {
                let message = CreateMessage::new().content(content(text));
                self.with_rate_limits(|| channel.id.send_message(&self.http, message.clone()))
                    .await
                    .map(drop)
            }
            Err(e) => Err(e),
        };
        match sent {
            Ok(()) => Ok(()),
            Err(e) if json_code(&e) == Some(50007) => {
                if let Ok(identity) = ChatIdentity::new(Platform::Discord, &user_id.to_string()) {
                    self.core.set_reachable(&identity, false).await;
                }
                Err(DmError::Closed)
            }
            Err(e) => Err(DmError::Failed(self.redact(&e.to_string()))),
        }
    }

    /// Runs a request again after a 429, with growing waits. Against Discord itself serenity's
    /// rate limiter already waits as told; this covers another API server, where serenity
    /// hands the 429 back without the wait it asked for.
    async fn with_rate_limits<T, F, Fut>(&self, mut request: F) -> Result<T, serenity::Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, serenity::Error>>,
    {
        let mut wait = Duration::from_secs(1);
        let mut attempt = 0;
        loop {
            match request().await {
                Err(e) if status(&e) == Some(429) && attempt < RATE_LIMIT_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(30));
                }
                result => return result,
            }
        }
    }
}

fn http_client(settings: &Settings, token: Option<&SecretString>) -> Result<Http, AdapterError> {
    let token = token
        .map(|t| t.expose_secret().to_owned())
        .unwrap_or_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AdapterError::Client {
            platform: "Discord",
            reason: e.to_string(),
        })?;
    let base = settings.discord.api_url.trim_end_matches('/');
    let mut builder = HttpBuilder::new(token).client(client);
    if let Some(app) = settings.discord.application_id {
        builder = builder.application_id(app.get().into());
    }
    if base != DISCORD_API {
        // serenity ignores a proxy while its rate limiter is on (docs/protocols.md, 4.3);
        // another server (a test's fake) gets plain requests and 429s are waited out by this
        // adapter.
        let origin = base.strip_suffix("/api/v10").unwrap_or(base);
        builder = builder.proxy(origin).ratelimiter_disabled(true);
    }
    Ok(builder.build())
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

/// The bot message a slash command stands for: its text template with the options filled in.
fn command_text(def: &SlashDef, cmd: &CommandInteraction) -> String {
    let value = |name: &str| {
        cmd.data
            .options
            .iter()
            .find(|o| o.name == name)
            .map(|o| match &o.value {
                CommandDataOptionValue::String(s) => s.trim().to_owned(),
                CommandDataOptionValue::Integer(i) => i.to_string(),
                CommandDataOptionValue::Autocomplete { value, .. } => value.trim().to_owned(),
                _ => String::new(),
            })
    };
    let mut text = def.text.clone();
    for option in &def.options {
        let given = value(&option.name).filter(|v| !v.is_empty());
        let hashed = given
            .as_ref()
            .map(|v| format!("#{}", v.trim_start_matches('#')))
            .unwrap_or_default();
        text = text.replace(&format!("{{#{}}}", option.name), &hashed);
        text = text.replace(
            &format!("{{{}}}", option.name),
            given.as_deref().unwrap_or_default(),
        );
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn create_command(def: &SlashDef) -> CreateCommand {
    let mut command = CreateCommand::new(def.name.clone()).description(def.description.clone());
    for o in &def.options {
        let mut option = CreateCommandOption::new(
            CommandOptionType::String,
            o.name.clone(),
            o.description.clone(),
        )
        .required(o.required)
        .set_autocomplete(o.autocomplete.is_some());
        for choice in &o.choices {
            option = option.add_string_choice(choice.clone(), choice.clone());
        }
        command = command.add_option(option);
    }
    command
}

/// Suggestions for the option being typed (type 4 answered with type 8).
/// Suggestions while an option is typed: categories named in the person's language (the
/// value stays the category's own name), currencies, periods and days.
fn autocomplete(cmd: &CommandInteraction, catalogue: &Catalogue) -> CreateInteractionResponse {
    let slash = catalogue.slash_commands();
    let lang = catalogue.language_for(&cmd.locale).unwrap_or("en");
    let Some(focused) = cmd.data.autocomplete() else {
        return CreateInteractionResponse::Autocomplete(CreateAutocompleteResponse::new());
    };
    let kind = slash
        .iter()
        .find(|d| d.name == cmd.data.name)
        .and_then(|d| d.options.iter().find(|o| o.name == focused.name))
        .and_then(|o| o.autocomplete.clone())
        .unwrap_or_else(|| focused.name.to_owned());
    let typed = focused.value.trim().to_lowercase();
    let pool: Vec<&str> = match kind.as_str() {
        "category" => DEFAULT_CATEGORIES.to_vec(),
        "currency" => CURRENCIES.to_vec(),
        "period" => PERIODS.to_vec(),
        "day" => DAYS.to_vec(),
        _ => Vec::new(),
    };
    let label = |value: &str| -> String {
        if kind == "category" {
            catalogue.category_label(lang, value).to_owned()
        } else {
            value.to_owned()
        }
    };
    let mut response = CreateAutocompleteResponse::new();
    let choices = pool
        .into_iter()
        .map(|value| (label(value), value))
        .filter(|(shown, value)| shown.to_lowercase().contains(&typed) || value.contains(&typed))
        .take(25);
    for (shown, value) in choices {
        response = response.add_string_choice(shown, value);
    }
    CreateInteractionResponse::Autocomplete(response)
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

fn status(e: &serenity::Error) -> Option<u16> {
    match e {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.status_code.as_u16())
        }
        _ => None,
    }
}

fn json_code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.error.code)
        }
        _ => None,
    }
}

fn hex_key(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_are_read_from_hex() {
        assert_eq!(hex_key(&"ab".repeat(32)).map(|k| k[0]), Some(0xab));
        assert!(hex_key("abc").is_none());
        assert!(hex_key(&"zz".repeat(32)).is_none());
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
