//! A fake Telegram Bot API server on loopback that speaks the protocol the way the real one
//! does for the calls the bot makes (see docs/protocols.md, section 1): method names are
//! case-insensitive, bodies come as JSON, form-urlencoded, query strings or multipart, every
//! answer is the `{"ok": …}` envelope with Telegram's exact error descriptions, and it never
//! answers 5xx (teloxide sleeps 10 s on any 5xx).
//!
//! Tests queue updates for long polling, inject failures ([`FakeTelegram::fail_next`],
//! [`FakeTelegram::block_chat`]) and inspect what the bot sent ([`FakeTelegram::requests`],
//! [`FakeTelegram::sent_messages`]), waiting with [`FakeTelegram::wait_for`] instead of
//! sleeping. The update builders at the end shape updates exactly like Telegram does.
//!
//! This file only uses crates both the tests and the benches can see (axum, tokio,
//! serde_json), so a bench can include it with `#[path]`.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::server::Server;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

/// The bot's own user id, as `getMe` reports it.
pub const BOT_ID: i64 = 7_000_000_001;
/// The bot's username, as `getMe` reports it; group commands must say `@ExpenseBot`.
pub const BOT_USERNAME: &str = "ExpenseBot";
/// The longest wait `getUpdates` holds a request for, whatever `timeout` asks.
const MAX_HOLD: Duration = Duration::from_secs(1);
/// The first `message_id` the fake hands out for the bot's own messages.
const FIRST_MESSAGE_ID: i64 = 5_000;
/// Fields whose multipart or form values stay strings even when they look like numbers.
const TEXT_FIELDS: &[&str] = &[
    "text",
    "caption",
    "url",
    "secret_token",
    "callback_query_id",
    "inline_message_id",
    "description",
    "short_description",
    "photo",
    "language_code",
    "ip_address",
];

/// One request the fake received with the right token.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method name in lower case (`sendmessage`, `getupdates`, …).
    pub method: String,
    /// The parameters as one JSON object, whatever encoding they came in.
    pub body: Value,
    /// When the request arrived.
    pub at: Instant,
}

/// A sendMessage that Telegram accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub chat_id: i64,
    /// The id the fake gave the new message.
    pub message_id: i64,
    /// The request body.
    pub body: Value,
}

impl Sent {
    /// The message text as the bot sent it (with its HTML markup).
    pub fn text(&self) -> &str {
        self.body.get("text").and_then(Value::as_str).unwrap_or("")
    }

    /// The `callback_data` of every inline button, row by row.
    pub fn callback_data(&self) -> Vec<String> {
        self.body
            .pointer("/reply_markup/inline_keyboard")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(|b| b.get("callback_data").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    }
}

/// What `setWebhook` last set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Webhook {
    pub url: String,
    pub secret_token: Option<String>,
    pub allowed_updates: Option<Value>,
    pub max_connections: Option<i64>,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    /// Queued updates not yet confirmed, in `update_id` order.
    updates: VecDeque<Value>,
    confirmed_offset: i64,
    next_message_id: i64,
    /// Injected answers per lower-case method, used once each in order.
    failures: HashMap<String, VecDeque<(StatusCode, Value)>>,
    blocked: HashSet<i64>,
    webhook: Webhook,
    /// The registered commands by language code ("" for the default list).
    commands: BTreeMap<String, Vec<Value>>,
    /// When true (benchmarks), requests and messages are counted, not kept.
    forgetful: bool,
    /// Every request received with the right token, kept or not.
    request_count: usize,
    /// Every sendMessage that Telegram accepted, kept or not.
    delivered_count: usize,
    /// Messages the bot sent (or edited), by chat id and message id.
    messages: BTreeMap<(i64, i64), Value>,
    /// The sendMessage requests that Telegram accepted.
    delivered: Vec<Sent>,
}

struct Shared {
    token: String,
    inner: Mutex<Inner>,
    /// Woken whenever an update is queued (long polls wait on it).
    queued: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        super::server::lock(&self.inner)
    }
}

/// The running fake. Dropping it stops the server.
pub struct FakeTelegram {
    server: Server,
    shared: Arc<Shared>,
}

impl FakeTelegram {
    /// Starts a fake on 127.0.0.1:0 that accepts only `token`.
    pub async fn start(token: &str) -> FakeTelegram {
        let shared = Arc::new(Shared {
            token: token.to_owned(),
            inner: Mutex::new(Inner {
                next_message_id: FIRST_MESSAGE_ID,
                ..Inner::default()
            }),
            queued: Notify::new(),
        });
        let app = Router::new()
            .route("/{bot}/{method}", any(handle))
            .fallback(not_found)
            .with_state(shared.clone());
        let server = Server::start("Telegram", app).await;
        FakeTelegram { server, shared }
    }

    /// The base URL to give the bot as `TELEGRAM_API_URL`: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Queues an update for `getUpdates`.
    pub fn push_update(&self, update: Value) {
        {
            let mut inner = self.shared.lock();
            let id = update_id(&update);
            let at = inner
                .updates
                .iter()
                .position(|u| update_id(u) > id)
                .unwrap_or(inner.updates.len());
            inner.updates.insert(at, update);
        }
        self.shared.queued.notify_waiters();
    }

    /// The next call of `method` (any case) answers `status` with `body` instead of working.
    /// Several calls queue up. 5xx is refused: teloxide stalls 10 s on any 5xx.
    pub fn fail_next(&self, method: &str, status: u16, body: Value) {
        assert!(
            (400..500).contains(&status),
            "the fake answers only 4xx failures, not {status}"
        );
        let status = StatusCode::from_u16(status).expect("a valid HTTP status");
        self.shared
            .lock()
            .failures
            .entry(method.to_ascii_lowercase())
            .or_default()
            .push_back((status, body));
    }

    /// The user of `chat_id` blocked the bot: every sendMessage there answers 403.
    pub fn block_chat(&self, chat_id: i64) {
        self.shared.lock().blocked.insert(chat_id);
    }

    /// Every request received with the right token, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    /// The bodies of every call of `method` (any case), accepted or not, in order.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        let method = method.to_ascii_lowercase();
        self.shared
            .lock()
            .requests
            .iter()
            .filter(|r| r.method == method)
            .map(|r| r.body.clone())
            .collect()
    }

    /// How many times `method` (any case) was called.
    pub fn count(&self, method: &str) -> usize {
        self.calls(method).len()
    }

    /// The bodies of the sendMessage requests that were delivered (not the failed attempts:
    /// those are in [`FakeTelegram::calls`]`("sendMessage")`).
    pub fn sent_messages(&self) -> Vec<Value> {
        self.sent().into_iter().map(|s| s.body).collect()
    }

    /// The delivered sendMessage requests with the message ids the fake gave them.
    pub fn sent(&self) -> Vec<Sent> {
        self.shared.lock().delivered.clone()
    }

    /// The delivered messages to `chat_id`, in order.
    pub fn sent_to(&self, chat_id: i64) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|s| s.chat_id == chat_id)
            .collect()
    }

    /// The texts of the delivered messages to `chat_id`, in order.
    pub fn texts_to(&self, chat_id: i64) -> Vec<String> {
        self.sent_to(chat_id)
            .iter()
            .map(|s| s.text().to_owned())
            .collect()
    }

    /// Every sendMessage attempt to `chat_id`, accepted or not.
    pub fn attempts_to(&self, chat_id: i64) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "sendmessage" && chat_of(&r.body) == Some(chat_id))
            .collect()
    }

    /// The message the bot sent (and possibly edited since), as the fake answered it.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        self.shared
            .lock()
            .messages
            .get(&(chat_id, message_id))
            .cloned()
    }

    /// The updates queued and not yet confirmed.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.shared.lock().updates.iter().cloned().collect()
    }

    /// The highest `offset` a `getUpdates` call has confirmed up to (0 before any).
    pub fn confirmed_offset(&self) -> i64 {
        self.shared.lock().confirmed_offset
    }

    /// A webhook that was set before the bot started (as if an earlier run used webhook mode):
    /// `getUpdates` answers 409 until the bot deletes it.
    pub fn preset_webhook(&self, url: &str) {
        self.shared.lock().webhook = Webhook {
            url: url.to_owned(),
            ..Webhook::default()
        };
    }

    /// What `setWebhook` set (an empty url when none is set).
    pub fn webhook(&self) -> Webhook {
        self.shared.lock().webhook.clone()
    }

    /// The command names `setMyCommands` last registered for everyone (no `language_code`),
    /// without a leading `/`.
    pub fn command_names(&self) -> Vec<String> {
        self.command_names_for("")
    }

    /// The command names last registered for `language_code` ("" for the default list).
    pub fn command_names_for(&self, language_code: &str) -> Vec<String> {
        self.shared
            .lock()
            .commands
            .get(language_code)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("command").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    /// For benchmarks: count requests and delivered messages without keeping them, so the
    /// fake's memory stays flat. [`FakeTelegram::requests`] and friends then stay empty.
    pub fn forget_bodies(&self) {
        self.shared.lock().forgetful = true;
    }

    /// How many requests arrived with the right token (kept or not).
    pub fn request_count(&self) -> usize {
        self.shared.lock().request_count
    }

    /// How many sendMessage calls were accepted (kept or not).
    pub fn delivered_count(&self) -> usize {
        self.shared.lock().delivered_count
    }

    /// Polls until `predicate` holds or `timeout` passes; returns whether it held.
    pub async fn wait_for<F>(&self, timeout: Duration, predicate: F) -> bool
    where
        F: Fn(&FakeTelegram) -> bool,
    {
        super::server::wait_until(timeout, || predicate(self)).await
    }
}

/// The chat id of a sendMessage-like body, whether it came as a number or a string.
pub fn chat_of(body: &Value) -> Option<i64> {
    match body.get("chat_id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn update_id(update: &Value) -> i64 {
    update.get("update_id").and_then(Value::as_i64).unwrap_or(0)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

// --- the server ---------------------------------------------------------------------------

type Answer = (StatusCode, Value);

fn ok(result: Value) -> Answer {
    (StatusCode::OK, json!({"ok": true, "result": result}))
}

fn error(status: StatusCode, description: &str) -> Answer {
    (
        status,
        json!({"ok": false, "error_code": status.as_u16(), "description": description}),
    )
}

fn bad_request(what: &str) -> Answer {
    error(StatusCode::BAD_REQUEST, &format!("Bad Request: {what}"))
}

fn respond((status, body): Answer) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn not_found() -> Response {
    respond(error(StatusCode::NOT_FOUND, "Not Found"))
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((bot, method)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    if bot.strip_prefix("bot") != Some(shared.token.as_str()) {
        return respond(error(StatusCode::UNAUTHORIZED, "Unauthorized"));
    }
    let method = method.to_ascii_lowercase();
    let mut params = match read_params(request).await {
        Ok(params) => params,
        Err(answer) => return respond(answer),
    };
    if let Some(query) = query {
        for (key, value) in form_pairs(&query) {
            params.entry(key.clone()).or_insert(typed(&key, value));
        }
    }
    let body = Value::Object(params);
    let injected = {
        let mut inner = shared.lock();
        inner.request_count += 1;
        if !inner.forgetful {
            inner.requests.push(Recorded {
                method: method.clone(),
                body: body.clone(),
                at: Instant::now(),
            });
        }
        inner
            .failures
            .get_mut(&method)
            .and_then(VecDeque::pop_front)
    };
    if let Some(answer) = injected {
        return respond(answer);
    }
    respond(call(&shared, &method, &body).await)
}

async fn call(shared: &Shared, method: &str, body: &Value) -> Answer {
    match method {
        "getme" => ok(bot_user(true)),
        "getwebhookinfo" => get_webhook_info(shared),
        "setwebhook" => set_webhook(shared, body),
        "deletewebhook" => {
            let mut inner = shared.lock();
            inner.webhook = Webhook::default();
            if body.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
                inner.updates.clear();
            }
            (
                StatusCode::OK,
                json!({"ok": true, "result": true, "description": "Webhook was deleted"}),
            )
        }
        "getupdates" => get_updates(shared, body).await,
        "sendmessage" => send_message(shared, body),
        "editmessagetext" => edit_message_text(shared, body),
        "answercallbackquery" => match body.get("callback_query_id") {
            Some(Value::String(id)) if !id.is_empty() => ok(json!(true)),
            _ => bad_request("query_id_invalid"),
        },
        "setmycommands" => set_my_commands(shared, body),
        "sendphoto" => send_photo(shared, body),
        _ => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

fn get_webhook_info(shared: &Shared) -> Answer {
    let inner = shared.lock();
    let mut info = json!({
        "url": inner.webhook.url,
        "has_custom_certificate": false,
        "pending_update_count": inner.updates.len(),
    });
    if let (Some(map), Some(n)) = (info.as_object_mut(), inner.webhook.max_connections) {
        map.insert("max_connections".into(), json!(n));
    }
    if let (Some(map), Some(allowed)) = (info.as_object_mut(), &inner.webhook.allowed_updates) {
        map.insert("allowed_updates".into(), allowed.clone());
    }
    ok(info)
}

fn set_webhook(shared: &Shared, body: &Value) -> Answer {
    let url = body.get("url").and_then(Value::as_str).unwrap_or("");
    let secret = body
        .get("secret_token")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(secret) = &secret {
        let valid = (1..=256).contains(&secret.len())
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return bad_request("secret token contains unallowed characters");
        }
    }
    if !url.is_empty() && !url.starts_with("https://") {
        return bad_request("bad webhook: An HTTPS URL must be provided for webhook");
    }
    let mut inner = shared.lock();
    if url.is_empty() {
        inner.webhook = Webhook::default();
        return (
            StatusCode::OK,
            json!({"ok": true, "result": true, "description": "Webhook was deleted"}),
        );
    }
    inner.webhook = Webhook {
        url: url.to_owned(),
        secret_token: secret,
        allowed_updates: body.get("allowed_updates").cloned(),
        max_connections: body.get("max_connections").and_then(Value::as_i64),
    };
    if body.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
        inner.updates.clear();
    }
    (
        StatusCode::OK,
        json!({"ok": true, "result": true, "description": "Webhook was set"}),
    )
}

async fn get_updates(shared: &Shared, body: &Value) -> Answer {
    let offset = body.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let limit = body
        .get("limit")
        .and_then(Value::as_i64)
        .unwrap_or(100)
        .clamp(1, 100);
    let timeout = body.get("timeout").and_then(Value::as_u64).unwrap_or(0);
    {
        let mut inner = shared.lock();
        if !inner.webhook.url.is_empty() {
            return error(
                StatusCode::CONFLICT,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            );
        }
        if offset > 0 {
            inner.updates.retain(|u| update_id(u) >= offset);
            inner.confirmed_offset = inner.confirmed_offset.max(offset);
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            let drop = inner.updates.len().saturating_sub(keep);
            inner.updates.drain(..drop);
        }
    }
    let hold = Duration::from_secs(timeout).min(MAX_HOLD);
    let deadline = tokio::time::Instant::now() + hold;
    loop {
        let queued = shared.queued.notified();
        tokio::pin!(queued);
        queued.as_mut().enable();
        {
            let inner = shared.lock();
            if !inner.updates.is_empty() || tokio::time::Instant::now() >= deadline {
                let take = usize::try_from(limit).unwrap_or(100);
                let result: Vec<Value> = inner.updates.iter().take(take).cloned().collect();
                return ok(Value::Array(result));
            }
        }
        let _ = tokio::time::timeout_at(deadline, queued).await;
    }
}

fn send_message(shared: &Shared, body: &Value) -> Answer {
    let Some(chat_id) = chat_of(body) else {
        return bad_request("chat_id is empty");
    };
    let text = match body.get("text") {
        Some(Value::String(text)) => text.clone(),
        _ => return bad_request("message text is empty"),
    };
    if text.trim().is_empty() {
        return bad_request("message text is empty");
    }
    if let Some(problem) = check_html(body, &text) {
        return bad_request(&problem);
    }
    if visible_len(body, &text) > 4096 {
        return bad_request("message is too long");
    }
    let mut inner = shared.lock();
    if inner.blocked.contains(&chat_id) {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden: bot was blocked by the user",
        );
    }
    inner.next_message_id += 1;
    let message_id = inner.next_message_id;
    let mut message = bot_message(chat_id, message_id);
    if let Some(map) = message.as_object_mut() {
        map.insert("text".into(), json!(text));
        if let Some(markup) = body.get("reply_markup") {
            map.insert("reply_markup".into(), markup.clone());
        }
    }
    inner.delivered_count += 1;
    if !inner.forgetful {
        inner
            .messages
            .insert((chat_id, message_id), message.clone());
        inner.delivered.push(Sent {
            chat_id,
            message_id,
            body: body.clone(),
        });
    }
    ok(message)
}

fn edit_message_text(shared: &Shared, body: &Value) -> Answer {
    let text = match body.get("text") {
        Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
        _ => return bad_request("message text is empty"),
    };
    if let Some(problem) = check_html(body, &text) {
        return bad_request(&problem);
    }
    if body.get("inline_message_id").is_some() {
        return ok(json!(true));
    }
    let Some(chat_id) = chat_of(body) else {
        return bad_request("chat_id is empty");
    };
    let Some(message_id) = body.get("message_id").and_then(Value::as_i64) else {
        return bad_request("message identifier is not specified");
    };
    let mut inner = shared.lock();
    let Some(message) = inner.messages.get_mut(&(chat_id, message_id)) else {
        return bad_request("message to edit not found");
    };
    let markup = body.get("reply_markup").cloned();
    if message.get("text") == Some(&json!(text)) && message.get("reply_markup") == markup.as_ref() {
        return bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
        );
    }
    if let Some(map) = message.as_object_mut() {
        map.insert("text".into(), json!(text));
        map.insert("edit_date".into(), json!(now()));
        match markup {
            Some(markup) => map.insert("reply_markup".into(), markup),
            None => map.remove("reply_markup"),
        };
    }
    ok(message.clone())
}

fn set_my_commands(shared: &Shared, body: &Value) -> Answer {
    let Some(commands) = body.get("commands").and_then(Value::as_array) else {
        return bad_request("parameter \"commands\" is required");
    };
    if commands.len() > 100 {
        return bad_request("too many commands specified");
    }
    let mut normalized = Vec::with_capacity(commands.len());
    for command in commands {
        let name = command
            .get("command")
            .and_then(Value::as_str)
            .map(|n| n.strip_prefix('/').unwrap_or(n))
            .unwrap_or("");
        let description = command
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let valid_name = (1..=32).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid_name {
            return bad_request("BOT_COMMAND_INVALID");
        }
        if !(1..=256).contains(&description.chars().count()) {
            return bad_request("command description is empty");
        }
        normalized.push(json!({"command": name, "description": description}));
    }
    let language = body
        .get("language_code")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    shared.lock().commands.insert(language, normalized);
    ok(json!(true))
}

fn send_photo(shared: &Shared, body: &Value) -> Answer {
    let Some(chat_id) = chat_of(body) else {
        return bad_request("chat_id is empty");
    };
    let Some(photo) = body.get("photo") else {
        return bad_request("there is no photo in the request");
    };
    let size = match photo {
        // A resolved upload: `{"file_name": …, "size": …}`.
        Value::Object(file) => file.get("size").and_then(Value::as_u64).unwrap_or(0),
        // A file_id or an URL the server would fetch.
        Value::String(s) if s.starts_with("attach://") => {
            return bad_request("wrong remote file identifier specified: can't unserialize it");
        }
        Value::String(s) if !s.is_empty() => 0,
        _ => return bad_request("there is no photo in the request"),
    };
    if size > 10 * 1024 * 1024 {
        return bad_request("PHOTO_INVALID_DIMENSIONS");
    }
    let mut inner = shared.lock();
    if inner.blocked.contains(&chat_id) {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden: bot was blocked by the user",
        );
    }
    inner.next_message_id += 1;
    let message_id = inner.next_message_id;
    let mut message = bot_message(chat_id, message_id);
    if let Some(map) = message.as_object_mut() {
        map.insert(
            "photo".into(),
            json!([{
                "file_id": format!("photo-{message_id}"),
                "file_unique_id": format!("uphoto-{message_id}"),
                "width": 90,
                "height": 90,
                "file_size": size,
            }]),
        );
        if let Some(caption) = body.get("caption") {
            map.insert("caption".into(), caption.clone());
        }
        if let Some(markup) = body.get("reply_markup") {
            map.insert("reply_markup".into(), markup.clone());
        }
    }
    inner
        .messages
        .insert((chat_id, message_id), message.clone());
    ok(message)
}

/// With `parse_mode: HTML`, a bare `<` that opens no supported tag, or a bare `&` that starts
/// no entity, is an error, as on the real server.
fn check_html(body: &Value, text: &str) -> Option<String> {
    let html = body
        .get("parse_mode")
        .and_then(Value::as_str)
        .is_some_and(|m| m.eq_ignore_ascii_case("html"));
    if !html {
        return None;
    }
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    ];
    let mut rest = text;
    while let Some(at) = rest.find(['<', '&']) {
        let tail = &rest[at..];
        if let Some(inner) = tail.strip_prefix('<') {
            let Some(end) = inner.find('>') else {
                return Some(format!(
                    "can't parse entities: Unclosed start tag at byte offset {}",
                    text.len() - tail.len()
                ));
            };
            let tag = inner[..end].trim_start_matches('/');
            let name = tag.split([' ', '=']).next().unwrap_or("");
            if !TAGS.contains(&name) {
                return Some(format!(
                    "can't parse entities: Unsupported start tag \"{name}\" at byte offset {}",
                    text.len() - tail.len()
                ));
            }
            rest = &inner[end + 1..];
        } else {
            let entity = tail.find(';').map(|end| &tail[..=end]).filter(|e| {
                matches!(*e, "&lt;" | "&gt;" | "&amp;" | "&quot;")
                    || (e.starts_with("&#") && e.len() > 3)
            });
            match entity {
                Some(entity) => rest = &tail[entity.len()..],
                None => {
                    return Some(format!(
                        "can't parse entities: Can't find end of the entity starting at byte offset {}",
                        text.len() - tail.len()
                    ));
                }
            }
        }
    }
    None
}

/// The length Telegram counts: characters after HTML markup is removed (approximately).
fn visible_len(body: &Value, text: &str) -> usize {
    let html = body
        .get("parse_mode")
        .and_then(Value::as_str)
        .is_some_and(|m| m.eq_ignore_ascii_case("html"));
    if !html {
        return text.encode_utf16().count();
    }
    let mut visible = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => visible.push(c),
            _ => {}
        }
    }
    let visible = visible
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    visible.encode_utf16().count()
}

fn bot_user(full: bool) -> Value {
    let mut user = json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": "Expense Bot",
        "username": BOT_USERNAME,
    });
    if let (true, Some(map)) = (full, user.as_object_mut()) {
        map.insert("can_join_groups".into(), json!(true));
        map.insert("can_read_all_group_messages".into(), json!(false));
        map.insert("supports_inline_queries".into(), json!(false));
        map.insert("has_main_web_app".into(), json!(false));
    }
    user
}

fn chat(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({"id": chat_id, "first_name": format!("User{chat_id}"), "username": format!("user{chat_id}"), "type": "private"})
    } else if chat_id <= -1_000_000_000_000 {
        json!({"id": chat_id, "title": "Flat expenses", "type": "supergroup"})
    } else {
        json!({"id": chat_id, "title": "Trip", "type": "group"})
    }
}

fn bot_message(chat_id: i64, message_id: i64) -> Value {
    json!({
        "message_id": message_id,
        "from": bot_user(false),
        "chat": chat(chat_id),
        "date": now(),
    })
}

// --- request bodies -----------------------------------------------------------------------

async fn read_params(request: Request) -> Result<Map<String, Value>, Answer> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| bad_request(&format!("invalid multipart body: {e}")))?;
        return read_multipart(multipart).await;
    }
    let bytes = Bytes::from_request(request, &())
        .await
        .map_err(|e| bad_request(&format!("cannot read the body: {e}")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let text = std::str::from_utf8(&bytes).map_err(|_| bad_request("invalid UTF-8"))?;
        return Ok(form_pairs(text)
            .into_iter()
            .map(|(k, v)| {
                let value = typed(&k, v);
                (k, value)
            })
            .collect());
    }
    // JSON, also when the client sent no content type.
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request("parameters must be a JSON object")),
        Err(e) => Err(bad_request(&format!("can't parse JSON: {e}"))),
    }
}

async fn read_multipart(mut multipart: Multipart) -> Result<Map<String, Value>, Answer> {
    let mut fields = Map::new();
    let mut files: HashMap<String, Value> = HashMap::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(bad_request(&format!("invalid multipart body: {e}"))),
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad_request(&format!("invalid multipart body: {e}")))?;
        match file_name {
            Some(file_name) => {
                files.insert(name, json!({"file_name": file_name, "size": bytes.len()}));
            }
            None => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let value = typed(&name, text);
                fields.insert(name, value);
            }
        }
    }
    // `photo=attach://<name>` names another part; a direct file part also counts.
    for value in fields.values_mut() {
        let attached = value
            .as_str()
            .and_then(|s| s.strip_prefix("attach://"))
            .and_then(|name| files.get(name))
            .cloned();
        if let Some(file) = attached {
            *value = file;
        }
    }
    for (name, file) in files {
        fields.entry(name).or_insert(file);
    }
    Ok(fields)
}

/// `a=1&b=x%20y` as decoded pairs.
fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A string parameter as the JSON value Telegram reads it as: objects, arrays, numbers and
/// booleans are parsed, except for fields that are text by nature.
fn typed(key: &str, value: String) -> Value {
    if TEXT_FIELDS.contains(&key) {
        return Value::String(value);
    }
    match serde_json::from_str::<Value>(&value) {
        Ok(parsed @ (Value::Object(_) | Value::Array(_) | Value::Number(_) | Value::Bool(_))) => {
            parsed
        }
        _ => Value::String(value),
    }
}

// --- update builders ----------------------------------------------------------------------

/// The entities Telegram attaches to `text`: a leading `/command` (with its `@bot`) and every
/// `@mention`. Offsets and lengths are in UTF-16 code units.
pub fn entities_of(text: &str) -> Value {
    let mut entities = Vec::new();
    let mut offset = 0usize;
    let mut first = true;
    for word in text.split(' ') {
        let len = word.encode_utf16().count();
        if first && word.starts_with('/') && len > 1 {
            entities.push(json!({"offset": offset, "length": len, "type": "bot_command"}));
        } else if word.starts_with('@') && len > 1 {
            let name_len = word
                .trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_'))
                .encode_utf16()
                .count();
            if name_len > 1 {
                entities.push(json!({"offset": offset, "length": name_len, "type": "mention"}));
            }
        }
        first = false;
        offset += len + 1;
    }
    Value::Array(entities)
}

fn user(user_id: i64, language_code: &str) -> Value {
    json!({
        "id": user_id,
        "is_bot": false,
        "first_name": format!("User{user_id}"),
        "username": format!("user{user_id}"),
        "language_code": language_code,
    })
}

fn private_chat(user_id: i64) -> Value {
    json!({
        "id": user_id,
        "first_name": format!("User{user_id}"),
        "username": format!("user{user_id}"),
        "type": "private",
    })
}

fn text_message(message_id: i64, from: Value, chat: Value, text: &str, entities: Value) -> Value {
    let mut message = json!({
        "message_id": message_id,
        "from": from,
        "chat": chat,
        "date": now(),
        "text": text,
    });
    let has_entities = entities.as_array().is_some_and(|e| !e.is_empty());
    if let (true, Some(map)) = (has_entities, message.as_object_mut()) {
        map.insert("entities".into(), entities);
    }
    message
}

/// A private text message from `user_id` (language "en"); its `message_id` is `update_id`
/// unless changed with [`with_message_id`].
pub fn private_text(update_id: i64, user_id: i64, text: &str) -> Value {
    private_text_lang(update_id, user_id, text, "en")
}

/// [`private_text`] from a user whose Telegram client speaks `language_code`.
pub fn private_text_lang(update_id: i64, user_id: i64, text: &str, language_code: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": text_message(
            update_id,
            user(user_id, language_code),
            private_chat(user_id),
            text,
            entities_of(text),
        ),
    })
}

/// A text message in the group `chat_id` (a supergroup when it is `-100…`). `entities`
/// `Value::Null` means the ones Telegram would compute ([`entities_of`]).
pub fn group_text(
    update_id: i64,
    chat_id: i64,
    user_id: i64,
    text: &str,
    entities: Value,
) -> Value {
    let entities = if entities.is_null() {
        entities_of(text)
    } else {
        entities
    };
    json!({
        "update_id": update_id,
        "message": text_message(update_id, user(user_id, "en"), chat(chat_id), text, entities),
    })
}

/// `user_id` pressed a button with `data` under the bot's message `message_id` in their
/// private chat. The query id is `cbq-<update_id>`.
pub fn callback(update_id: i64, user_id: i64, message_id: i64, data: &str) -> Value {
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": callback_id(update_id),
            "from": user(user_id, "en"),
            "message": {
                "message_id": message_id,
                "from": bot_user(false),
                "chat": private_chat(user_id),
                "date": now(),
                "text": "…",
            },
            "chat_instance": format!("-81701934829837{user_id}"),
            "data": data,
        }
    })
}

/// `user_id` pressed a button with `data` under the bot's message `message_id` in the group
/// `chat_id` (anyone in a group can press any button).
pub fn group_callback(
    update_id: i64,
    chat_id: i64,
    user_id: i64,
    message_id: i64,
    data: &str,
) -> Value {
    let mut update = callback(update_id, user_id, message_id, data);
    update["callback_query"]["message"]["chat"] = chat(chat_id);
    update["callback_query"]["chat_instance"] = json!(format!("-9170193482983{chat_id}"));
    update
}

/// The callback query id [`callback`] gives the update `update_id`.
pub fn callback_id(update_id: i64) -> String {
    format!("cbq-{update_id}")
}

/// `user_id` edited their private message `message_id` to `text`.
pub fn edited(update_id: i64, user_id: i64, message_id: i64, text: &str) -> Value {
    let mut message = text_message(
        message_id,
        user(user_id, "en"),
        private_chat(user_id),
        text,
        entities_of(text),
    );
    if let Some(map) = message.as_object_mut() {
        let at = now();
        map.insert("date".into(), json!(at - 60));
        map.insert("edit_date".into(), json!(at));
    }
    json!({"update_id": update_id, "edited_message": message})
}

/// `update` with its message's `message_id` set to `message_id`.
pub fn with_message_id(mut update: Value, message_id: i64) -> Value {
    for kind in ["message", "edited_message"] {
        if let Some(message) = update.get_mut(kind).and_then(Value::as_object_mut) {
            message.insert("message_id".into(), json!(message_id));
        }
    }
    update
}
