//! A fake Discord HTTP API (v10) on loopback, speaking the REST calls the bot makes the way
//! Discord does (see docs/protocols.md, sections 3 and 4): bulk-overwriting slash
//! commands, opening DM channels and posting to them, interaction callbacks, and the webhook
//! endpoints for follow-ups. Bot routes demand `Authorization: Bot <token>`; every answer is
//! shaped so serenity 0.12.5 parses it, and every error is Discord's JSON error body.
//!
//! Tests inject failures ([`FakeDiscord::fail_next`], [`FakeDiscord::close_dms`]) and inspect
//! what the bot sent ([`FakeDiscord::requests`], [`FakeDiscord::registered_commands`],
//! [`FakeDiscord::dm_messages`], [`FakeDiscord::followups`]), waiting with
//! [`FakeDiscord::wait_for`] instead of sleeping.
//!
//! The other half of Discord is the caller of our Interactions Endpoint: [`Signer`] signs
//! request bodies with a fixed Ed25519 test key, and the payload builders at the end shape
//! interactions exactly like Discord sends them today (the full modern payload: serenity
//! rejects the older samples).
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::server::Server;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{Value, json};

/// The path every route lives under; `DISCORD_API_URL` is the fake's URL plus this.
pub const API_BASE: &str = "/api/v10";
/// The application (and bot user) id the fake serves.
pub const APPLICATION_ID: &str = "1200000000000000000";
/// The bot token the fake accepts, sent as `Authorization: Bot test-bot-token`.
pub const BOT_TOKEN: &str = "test-bot-token";
/// The guild the interaction builders place guild members in.
pub const GUILD_ID: &str = "1100000000000000000";
/// The guild text channel the interaction builders use.
pub const GUILD_CHANNEL_ID: &str = "1100000000000000010";
/// The DM channel the interaction builders use for commands sent in a DM.
pub const DM_CHANNEL_ID: &str = "1400000000000000000";
/// DM channels the fake opens are this prefix plus two digits (01, 02, …).
const DM_CHANNEL_PREFIX: &str = "14000000000000000";
/// The first id the fake gives a message it accepts.
const FIRST_MESSAGE_ID: u64 = 1_500_000_000_000_000_000;
/// The first id the fake gives a registered command.
const FIRST_COMMAND_ID: u64 = 1_250_000_000_000_000_000;
/// The permissions string Discord sends for a member with the usual rights.
const PERMISSIONS: &str = "2248473465835073";
/// The timestamp on every message the fake creates.
const MESSAGE_TIMESTAMP: &str = "2026-01-01T00:00:00.000000+00:00";
/// Discord's limit on a message's `content`.
const CONTENT_LIMIT: usize = 2000;
/// One request the fake received, whatever it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `PUT`, `POST`, `PATCH`, `DELETE`.
    pub method: String,
    /// The full path, `/api/v10/...`, with `%40` decoded to `@`.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The `Authorization` header as sent.
    pub authorization: Option<String>,
    /// The JSON body (`Null` when there was none, a string when it was not JSON).
    pub body: Value,
    /// The status the fake answered.
    pub status: u16,
    /// When the request arrived.
    pub at: Instant,
}

/// One bulk overwrite of the command set that Discord accepted.
#[derive(Debug, Clone)]
pub struct Registration {
    /// `None` for the global commands, the guild id for guild commands.
    pub guild_id: Option<String>,
    /// The commands as the bot sent them.
    pub commands: Vec<Value>,
}

impl Registration {
    /// The names of the registered commands, in order.
    pub fn names(&self) -> Vec<String> {
        self.commands
            .iter()
            .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    /// The command called `name`.
    pub fn command(&self, name: &str) -> Option<&Value> {
        self.commands
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
    }
}

/// A message Discord accepted in a DM channel.
#[derive(Debug, Clone)]
pub struct DmMessage {
    /// The recipient's user id.
    pub user_id: String,
    pub channel_id: String,
    /// The id the fake gave the message.
    pub message_id: String,
    /// The request body.
    pub body: Value,
}

impl DmMessage {
    pub fn content(&self) -> &str {
        content_of(&self.body)
    }
}

/// Which webhook endpoint a follow-up went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowupKind {
    /// `PATCH /webhooks/{app}/{token}/messages/@original`.
    EditOriginal,
    /// `POST /webhooks/{app}/{token}`.
    Create,
}

/// A follow-up (edit of the original response, or a new message) Discord accepted.
#[derive(Debug, Clone)]
pub struct Followup {
    pub kind: FollowupKind,
    pub application_id: String,
    /// The interaction token from the URL.
    pub token: String,
    pub body: Value,
}

impl Followup {
    pub fn content(&self) -> &str {
        content_of(&self.body)
    }
}

/// An interaction callback (`POST /interactions/{id}/{token}/callback`) Discord accepted.
#[derive(Debug, Clone)]
pub struct Callback {
    pub interaction_id: String,
    pub token: String,
    pub body: Value,
}

/// The `content` of a message body ("" when there is none).
pub fn content_of(body: &Value) -> &str {
    body.get("content").and_then(Value::as_str).unwrap_or("")
}

struct Failure {
    path_contains: String,
    status: StatusCode,
    body: Value,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    /// Injected answers, each used once, by the first request whose path matches.
    failures: Vec<Failure>,
    /// Users whose DMs are closed to the bot.
    closed: HashSet<String>,
    /// DM channel id by user id, and the other way round.
    dm_channel_of: HashMap<String, String>,
    user_of_channel: HashMap<String, String>,
    next_message_id: u64,
    next_command_id: u64,
    registrations: Vec<Registration>,
    dms: Vec<DmMessage>,
    followups: Vec<Followup>,
    callbacks: Vec<Callback>,
    /// Interaction ids that already have their callback (a second one is 40060).
    acknowledged: HashSet<String>,
}

struct Shared {
    token: String,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        super::server::lock(&self.inner)
    }
}

/// The running fake. Dropping it stops the server.
pub struct FakeDiscord {
    server: Server,
    shared: Arc<Shared>,
}

impl FakeDiscord {
    /// Starts a fake on 127.0.0.1:0 that accepts the bot token [`BOT_TOKEN`].
    pub async fn start() -> FakeDiscord {
        FakeDiscord::start_with_token(BOT_TOKEN).await
    }

    /// Starts a fake on 127.0.0.1:0 that accepts `token`.
    pub async fn start_with_token(token: &str) -> FakeDiscord {
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            inner: Mutex::new(Inner {
                next_message_id: FIRST_MESSAGE_ID,
                next_command_id: FIRST_COMMAND_ID,
                ..Inner::default()
            }),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let server = Server::start("Discord", app).await;
        FakeDiscord { server, shared }
    }

    /// `http://127.0.0.1:PORT`, what serenity's `HttpBuilder::proxy` wants.
    pub fn origin(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The base URL to give the bot as `DISCORD_API_URL`: `http://127.0.0.1:PORT/api/v10`.
    pub fn url(&self) -> String {
        format!("http://{}{API_BASE}", self.server.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The next request whose path contains `path_contains` answers `status` with `body`
    /// instead of working. Several failures queue up. A 429 also carries Discord's
    /// rate-limit headers, `Retry-After` being `retry_after` from the body rounded up.
    pub fn fail_next(&self, path_contains: &str, status: u16, body: Value) {
        let status = StatusCode::from_u16(status).expect("a valid HTTP status");
        self.shared.lock().failures.push(Failure {
            path_contains: path_contains.to_owned(),
            status,
            body,
        });
    }

    /// One 429 with Discord's body and headers on the next request matching `path_contains`.
    pub fn rate_limit_next(&self, path_contains: &str, retry_after: f64) {
        self.fail_next(
            path_contains,
            429,
            json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": false}),
        );
    }

    /// `user_id` closed their DMs: messages to their DM channel answer 403, code 50007
    /// (opening the channel still works, as on Discord).
    pub fn close_dms(&self, user_id: &str) {
        self.shared.lock().closed.insert(user_id.to_owned());
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// The requests with this method whose path contains `path_contains`.
    pub fn requests_to(&self, method: &str, path_contains: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path.contains(path_contains))
            .collect()
    }

    /// Every accepted bulk overwrite of the command set, in order.
    pub fn registrations(&self) -> Vec<Registration> {
        self.shared.lock().registrations.clone()
    }

    /// The commands of the last accepted bulk overwrite (empty before any).
    pub fn registered_commands(&self) -> Vec<Value> {
        self.registrations()
            .pop()
            .map(|r| r.commands)
            .unwrap_or_default()
    }

    /// Every message accepted in a DM channel, in order.
    pub fn dm_messages(&self) -> Vec<DmMessage> {
        self.shared.lock().dms.clone()
    }

    /// The messages accepted in `user_id`'s DM channel, in order.
    pub fn dms_to(&self, user_id: &str) -> Vec<DmMessage> {
        self.dm_messages()
            .into_iter()
            .filter(|m| m.user_id == user_id)
            .collect()
    }

    /// Every attempt to post in `user_id`'s DM channel, accepted or not.
    pub fn dm_attempts_to(&self, user_id: &str) -> Vec<Recorded> {
        let Some(channel) = self.shared.lock().dm_channel_of.get(user_id).cloned() else {
            return Vec::new();
        };
        self.requests_to("POST", &format!("/channels/{channel}/messages"))
    }

    /// The DM channel the fake opened for `user_id`, if any.
    pub fn dm_channel_of(&self, user_id: &str) -> Option<String> {
        self.shared.lock().dm_channel_of.get(user_id).cloned()
    }

    /// Every follow-up accepted on the webhook endpoints, in order.
    pub fn followups(&self) -> Vec<Followup> {
        self.shared.lock().followups.clone()
    }

    /// Every interaction callback accepted, in order.
    pub fn callbacks(&self) -> Vec<Callback> {
        self.shared.lock().callbacks.clone()
    }

    /// Polls until `predicate` holds or `timeout` passes; returns whether it held.
    pub async fn wait_for<F>(&self, timeout: Duration, predicate: F) -> bool
    where
        F: Fn(&FakeDiscord) -> bool,
    {
        super::server::wait_until(timeout, || predicate(self)).await
    }
}

// --- the server ---------------------------------------------------------------------------

/// A status, Discord's JSON body (or none, for 204) and extra headers.
struct Answer {
    status: StatusCode,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn json(status: StatusCode, body: Value) -> Answer {
        Answer {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    fn ok(body: Value) -> Answer {
        Answer::json(StatusCode::OK, body)
    }

    fn no_content() -> Answer {
        Answer {
            status: StatusCode::NO_CONTENT,
            body: None,
            headers: Vec::new(),
        }
    }

    /// Discord's error body: `{"message": …, "code": …}`.
    fn error(status: StatusCode, code: u64, message: &str) -> Answer {
        Answer::json(status, json!({"message": message, "code": code}))
    }

    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (self.status, axum::Json(body)).into_response(),
            None => self.status.into_response(),
        };
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

fn unauthorized() -> Answer {
    Answer::error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized")
}

fn not_found() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, 0, "404: Not Found")
}

fn method_not_allowed() -> Answer {
    Answer::error(StatusCode::METHOD_NOT_ALLOWED, 0, "405: Method Not Allowed")
}

fn invalid_form(field: &str, code: &str, message: &str) -> Answer {
    Answer::json(
        StatusCode::BAD_REQUEST,
        json!({
            "code": 50035,
            "message": "Invalid Form Body",
            "errors": {field: {"_errors": [{"code": code, "message": message}]}},
        }),
    )
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().replace("%40", "@");
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
    };
    let answer = answer(&shared, &method, &path, authorization.as_deref(), &body);
    shared.lock().requests.push(Recorded {
        method: method.as_str().to_owned(),
        path,
        query: uri.query().map(str::to_owned),
        authorization,
        body,
        status: answer.status.as_u16(),
        at: Instant::now(),
    });
    answer.into_response()
}

/// The routes that act as the bot user, and so need `Authorization: Bot <token>`.
fn is_bot_route(segments: &[&str]) -> bool {
    matches!(
        segments.first().copied(),
        Some("applications" | "users" | "channels" | "guilds")
    )
}

fn answer(
    shared: &Shared,
    method: &Method,
    path: &str,
    authorization: Option<&str>,
    body: &Value,
) -> Answer {
    let Some(rest) = path.strip_prefix(API_BASE) else {
        return not_found();
    };
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    if is_bot_route(&segments) && authorization != Some(&format!("Bot {}", shared.token)) {
        return unauthorized();
    }
    if let Some(injected) = take_failure(shared, path) {
        return injected;
    }
    match (method.as_str(), segments.as_slice()) {
        ("PUT", ["applications", app, "commands"]) => overwrite_commands(shared, app, None, body),
        ("PUT", ["applications", app, "guilds", guild, "commands"]) => {
            overwrite_commands(shared, app, Some(guild), body)
        }
        ("POST", ["users", "@me", "channels"]) => open_dm(shared, body),
        ("POST", ["channels", channel, "messages"]) => post_message(shared, channel, body),
        ("PATCH", ["webhooks", app, token, "messages", "@original"]) => {
            followup(shared, FollowupKind::EditOriginal, app, token, body)
        }
        ("POST", ["webhooks", app, token]) => {
            followup(shared, FollowupKind::Create, app, token, body)
        }
        ("DELETE", ["webhooks", app, _token, "messages", "@original"]) => {
            if *app == APPLICATION_ID {
                Answer::no_content()
            } else {
                unknown_webhook()
            }
        }
        ("POST", ["interactions", id, token, "callback"]) => callback(shared, id, token, body),
        (
            _,
            ["applications", _, "commands"]
            | ["applications", _, "guilds", _, "commands"]
            | ["users", "@me", "channels"]
            | ["channels", _, "messages"]
            | ["webhooks", _, _]
            | ["webhooks", _, _, "messages", "@original"]
            | ["interactions", _, _, "callback"],
        ) => method_not_allowed(),
        _ => not_found(),
    }
}

fn take_failure(shared: &Shared, path: &str) -> Option<Answer> {
    let mut inner = shared.lock();
    let at = inner
        .failures
        .iter()
        .position(|f| path.contains(&f.path_contains))?;
    let failure = inner.failures.remove(at);
    let mut answer = Answer::json(failure.status, failure.body.clone());
    if failure.status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = failure
            .body
            .get("retry_after")
            .and_then(Value::as_f64)
            .unwrap_or(1.0);
        let global = failure
            .body
            .get("global")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let whole = retry_after.ceil().max(1.0);
        answer.headers = vec![
            ("retry-after", format!("{whole:.0}")),
            ("x-ratelimit-limit", "5".to_owned()),
            ("x-ratelimit-remaining", "0".to_owned()),
            ("x-ratelimit-reset-after", format!("{retry_after:.3}")),
            ("x-ratelimit-bucket", "fakebucket0001".to_owned()),
            (
                "x-ratelimit-scope",
                if global { "global" } else { "user" }.to_owned(),
            ),
        ];
        if global {
            answer
                .headers
                .push(("x-ratelimit-global", "true".to_owned()));
        }
    }
    Some(answer)
}

fn unknown_webhook() -> Answer {
    Answer::error(StatusCode::NOT_FOUND, 10015, "Unknown Webhook")
}

fn overwrite_commands(shared: &Shared, app: &str, guild: Option<&str>, body: &Value) -> Answer {
    if app != APPLICATION_ID {
        // What Discord says when the token's application is not the one in the path.
        return Answer::error(
            StatusCode::FORBIDDEN,
            20012,
            "You are not authorized to perform this action on this application",
        );
    }
    let Some(commands) = body.as_array() else {
        return invalid_form(
            "_errors",
            "ARRAY_TYPE_CONVERT",
            "Only iterables may be used in a ListType.",
        );
    };
    for (i, command) in commands.iter().enumerate() {
        let name = command.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() || name.chars().count() > 32 || name != name.to_lowercase() {
            return invalid_form(
                &format!("{i}.name"),
                "APPLICATION_COMMAND_INVALID_NAME",
                "Command name is invalid",
            );
        }
        let description = command
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !(1..=100).contains(&description.chars().count()) {
            return invalid_form(
                &format!("{i}.description"),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            );
        }
    }
    let mut inner = shared.lock();
    let answered: Vec<Value> = commands
        .iter()
        .map(|command| {
            inner.next_command_id += 1;
            let mut answered = json!({
                "id": inner.next_command_id.to_string(),
                "application_id": app,
                "version": "1",
                "type": command.get("type").cloned().unwrap_or(json!(1)),
                "name": command.get("name").cloned().unwrap_or(Value::Null),
                "description": command.get("description").cloned().unwrap_or(Value::Null),
                "default_member_permissions": null,
                "options": command.get("options").cloned().unwrap_or(json!([])),
                "nsfw": false,
            });
            if let (Some(map), Some(guild)) = (answered.as_object_mut(), guild) {
                map.insert("guild_id".into(), json!(guild));
            }
            answered
        })
        .collect();
    inner.registrations.push(Registration {
        guild_id: guild.map(str::to_owned),
        commands: commands.clone(),
    });
    Answer::ok(Value::Array(answered))
}

/// The recipient of `POST /users/@me/channels`, sent as a string or a number.
fn recipient(body: &Value) -> Option<String> {
    match body.get("recipient_id")? {
        Value::String(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => {
            Some(s.clone())
        }
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

fn open_dm(shared: &Shared, body: &Value) -> Answer {
    let Some(user) = recipient(body) else {
        return invalid_form(
            "recipient_id",
            "BASE_TYPE_REQUIRED",
            "This field is required",
        );
    };
    let mut inner = shared.lock();
    // Discord returns the existing DM channel when there is one.
    let channel = match inner.dm_channel_of.get(&user) {
        Some(channel) => channel.clone(),
        None => {
            let channel = format!("{DM_CHANNEL_PREFIX}{:02}", inner.dm_channel_of.len() + 1);
            inner.dm_channel_of.insert(user.clone(), channel.clone());
            inner.user_of_channel.insert(channel.clone(), user.clone());
            channel
        }
    };
    Answer::ok(json!({
        "id": channel,
        "type": 1,
        "last_message_id": null,
        "flags": 0,
        "recipients": [user_json(&user, "u")],
    }))
}

/// A message body Discord would refuse, or `None` when it is fine.
fn refuse_message(body: &Value) -> Option<Answer> {
    if !body.is_object() {
        return Some(Answer::error(
            StatusCode::BAD_REQUEST,
            50109,
            "The request body contains invalid JSON.",
        ));
    }
    let content = content_of(body);
    if content.chars().count() > CONTENT_LIMIT {
        return Some(invalid_form(
            "content",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 2000 or fewer in length.",
        ));
    }
    let has = |key: &str| {
        body.get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    if content.is_empty() && !has("embeds") && !has("components") && !has("sticker_ids") {
        return Some(Answer::error(
            StatusCode::BAD_REQUEST,
            50006,
            "Cannot send an empty message",
        ));
    }
    None
}

fn post_message(shared: &Shared, channel: &str, body: &Value) -> Answer {
    let user = {
        let inner = shared.lock();
        match inner.user_of_channel.get(channel) {
            Some(user) if inner.closed.contains(user) => {
                return Answer::error(
                    StatusCode::FORBIDDEN,
                    50007,
                    "Cannot send messages to this user",
                );
            }
            Some(user) => Some(user.clone()),
            None if channel == GUILD_CHANNEL_ID => None,
            None => return Answer::error(StatusCode::NOT_FOUND, 10003, "Unknown Channel"),
        }
    };
    if let Some(refused) = refuse_message(body) {
        return refused;
    }
    let mut inner = shared.lock();
    inner.next_message_id += 1;
    let id = inner.next_message_id.to_string();
    if let Some(user) = user {
        inner.dms.push(DmMessage {
            user_id: user,
            channel_id: channel.to_owned(),
            message_id: id.clone(),
            body: body.clone(),
        });
    }
    Answer::ok(message_json(&id, channel, body))
}

fn followup(shared: &Shared, kind: FollowupKind, app: &str, token: &str, body: &Value) -> Answer {
    if app != APPLICATION_ID {
        return unknown_webhook();
    }
    if token.is_empty() {
        return not_found();
    }
    if let Some(refused) = refuse_message(body) {
        return refused;
    }
    let mut inner = shared.lock();
    inner.next_message_id += 1;
    let id = inner.next_message_id.to_string();
    inner.followups.push(Followup {
        kind,
        application_id: app.to_owned(),
        token: token.to_owned(),
        body: body.clone(),
    });
    let mut message = message_json(&id, GUILD_CHANNEL_ID, body);
    if let Some(map) = message.as_object_mut() {
        map.insert("webhook_id".into(), json!(APPLICATION_ID));
        map.insert("application_id".into(), json!(APPLICATION_ID));
    }
    Answer::ok(message)
}

fn callback(shared: &Shared, id: &str, token: &str, body: &Value) -> Answer {
    let kind = body.get("type").and_then(Value::as_u64);
    if !matches!(kind, Some(1 | 4..=9)) {
        return invalid_form(
            "type",
            "BASE_TYPE_CHOICES",
            "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}.",
        );
    }
    let mut inner = shared.lock();
    if !inner.acknowledged.insert(id.to_owned()) {
        return Answer::error(
            StatusCode::BAD_REQUEST,
            40060,
            "Interaction has already been acknowledged.",
        );
    }
    inner.callbacks.push(Callback {
        interaction_id: id.to_owned(),
        token: token.to_owned(),
        body: body.clone(),
    });
    Answer::no_content()
}

/// A full Message as Discord answers it, echoing what the bot sent.
fn message_json(id: &str, channel: &str, sent: &Value) -> Value {
    let field = |key: &str| sent.get(key).cloned().unwrap_or(json!([]));
    json!({
        "id": id,
        "channel_id": channel,
        "author": bot_user(),
        "content": content_of(sent),
        "timestamp": MESSAGE_TIMESTAMP,
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": field("embeds"),
        "components": field("components"),
        "pinned": false,
        "type": 0,
        "flags": sent.get("flags").cloned().unwrap_or(json!(0)),
    })
}

/// The bot's own user.
pub fn bot_user() -> Value {
    json!({
        "id": APPLICATION_ID,
        "username": "Spendbot",
        "global_name": null,
        "discriminator": "0000",
        "avatar": null,
        "bot": true,
        "public_flags": 0,
    })
}

/// A person's user object.
fn user_json(id: &str, username: &str) -> Value {
    json!({
        "id": id,
        "username": username,
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "public_flags": 0,
    })
}

// --- the signer ------------------------------------------------------------------------------

/// Signs interaction requests the way Discord does: Ed25519 over the timestamp's bytes followed
/// by the raw body, hex in `X-Signature-Ed25519`, Unix seconds in `X-Signature-Timestamp`.
pub struct Signer {
    key: SigningKey,
}

impl Default for Signer {
    fn default() -> Self {
        Signer::new()
    }
}

impl Signer {
    /// The fixed test key (`[7; 32]`).
    pub fn new() -> Signer {
        Signer {
            key: SigningKey::from_bytes(&[7u8; 32]),
        }
    }

    /// The public key to configure as `DISCORD_PUBLIC_KEY`: 64 lower-case hex digits.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Signs `body` now: `(signature_hex, timestamp)`.
    pub fn sign(&self, body: &[u8]) -> (String, String) {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            .to_string();
        (self.sign_at(&timestamp, body), timestamp)
    }

    /// The hex signature of `timestamp` followed by `body`.
    pub fn sign_at(&self, timestamp: &str, body: &[u8]) -> String {
        let mut message = timestamp.as_bytes().to_vec();
        message.extend_from_slice(body);
        hex::encode(self.key.sign(&message).to_bytes())
    }
}

// --- interaction payloads ------------------------------------------------------------------

/// The interaction token Discord would give interaction `interaction_id` (URL-safe).
pub fn token_of(interaction_id: u64) -> String {
    format!("aW50ZXJhY3Rpb246{interaction_id}")
}

/// A STRING option (type 3): the adapter declares amounts as strings too, so money never
/// passes through a float.
pub fn option(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

/// STRING options from `(name, value)` pairs, as a JSON array.
pub fn options(pairs: &[(&str, &str)]) -> Value {
    Value::Array(pairs.iter().map(|(n, v)| option(n, v)).collect())
}

/// The option the user is typing in, as an autocomplete interaction carries it.
pub fn focused(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value, "focused": true})
}

/// PING, which Discord sends when the endpoint URL is saved.
pub fn ping() -> Value {
    json!({
        "type": 1,
        "id": "1300000000000000000",
        "application_id": APPLICATION_ID,
        "token": "aW50ZXJhY3Rpb246cGluZw",
        "version": 1,
    })
}

/// A user object for the person `user_id`.
fn person(user_id: u64) -> Value {
    json!({
        "id": user_id.to_string(),
        "username": format!("user{user_id}"),
        "global_name": format!("User {user_id}"),
        "discriminator": "0",
        "avatar": null,
        "public_flags": 0,
    })
}

/// The envelope every non-PING interaction shares, for `user_id` in the guild (as a
/// member) or in a DM with the bot.
fn envelope(kind: u64, interaction_id: u64, user_id: u64, in_guild: bool, data: Value) -> Value {
    let mut interaction = json!({
        "type": kind,
        "id": interaction_id.to_string(),
        "application_id": APPLICATION_ID,
        "token": token_of(interaction_id),
        "version": 1,
        "app_permissions": PERMISSIONS,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 10_485_760,
        "data": data,
    });
    let map = interaction
        .as_object_mut()
        .expect("an interaction is an object");
    if in_guild {
        map.insert("guild_id".into(), json!(GUILD_ID));
        map.insert("channel_id".into(), json!(GUILD_CHANNEL_ID));
        map.insert(
            "channel".into(),
            json!({
                "id": GUILD_CHANNEL_ID, "type": 0, "name": "expenses", "guild_id": GUILD_ID,
                "permissions": PERMISSIONS, "nsfw": false, "parent_id": null, "flags": 0,
            }),
        );
        map.insert(
            "member".into(),
            json!({
                "user": person(user_id),
                "roles": [], "nick": null, "avatar": null, "premium_since": null,
                "joined_at": "2024-01-01T00:00:00.000000+00:00",
                "deaf": false, "mute": false, "flags": 0, "pending": false,
                "permissions": PERMISSIONS, "communication_disabled_until": null,
            }),
        );
        map.insert("guild_locale".into(), json!("en-US"));
        map.insert(
            "authorizing_integration_owners".into(),
            json!({"0": GUILD_ID}),
        );
        map.insert("context".into(), json!(0));
    } else {
        map.insert("channel_id".into(), json!(DM_CHANNEL_ID));
        map.insert(
            "channel".into(),
            json!({
                "id": DM_CHANNEL_ID, "type": 1, "last_message_id": null, "flags": 0,
                "recipients": [person(user_id)],
            }),
        );
        map.insert("user".into(), person(user_id));
        map.insert(
            "authorizing_integration_owners".into(),
            json!({"1": user_id.to_string()}),
        );
        map.insert("context".into(), json!(1));
    }
    interaction
}

/// The `data` of a chat-input command (`/name` with `options`).
fn command_data(name: &str, options: Value) -> Value {
    // A stable command id per name, like Discord's (registered once, then fixed).
    let id = FIRST_COMMAND_ID + name.bytes().map(u64::from).sum::<u64>();
    json!({"id": id.to_string(), "name": name, "type": 1, "options": options})
}

/// `/name options…` typed by `user_id` in the guild's channel.
pub fn command_in_guild(interaction_id: u64, user_id: u64, name: &str, options: Value) -> Value {
    envelope(
        2,
        interaction_id,
        user_id,
        true,
        command_data(name, options),
    )
}

/// `/name options…` typed by `user_id` in a DM with the bot.
pub fn command_in_dm(interaction_id: u64, user_id: u64, name: &str, options: Value) -> Value {
    envelope(
        2,
        interaction_id,
        user_id,
        false,
        command_data(name, options),
    )
}

/// `user_id` typing `value` into option `focused_name` of `/name` in the guild, the options
/// already filled in being `others` (a JSON array, see [`options`]).
pub fn autocomplete(
    interaction_id: u64,
    user_id: u64,
    name: &str,
    others: Value,
    focused_name: &str,
    value: &str,
) -> Value {
    let mut all = others.as_array().cloned().unwrap_or_default();
    all.push(focused(focused_name, value));
    envelope(
        4,
        interaction_id,
        user_id,
        true,
        command_data(name, Value::Array(all)),
    )
}

/// `user_id` pressing the button `custom_id` on the bot's message `message_id`.
pub fn component(
    interaction_id: u64,
    user_id: u64,
    custom_id: &str,
    message_id: u64,
    in_guild: bool,
) -> Value {
    let channel = if in_guild {
        GUILD_CHANNEL_ID
    } else {
        DM_CHANNEL_ID
    };
    let mut message = message_json(
        &message_id.to_string(),
        channel,
        &json!({
            "content": "Recorded",
            "components": [{"type": 1, "components": [
                {"type": 2, "style": 4, "custom_id": custom_id, "label": "Undo", "disabled": false}
            ]}],
            "flags": if in_guild { 64 } else { 0 },
        }),
    );
    if let Some(map) = message.as_object_mut() {
        map.insert("application_id".into(), json!(APPLICATION_ID));
        map.insert("webhook_id".into(), json!(APPLICATION_ID));
    }
    let mut interaction = envelope(
        3,
        interaction_id,
        user_id,
        in_guild,
        json!({"custom_id": custom_id, "component_type": 2}),
    );
    if let Some(map) = interaction.as_object_mut() {
        map.insert("message".into(), message);
    }
    interaction
}
