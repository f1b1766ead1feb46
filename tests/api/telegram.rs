//! The bot on Telegram, end to end: the real service (through `startup`, over a fresh SQLite
//! file) talks to the fake Bot API server on loopback, by long polling or by webhook, and each
//! story checks what a person on Telegram would see and what ends up in their wallet.
//!
//! Nothing here sleeps blindly: every wait is `wait_for` with a deadline. Where a story needs
//! to show that something did NOT happen, it sends a later message in the same chat (which the
//! bot handles in order) and checks once that one is answered.

use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::fakes::telegram::{self as tg, FakeTelegram, Sent};
use crate::helpers::{TestApp, spawn_app_with};

const TOKEN: &str = "123456:TEST-token";
const SECRET: &str = "s3cr3t_TOKEN-1";
const PUBLIC_URL: &str = "https://bot.example.com";
const WEBHOOK_URL: &str = "https://bot.example.com/telegram/webhook";
const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";
/// How long anything the bot does may take before a story fails.
const WAIT: Duration = Duration::from_secs(5);
/// How long a story watches for something that must not happen, when no later message in
/// the same chat can show it.
const QUIET: Duration = Duration::from_millis(500);

const ALICE: i64 = 111_111_111;
const BOB: i64 = 222_222_222;
const GROUP_USER: i64 = 111;
const GROUP: i64 = -1_001_234_567_890;

// --- starting the service -----------------------------------------------------------------

/// The service in long-polling mode against a fresh fake, once it polls.
async fn polling() -> (TestApp, FakeTelegram) {
    let fake = FakeTelegram::start(TOKEN).await;
    let app = start_polling(&fake).await;
    (app, fake)
}

async fn start_polling(fake: &FakeTelegram) -> TestApp {
    let url = fake.url();
    let app = spawn_app_with(&[("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", &url)]).await;
    let polls = fake
        .wait_for(WAIT, |f| {
            f.webhook().url.is_empty() && f.count("getUpdates") > 0
        })
        .await;
    assert!(polls, "the bot polls: {:?}", methods(fake));
    app
}

/// The service in webhook mode against a fresh fake, once it has set its webhook.
async fn webhook() -> (TestApp, FakeTelegram) {
    let fake = FakeTelegram::start(TOKEN).await;
    let url = fake.url();
    let app = spawn_app_with(&[
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_URL", &url),
        ("TELEGRAM_WEBHOOK_SECRET", SECRET),
        ("SPENDBOT_PUBLIC_URL", PUBLIC_URL),
    ])
    .await;
    let set = fake
        .wait_for(WAIT, |f| f.webhook().url == WEBHOOK_URL)
        .await;
    assert!(set, "the bot sets its webhook: {:?}", fake.requests());
    (app, fake)
}

/// The lower-case method names the fake received, in order.
fn methods(fake: &FakeTelegram) -> Vec<String> {
    fake.requests().into_iter().map(|r| r.method).collect()
}

/// POSTs `update` to the app's webhook with `secret` in the secret header (none: no header).
async fn deliver(app: &TestApp, update: &Value, secret: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(app.url("/telegram/webhook"))
        .json(update);
    if let Some(secret) = secret {
        request = request.header(SECRET_HEADER, secret);
    }
    request
        .send()
        .await
        .expect("the webhook answers")
        .status()
        .as_u16()
}

/// Waits until `chat` has received `n` messages and returns the `n`th.
async fn nth_reply(fake: &FakeTelegram, chat: i64, n: usize) -> Sent {
    let arrived = fake.wait_for(WAIT, |f| f.sent_to(chat).len() >= n).await;
    assert!(
        arrived,
        "chat {chat} gets reply #{n}; it got {:?}; requests: {:?}",
        fake.texts_to(chat),
        fake.requests()
    );
    fake.sent_to(chat)
        .into_iter()
        .nth(n - 1)
        .expect("the reply is there")
}

/// Queues `update` for polling and returns the next reply in `chat`.
async fn poll_say(fake: &FakeTelegram, chat: i64, update: Value) -> Sent {
    let before = fake.sent_to(chat).len();
    fake.push_update(update);
    nth_reply(fake, chat, before + 1).await
}

/// Delivers `update` by webhook (expecting 200) and returns the next reply in `chat`.
async fn hook_say(app: &TestApp, fake: &FakeTelegram, chat: i64, update: Value) -> Sent {
    let before = fake.sent_to(chat).len();
    assert_eq!(deliver(app, &update, Some(SECRET)).await, 200, "{update}");
    nth_reply(fake, chat, before + 1).await
}

async fn database(app: &TestApp) -> sqlx::SqlitePool {
    let url = app.state.settings.database.url().expose_secret().to_owned();
    sqlx::SqlitePool::connect(&url)
        .await
        .expect("the test opens the SQLite file")
}

/// How many expenses and incomes the whole database holds.
async fn entry_count(app: &TestApp) -> i64 {
    let pool = database(app).await;
    let count = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM entries")
        .fetch_one(&pool)
        .await
        .expect("entries can be counted");
    pool.close().await;
    count
}

/// The `unreachable` flag of the Telegram identity `user`, if it exists.
async fn unreachable(app: &TestApp, user: i64) -> Option<bool> {
    let pool = database(app).await;
    let flag = sqlx::query_scalar::<_, bool>(
        "SELECT unreachable FROM identities WHERE platform = 'telegram' AND external_id = ?",
    )
    .bind(user.to_string())
    .fetch_optional(&pool)
    .await
    .expect("identities can be read");
    pool.close().await;
    flag
}

// --- the protocol ---------------------------------------------------------------------------

#[test]
fn the_fakes_updates_are_updates_teloxide_understands() {
    use teloxide_core::types::{Update, UpdateKind};
    // From text, as teloxide reads the wire (its UpdateKind wants borrowed keys, which a
    // `serde_json::Value` cannot lend: from_value gives `UpdateKind::Error`).
    let parse = |v: Value| {
        serde_json::from_str::<Update>(&v.to_string())
            .unwrap_or_else(|e| panic!("{v} is not an Update: {e}"))
    };
    let message = parse(tg::private_text(1, ALICE, "/add 12.50 lunch"));
    assert!(
        matches!(message.kind, UpdateKind::Message(_)),
        "{message:?}"
    );
    let spanish = parse(tg::private_text_lang(
        2,
        ALICE,
        "gasté 12 en almuerzo",
        "es",
    ));
    assert!(matches!(spanish.kind, UpdateKind::Message(_)));
    let group = parse(tg::group_text(
        3,
        GROUP,
        GROUP_USER,
        "/add@ExpenseBot 30 groceries",
        Value::Null,
    ));
    match group.kind {
        UpdateKind::Message(m) => {
            assert!(m.chat.is_supergroup());
            let entities = m.entities().expect("the command has an entity");
            assert_eq!(entities.len(), 1);
            assert_eq!(entities[0].length, 15);
        }
        other => panic!("a group message, not {other:?}"),
    }
    let callback = parse(tg::callback(4, ALICE, 5001, "undo:7"));
    match callback.kind {
        UpdateKind::CallbackQuery(q) => {
            assert_eq!(q.data.as_deref(), Some("undo:7"));
            assert_eq!(q.id.0, tg::callback_id(4));
        }
        other => panic!("a callback query, not {other:?}"),
    }
    let edited = parse(tg::edited(5, ALICE, 11, "spent 15 on lunch"));
    assert!(matches!(edited.kind, UpdateKind::EditedMessage(_)));
}

#[tokio::test]
async fn the_fake_speaks_the_bot_api_the_way_telegram_does() {
    let fake = FakeTelegram::start(TOKEN).await;
    let http = reqwest::Client::new();
    let call = |method: &str| format!("{}/bot{TOKEN}/{method}", fake.url());

    let me: Value = http
        .post(call("GetMe"))
        .send()
        .await
        .expect("getMe answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(me["result"]["username"], "ExpenseBot");
    assert_eq!(me["result"]["has_main_web_app"], false);

    let wrong = http
        .post(format!("{}/bot1:other/getMe", fake.url()))
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status().as_u16(), 401);
    let body: Value = wrong.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );

    let unknown = http
        .post(call("noSuchMethod"))
        .send()
        .await
        .expect("answers");
    assert_eq!(unknown.status().as_u16(), 404);

    // setWebhook as teloxide sends it: multipart, even without a certificate.
    let form = reqwest::multipart::Form::new()
        .text("url", WEBHOOK_URL)
        .text("max_connections", "10")
        .text("secret_token", SECRET);
    let set = http
        .post(call("SetWebhook"))
        .multipart(form)
        .send()
        .await
        .expect("answers");
    assert_eq!(set.status().as_u16(), 200);
    assert_eq!(fake.webhook().url, WEBHOOK_URL);
    assert_eq!(fake.webhook().secret_token.as_deref(), Some(SECRET));
    let conflict = http
        .post(call("GetUpdates"))
        .json(&json!({}))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        conflict.status().as_u16(),
        409,
        "no polling while a webhook is set"
    );
    http.get(call("deleteWebhook"))
        .send()
        .await
        .expect("answers");

    // Long polling: an update queued while a poll waits is returned at once; the offset confirms.
    fake.push_update(tg::private_text(10, ALICE, "spent 1 on tea"));
    fake.push_update(tg::private_text(11, ALICE, "spent 2 on tea"));
    let polled: Value = http
        .post(call("getUpdates"))
        .form(&[("offset", "0"), ("timeout", "10")])
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(polled["result"].as_array().map(Vec::len), Some(2));
    let polled: Value = http
        .post(call("getUpdates"))
        .json(&json!({"offset": 11, "limit": 1}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(polled["result"][0]["update_id"], 11);
    assert_eq!(fake.confirmed_offset(), 11);
    assert_eq!(fake.pending_updates().len(), 1);
    let started = std::time::Instant::now();
    let polled: Value = http
        .post(call("getUpdates"))
        .json(&json!({"offset": 12, "timeout": 30}))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(polled["result"], json!([]));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "holds at most 1 s"
    );

    // Errors as injected, with Telegram's exact bodies; never 5xx.
    let retry = json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}});
    fake.fail_next("sendMessage", 429, retry.clone());
    fake.block_chat(BOB);
    let send = |chat: i64| {
        http.post(call("SendMessage"))
            .json(&json!({"chat_id": chat, "text": "<b>hi</b> &amp; bye", "parse_mode": "HTML"}))
            .send()
    };
    let first = send(ALICE).await.expect("answers");
    assert_eq!(first.status().as_u16(), 429);
    assert_eq!(first.json::<Value>().await.expect("JSON"), retry);
    let second = send(ALICE).await.expect("answers");
    assert_eq!(second.status().as_u16(), 200);
    let blocked = send(BOB).await.expect("answers");
    assert_eq!(blocked.status().as_u16(), 403);
    assert_eq!(
        blocked.json::<Value>().await.expect("JSON")["description"],
        "Forbidden: bot was blocked by the user"
    );
    assert_eq!(fake.attempts_to(ALICE).len(), 2);
    assert_eq!(fake.sent_to(ALICE).len(), 1);
    let bad_html = http
        .post(call("sendMessage"))
        .json(&json!({"chat_id": ALICE, "text": "<tea> & cake", "parse_mode": "HTML"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(bad_html.status().as_u16(), 400, "unescaped HTML is refused");

    // setMyCommands as teloxide sends it, with a leading slash.
    let commands = http
        .post(call("setMyCommands"))
        .json(&json!({"commands": [{"command": "/help", "description": "show help"}]}))
        .send()
        .await
        .expect("answers");
    assert_eq!(commands.status().as_u16(), 200);
    assert_eq!(fake.command_names(), vec!["help".to_owned()]);

    // sendPhoto as teloxide sends an in-memory file: attach://<name> plus a file part.
    let form = reqwest::multipart::Form::new()
        .text("chat_id", ALICE.to_string())
        .text("photo", "attach://f0e1")
        .text("caption", "Monthly chart")
        .part(
            "f0e1",
            reqwest::multipart::Part::bytes(vec![1u8; 1234]).file_name("chart.png"),
        );
    let photo: Value = http
        .post(call("SendPhoto"))
        .multipart(form)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(photo["ok"], true, "{photo}");
    let recorded = fake.calls("sendPhoto");
    assert_eq!(recorded[0]["photo"]["file_name"], "chart.png");
    assert_eq!(recorded[0]["photo"]["size"], 1234);
    assert_eq!(recorded[0]["chat_id"], ALICE);
}

// --- at start --------------------------------------------------------------------------------

#[tokio::test]
async fn in_polling_mode_the_bot_says_who_it_is_registers_its_commands_drops_an_old_webhook_and_polls()
 {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.preset_webhook("https://old.example.com/hook");
    let _app = start_polling(&fake).await;

    let seen = methods(&fake);
    assert!(seen.contains(&"getme".to_owned()), "{seen:?}");
    let commands = fake.command_names();
    for name in ["add", "summary", "help"] {
        assert!(commands.iter().any(|c| c == name), "{name} in {commands:?}");
    }
    let deleted = seen.iter().position(|m| m == "deletewebhook");
    let first_poll = seen.iter().position(|m| m == "getupdates");
    assert!(
        deleted.is_some() && deleted < first_poll,
        "deleteWebhook comes before getUpdates: {seen:?}"
    );

    fake.push_update(tg::private_text(100_000_001, ALICE, "spent 1 on tea"));
    nth_reply(&fake, ALICE, 1).await;
    fake.push_update(tg::private_text(100_000_002, ALICE, "spent 2 on tea"));
    nth_reply(&fake, ALICE, 2).await;
    let confirmed = fake
        .wait_for(WAIT, |f| f.confirmed_offset() > 100_000_002)
        .await;
    assert!(
        confirmed,
        "both updates are confirmed: {:?}",
        fake.calls("getUpdates")
    );
    let offsets: Vec<i64> = fake
        .calls("getUpdates")
        .iter()
        .filter_map(|b| b.get("offset").and_then(Value::as_i64))
        .filter(|o| *o > 0)
        .collect();
    assert!(
        offsets.windows(2).all(|w| w[0] <= w[1]),
        "offsets never go back: {offsets:?}"
    );
}

#[tokio::test]
async fn in_webhook_mode_the_bot_says_who_it_is_registers_its_commands_and_sets_its_webhook() {
    let (_app, fake) = webhook().await;
    let seen = methods(&fake);
    assert!(seen.contains(&"getme".to_owned()), "{seen:?}");
    let commands = fake.command_names();
    for name in ["add", "summary", "help"] {
        assert!(commands.iter().any(|c| c == name), "{name} in {commands:?}");
    }
    let hook = fake.webhook();
    assert_eq!(hook.url, WEBHOOK_URL);
    assert_eq!(hook.secret_token.as_deref(), Some(SECRET));
    assert_eq!(
        fake.count("getUpdates"),
        0,
        "no polling in webhook mode: {seen:?}"
    );
}

// --- conversations ---------------------------------------------------------------------------

#[tokio::test]
async fn a_polled_expense_is_recorded_answered_in_html_with_an_undo_button_and_confirmed() {
    let (_app, fake) = polling().await;
    let update_id = 100_000_001;
    let reply = poll_say(
        &fake,
        ALICE,
        tg::private_text(update_id, ALICE, "spent 12 on lunch"),
    )
    .await;
    assert_eq!(reply.body["parse_mode"], "HTML", "{}", reply.body);
    assert!(
        reply.text().contains("Recorded 12.00 USD · food · lunch"),
        "{}",
        reply.text()
    );
    assert!(
        reply.callback_data().iter().any(|d| d.starts_with("undo:")),
        "an Undo button: {}",
        reply.body
    );
    let confirmed = fake
        .wait_for(WAIT, |f| f.confirmed_offset() > update_id)
        .await;
    assert!(
        confirmed,
        "the update is confirmed: {:?}",
        fake.calls("getUpdates")
    );
    assert!(fake.pending_updates().is_empty());
}

#[tokio::test]
async fn a_webhook_update_with_the_secret_is_accepted_and_answered() {
    let (app, fake) = webhook().await;
    let reply = hook_say(
        &app,
        &fake,
        ALICE,
        tg::private_text(200_000_001, ALICE, "spent 12 on lunch"),
    )
    .await;
    assert!(
        reply.text().contains("Recorded 12.00 USD · food · lunch"),
        "{}",
        reply.text()
    );
    assert_eq!(entry_count(&app).await, 1);
}

#[tokio::test]
async fn a_webhook_update_without_the_right_secret_is_refused_and_records_nothing() {
    let (app, fake) = webhook().await;
    let update = tg::private_text(200_000_001, ALICE, "spent 12 on lunch");
    assert_eq!(deliver(&app, &update, Some("wrong_secret")).await, 401);
    assert_eq!(deliver(&app, &update, None).await, 401);
    assert_eq!(entry_count(&app).await, 0);
    assert!(fake.attempts_to(ALICE).is_empty(), "{:?}", fake.requests());

    let summary = hook_say(
        &app,
        &fake,
        ALICE,
        tg::private_text(200_000_002, ALICE, "/summary"),
    )
    .await;
    assert!(
        summary.text().contains("nothing recorded"),
        "{}",
        summary.text()
    );
    assert_eq!(
        fake.attempts_to(ALICE).len(),
        1,
        "only the summary was sent"
    );
}

#[tokio::test]
async fn a_webhook_body_that_is_not_an_update_is_a_bad_request() {
    let (app, fake) = webhook().await;
    let status = deliver(&app, &json!({"hello": "world"}), Some(SECRET)).await;
    assert_eq!(status, 400);
    let garbage = reqwest::Client::new()
        .post(app.url("/telegram/webhook"))
        .header(SECRET_HEADER, SECRET)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("the webhook answers");
    assert_eq!(garbage.status().as_u16(), 400);
    assert!(fake.sent().is_empty());
    assert_eq!(entry_count(&app).await, 0);
}

#[tokio::test]
async fn an_update_delivered_twice_by_webhook_is_recorded_once_and_answered_once() {
    let (app, fake) = webhook().await;
    let update = tg::private_text(200_000_001, ALICE, "spent 12 on lunch");
    hook_say(&app, &fake, ALICE, update.clone()).await;
    assert_eq!(
        deliver(&app, &update, Some(SECRET)).await,
        200,
        "a redelivery is acknowledged"
    );

    let summary = hook_say(
        &app,
        &fake,
        ALICE,
        tg::private_text(200_000_002, ALICE, "/summary"),
    )
    .await;
    assert!(summary.text().contains("12.00"), "{}", summary.text());
    assert!(
        summary.text().contains("in 1 expense"),
        "{}",
        summary.text()
    );
    assert_eq!(entry_count(&app).await, 1);
    assert_eq!(
        fake.attempts_to(ALICE).len(),
        2,
        "one reply to the expense, one to the summary: {:?}",
        fake.texts_to(ALICE)
    );
}

#[tokio::test]
async fn flood_control_is_waited_out_and_the_reply_still_arrives() {
    let (_app, fake) = polling().await;
    fake.fail_next(
        "sendMessage",
        429,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}),
    );
    let reply = poll_say(
        &fake,
        ALICE,
        tg::private_text(100_000_001, ALICE, "spent 12 on lunch"),
    )
    .await;
    assert!(
        reply.text().contains("Recorded 12.00 USD"),
        "{}",
        reply.text()
    );
    let attempts = fake.attempts_to(ALICE);
    assert_eq!(
        attempts.len(),
        2,
        "one refused, one delivered: {attempts:?}"
    );
    assert_eq!(attempts[0].body["text"], attempts[1].body["text"]);
    let waited = attempts[1].at.duration_since(attempts[0].at);
    assert!(
        waited >= Duration::from_millis(900),
        "waited retry_after (1 s) before retrying, not {waited:?}"
    );
}

#[tokio::test]
async fn a_user_who_blocked_the_bot_is_tried_once_and_marked_unreachable() {
    let (app, fake) = polling().await;
    fake.block_chat(ALICE);
    fake.push_update(tg::private_text(100_000_001, ALICE, "spent 12 on lunch"));
    let bob = poll_say(
        &fake,
        BOB,
        tg::private_text(100_000_002, BOB, "spent 40 on taxi"),
    )
    .await;
    assert!(bob.text().contains("Recorded 40.00 USD"), "{}", bob.text());

    let tried = fake
        .wait_for(WAIT, |f| !f.attempts_to(ALICE).is_empty())
        .await;
    assert!(tried, "the reply to Alice is attempted");
    let deadline = tokio::time::Instant::now() + WAIT;
    while unreachable(&app, ALICE).await != Some(true) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        unreachable(&app, ALICE).await,
        Some(true),
        "Alice's identity is marked unreachable"
    );
    assert_eq!(unreachable(&app, BOB).await, Some(false));

    // The bot goes on serving others and never tries Alice again by itself.
    poll_say(
        &fake,
        BOB,
        tg::private_text(100_000_003, BOB, "spent 3 on coffee"),
    )
    .await;
    assert!(
        !fake
            .wait_for(QUIET, |f| f.attempts_to(ALICE).len() > 1)
            .await,
        "exactly one attempt for the blocked user: {:?}",
        fake.attempts_to(ALICE)
    );
}

#[tokio::test]
async fn editing_a_message_changes_its_expense_and_says_what_changed() {
    let (_app, fake) = polling().await;
    poll_say(
        &fake,
        ALICE,
        tg::with_message_id(
            tg::private_text(100_000_001, ALICE, "spent 12 on lunch"),
            11,
        ),
    )
    .await;
    let changed = poll_say(
        &fake,
        ALICE,
        tg::edited(100_000_002, ALICE, 11, "spent 15 on lunch"),
    )
    .await;
    assert!(changed.text().contains("15.00"), "{}", changed.text());

    let summary = poll_say(
        &fake,
        ALICE,
        tg::private_text(100_000_003, ALICE, "/summary"),
    )
    .await;
    assert!(summary.text().contains("15.00"), "{}", summary.text());
    assert!(
        summary.text().contains("in 1 expense"),
        "{}",
        summary.text()
    );
    assert!(!summary.text().contains("27.00"), "{}", summary.text());
}

#[tokio::test]
async fn the_undo_button_answers_the_query_edits_the_message_and_removes_the_expense() {
    let (_app, fake) = polling().await;
    let recorded = poll_say(
        &fake,
        ALICE,
        tg::private_text(100_000_001, ALICE, "spent 12 on lunch"),
    )
    .await;
    let undo = recorded
        .callback_data()
        .into_iter()
        .find(|d| d.starts_with("undo:"))
        .expect("the confirmation has an Undo button");

    fake.push_update(tg::callback(100_000_002, ALICE, recorded.message_id, &undo));
    let query_id = tg::callback_id(100_000_002);
    let answered = fake
        .wait_for(WAIT, |f| {
            f.calls("answerCallbackQuery")
                .iter()
                .any(|b| b["callback_query_id"] == query_id.as_str())
        })
        .await;
    assert!(answered, "the query is answered: {:?}", fake.requests());
    let edited = fake
        .wait_for(WAIT, |f| {
            f.calls("editMessageText")
                .iter()
                .any(|b| b["message_id"] == recorded.message_id && tg::chat_of(b) == Some(ALICE))
        })
        .await;
    assert!(
        edited,
        "the message is edited in place: {:?}",
        fake.requests()
    );
    let message = fake
        .message(ALICE, recorded.message_id)
        .expect("the bot's message");
    assert!(message.get("edit_date").is_some(), "{message}");

    let summary = poll_say(
        &fake,
        ALICE,
        tg::private_text(100_000_003, ALICE, "/summary"),
    )
    .await;
    assert!(
        summary.text().contains("nothing recorded"),
        "{}",
        summary.text()
    );
}

#[tokio::test]
async fn user_text_is_escaped_for_html() {
    let (_app, fake) = polling().await;
    let reply = poll_say(
        &fake,
        ALICE,
        tg::private_text(100_000_001, ALICE, "spent 5 on <b>tea</b> & cake"),
    )
    .await;
    assert!(
        reply.text().contains("&lt;b&gt;tea&lt;/b&gt; &amp; cake"),
        "{}",
        reply.text()
    );
    assert!(!reply.text().contains("<b>tea"), "{}", reply.text());
}

#[tokio::test]
async fn in_a_group_the_bot_answers_commands_and_mentions_and_records_in_each_persons_wallet() {
    let (_app, fake) = polling().await;
    let added = poll_say(
        &fake,
        GROUP,
        tg::group_text(
            100_000_001,
            GROUP,
            GROUP_USER,
            "/add@ExpenseBot 30 groceries",
            Value::Null,
        ),
    )
    .await;
    assert!(added.text().contains("30.00"), "{}", added.text());

    fake.push_update(tg::group_text(
        100_000_002,
        GROUP,
        GROUP_USER,
        "spent 5 on tea",
        Value::Null,
    ));
    let mentioned = poll_say(
        &fake,
        GROUP,
        tg::group_text(
            100_000_003,
            GROUP,
            GROUP_USER,
            "@ExpenseBot spent 5 on tea",
            Value::Null,
        ),
    )
    .await;
    assert!(mentioned.text().contains("5.00"), "{}", mentioned.text());
    assert_eq!(
        fake.attempts_to(GROUP).len(),
        2,
        "the plain message is ignored: {:?}",
        fake.texts_to(GROUP)
    );

    let summary = poll_say(
        &fake,
        GROUP_USER,
        tg::private_text(100_000_004, GROUP_USER, "/summary"),
    )
    .await;
    assert!(summary.text().contains("35.00"), "{}", summary.text());
    assert!(
        summary.text().contains("in 2 expense"),
        "{}",
        summary.text()
    );
}

#[tokio::test]
async fn in_a_group_someone_elses_button_is_answered_privately_and_changes_nothing() {
    let (_app, fake) = polling().await;
    let added = poll_say(
        &fake,
        GROUP,
        tg::group_text(
            100_000_001,
            GROUP,
            GROUP_USER,
            "/add@ExpenseBot 30 groceries",
            Value::Null,
        ),
    )
    .await;
    let buttons = added.callback_data();
    let undo = buttons
        .iter()
        .find(|d| d.starts_with("undo:"))
        .expect("Undo");
    let category = buttons
        .iter()
        .find(|d| d.starts_with("cat:"))
        .expect("Category");
    for (n, data) in [undo, category].into_iter().enumerate() {
        let update = 100_000_002 + i64::try_from(n).unwrap_or_default();
        fake.push_update(tg::group_callback(
            update,
            GROUP,
            ALICE,
            added.message_id,
            data,
        ));
        let query_id = tg::callback_id(update);
        let answered = fake
            .wait_for(WAIT, |f| {
                f.calls("answerCallbackQuery")
                    .iter()
                    .any(|b| b["callback_query_id"] == query_id.as_str())
            })
            .await;
        assert!(answered, "the press is answered: {:?}", fake.requests());
        let answer = fake
            .calls("answerCallbackQuery")
            .into_iter()
            .find(|b| b["callback_query_id"] == query_id.as_str())
            .expect("the answer");
        assert!(
            answer["text"].as_str().is_some_and(|t| !t.is_empty()),
            "the presser is told privately: {answer}"
        );
    }
    assert!(
        fake.calls("editMessageText").is_empty(),
        "the owner's confirmation stays as it was: {:?}",
        fake.calls("editMessageText")
    );
    assert_eq!(
        fake.attempts_to(GROUP).len(),
        1,
        "nothing new is said in the group"
    );
    let summary = poll_say(
        &fake,
        GROUP_USER,
        tg::private_text(100_000_010, GROUP_USER, "/summary"),
    )
    .await;
    assert!(summary.text().contains("30.00"), "{}", summary.text());
}

#[tokio::test]
async fn two_people_never_see_each_others_expenses() {
    let (_app, fake) = polling().await;
    poll_say(
        &fake,
        ALICE,
        tg::private_text(100_000_001, ALICE, "spent 12 on lunch"),
    )
    .await;
    poll_say(
        &fake,
        BOB,
        tg::private_text(100_000_002, BOB, "spent 40 on taxi"),
    )
    .await;
    let alice = poll_say(
        &fake,
        ALICE,
        tg::private_text(100_000_003, ALICE, "/summary"),
    )
    .await;
    let bob = poll_say(&fake, BOB, tg::private_text(100_000_004, BOB, "/summary")).await;
    assert!(alice.text().contains("12.00"), "{}", alice.text());
    assert!(!alice.text().contains("40.00"), "{}", alice.text());
    assert!(bob.text().contains("40.00"), "{}", bob.text());
    assert!(!bob.text().contains("12.00"), "{}", bob.text());
}

#[tokio::test]
async fn a_new_person_whose_telegram_speaks_spanish_is_answered_in_spanish() {
    let (_app, fake) = polling().await;
    let reply = poll_say(
        &fake,
        ALICE,
        tg::private_text_lang(100_000_001, ALICE, "gasté 12 en almuerzo", "es"),
    )
    .await;
    assert!(reply.text().contains("Anotado"), "{}", reply.text());
}

#[tokio::test]
async fn when_the_database_is_down_the_webhook_answers_503_and_sends_nothing() {
    let (app, fake) = webhook().await;
    app.state.store.close().await;
    let update = tg::private_text(200_000_001, ALICE, "spent 12 on lunch");
    assert_eq!(deliver(&app, &update, Some(SECRET)).await, 503);
    assert!(
        !fake
            .wait_for(QUIET, |f| !f.attempts_to(ALICE).is_empty())
            .await,
        "no reply while nothing was saved: {:?}",
        fake.attempts_to(ALICE)
    );
}

#[tokio::test]
async fn when_the_database_is_down_polling_does_not_confirm_the_update() {
    let (app, fake) = polling().await;
    app.state.store.close().await;
    let update_id = 300_000_001;
    let before = fake.count("getUpdates");
    fake.push_update(tg::private_text(update_id, ALICE, "spent 12 on lunch"));
    // The update is fetched, fails to save, and is fetched again: it stays unconfirmed.
    let refetched = fake
        .wait_for(WAIT, |f| f.count("getUpdates") >= before + 3)
        .await;
    assert!(refetched, "polling goes on after a failed update");
    assert!(
        fake.confirmed_offset() <= update_id,
        "the update must not be confirmed while nothing was saved (offset {})",
        fake.confirmed_offset()
    );
    assert!(
        fake.attempts_to(ALICE).is_empty(),
        "no reply while nothing was saved: {:?}",
        fake.attempts_to(ALICE)
    );
}

#[tokio::test]
async fn a_mention_after_letters_that_change_length_when_lower_cased_is_still_understood() {
    let (_app, fake) = polling().await;
    // The Kelvin sign (3 bytes) lower-cases to `k` (1 byte): offsets must stay right.
    let reply = poll_say(
        &fake,
        GROUP,
        tg::group_text(
            400_000_001,
            GROUP,
            GROUP_USER,
            "\u{212A}@ExpenseBot spent 5 on tea",
            Value::Null,
        ),
    )
    .await;
    assert!(reply.text().contains("5.00"), "{}", reply.text());
}
