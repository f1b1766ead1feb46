//! Overspend alerts end to end: the real service (through `startup`) over a fresh database,
//! with the fake Telegram, Discord and SendGrid on loopback. A person verifies an address,
//! sets a limit and spends past it; the outbox worker then sends one email (overspend only)
//! and one chat alert per linked identity, never twice, whatever SendGrid answers, and even
//! when the worker that claimed an alert died or another worker shares the database.
//!
//! Nothing here sleeps blindly: the fakes' `wait_for` or a deadline-bound poll of the outbox.
//! "Nothing more arrives" is shown by the outbox: once no alert is pending or being sent,
//! no worker can send anything more.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use secrecy::ExposeSecret;
use serde_json::Value;

use spendbot::bot::Bot;
use spendbot::ledger::{AlertKind, Threshold};
use spendbot::notify::Delivery;
use spendbot::notify::SendGrid;
use spendbot::startup::{self, AppState};

use crate::fakes::discord::{self as dc, APPLICATION_ID, BOT_TOKEN, FakeDiscord, Signer};
use crate::fakes::sendgrid::{self as sg, AcceptedMail, FakeSendGrid};
use crate::fakes::telegram::{self as tg, FakeTelegram};
use crate::helpers::{TestApp, settings_with, spawn_app_with, sqlite_url};
use crate::test_db::{Engine, TestDb};

const TOKEN: &str = "123456:ALERTS-token";
/// How long anything may take before a story fails.
const WAIT: Duration = Duration::from_secs(15);
/// How often an outbox poll looks again.
const POLL: Duration = Duration::from_millis(20);
/// The person on Telegram.
const ALICE: i64 = 311_111_111;
/// The same person on Discord, once linked.
const MEMBER: u64 = 910_000_000_000_000_002;
const EMAIL: &str = "alice@example.com";
/// What SendGrid says when the sender is not verified (a permanent 400).
const SENDER_ERROR: &str = "The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.";

static NEXT_UPDATE: AtomicI64 = AtomicI64::new(1);
static NEXT_INTERACTION: AtomicU64 = AtomicU64::new(1_350_000_000_000_000_001);

fn next_update() -> i64 {
    NEXT_UPDATE.fetch_add(1, Ordering::Relaxed)
}

/// The chat alert for an overspend (its first words).
fn is_over_alert(text: &str) -> bool {
    text.starts_with("You have spent")
}

/// The chat alert for 80 % (its first words; the confirmation says "you have used").
fn is_warning_alert(text: &str) -> bool {
    text.starts_with("Heads up: you have spent")
}

fn is_alert(text: &str) -> bool {
    is_over_alert(text) || is_warning_alert(text)
}

/// The first six-digit word of `text`.
fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

/// The link code in a `/link` answer: the 8-character word of capitals and digits.
fn link_code(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| {
            w.len() == 8
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        .unwrap_or_else(|| panic!("an 8-character code in {text:?}"))
        .to_owned()
}

/// The mails of limit alerts (`custom_args.alert_id` = `limit-…`).
fn limit_mails(sendgrid: &FakeSendGrid) -> Vec<AcceptedMail> {
    sendgrid
        .mails()
        .into_iter()
        .filter(|m| m.alert_id().is_some_and(|id| id.starts_with("limit-")))
        .collect()
}

/// The statuses SendGrid answered to the requests for limit alerts, in order.
fn limit_attempts(sendgrid: &FakeSendGrid) -> Vec<(Instant, u16)> {
    sendgrid
        .attempts()
        .into_iter()
        .filter(|a| {
            a.body["custom_args"]["alert_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("limit-"))
        })
        .map(|a| (a.at, a.status))
        .collect()
}

/// The code in the verification mail to `to`, once it arrived.
async fn code_mailed_to(sendgrid: &FakeSendGrid, to: &str) -> String {
    let is_code =
        |m: &AcceptedMail| m.to() == [to] && m.alert_id().is_some_and(|id| id.starts_with("code-"));
    let arrived = sendgrid
        .wait_for(WAIT, |f| f.mails().iter().any(is_code))
        .await;
    assert!(
        arrived,
        "a verification mail to {to}: {:?}",
        sendgrid.attempts()
    );
    let mail = sendgrid
        .mails()
        .into_iter()
        .find(is_code)
        .expect("the mail is there");
    let text = mail.content("text/plain").unwrap_or("");
    six_digits(text).unwrap_or_else(|| panic!("a six-digit code in {text:?}"))
}

// --- the service with every fake -------------------------------------------------------------

/// The running service (Telegram by long polling, Discord interactions, SendGrid) and the fakes.
struct Chat {
    app: TestApp,
    telegram: FakeTelegram,
    discord: FakeDiscord,
    sendgrid: FakeSendGrid,
    signer: Signer,
}

async fn start() -> Chat {
    let telegram = FakeTelegram::start(TOKEN).await;
    let discord = FakeDiscord::start().await;
    let sendgrid = FakeSendGrid::start().await;
    let signer = Signer::new();
    let (tg_url, dc_url, sg_url, key) = (
        telegram.url(),
        discord.url(),
        sendgrid.url(),
        signer.public_key_hex(),
    );
    let app = spawn_app_with(&[
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_URL", &tg_url),
        ("DISCORD_PUBLIC_KEY", &key),
        ("DISCORD_APPLICATION_ID", APPLICATION_ID),
        ("DISCORD_BOT_TOKEN", BOT_TOKEN),
        ("DISCORD_API_URL", &dc_url),
        ("SENDGRID_API_KEY", sg::API_KEY),
        ("SENDGRID_API_URL", &sg_url),
    ])
    .await;
    let polls = telegram.wait_for(WAIT, |f| f.count("getUpdates") > 0).await;
    assert!(polls, "the bot polls: {:?}", telegram.requests());
    Chat {
        app,
        telegram,
        discord,
        sendgrid,
        signer,
    }
}

impl Chat {
    /// Alice writes `text` on Telegram; the bot's answer (not an alert).
    async fn say(&self, text: &str) -> String {
        let before = self.telegram.sent_to(ALICE).len();
        self.telegram
            .push_update(tg::private_text(next_update(), ALICE, text));
        let answered = self
            .telegram
            .wait_for(WAIT, |f| {
                f.sent_to(ALICE)
                    .iter()
                    .skip(before)
                    .any(|s| !is_alert(s.text()))
            })
            .await;
        assert!(
            answered,
            "an answer to {text:?}; the chat has {:?}",
            self.telegram.texts_to(ALICE)
        );
        self.telegram
            .sent_to(ALICE)
            .iter()
            .skip(before)
            .find(|s| !is_alert(s.text()))
            .map(|s| s.text().to_owned())
            .expect("the answer is there")
    }

    /// `/email EMAIL`, the code from the mail, `/verify CODE`.
    async fn verify(&self) {
        let sent = self.say(&format!("/email {EMAIL}")).await;
        assert!(sent.contains("six-digit code"), "{sent}");
        let code = code_mailed_to(&self.sendgrid, EMAIL).await;
        let verified = self.say(&format!("/verify {code}")).await;
        assert!(verified.starts_with("Verified"), "{verified}");
    }

    /// `/limit 100` (monthly).
    async fn limit_100(&self) {
        let set = self.say("/limit 100").await;
        assert!(
            set.contains("limit is now") && set.contains("100.00"),
            "{set}"
        );
    }

    /// `/link` on Telegram, `/link code:CODE` by [`MEMBER`] in the Discord guild.
    async fn link_discord(&self) {
        let offer = self.say("/link").await;
        let code = link_code(&offer);
        let payload = dc::command_in_guild(
            NEXT_INTERACTION.fetch_add(1, Ordering::Relaxed),
            MEMBER,
            "link",
            dc::options(&[("code", &code)]),
        );
        let body = payload.to_string().into_bytes();
        let (signature, timestamp) = self.signer.sign(&body);
        let response = reqwest::Client::new()
            .post(self.app.url("/discord/interactions"))
            .header("Content-Type", "application/json")
            .header("X-Signature-Ed25519", signature)
            .header("X-Signature-Timestamp", timestamp)
            .body(body)
            .send()
            .await
            .expect("the interactions endpoint answers");
        assert_eq!(response.status().as_u16(), 200);
        let answer: Value = response.json().await.expect("a JSON answer");
        let content = answer.pointer("/data/content").and_then(Value::as_str);
        assert!(content.is_some_and(|c| c.starts_with("Linked")), "{answer}");
    }

    /// The texts of the chat alerts Alice got on Telegram.
    fn telegram_alerts(&self) -> Vec<String> {
        self.telegram
            .texts_to(ALICE)
            .into_iter()
            .filter(|t| is_alert(t))
            .collect()
    }

    /// The contents of the DMs the Discord identity got.
    fn discord_dms(&self) -> Vec<String> {
        self.discord
            .dms_to(&MEMBER.to_string())
            .iter()
            .map(|m| m.content().to_owned())
            .collect()
    }

    /// Waits until no alert is pending or being sent, then returns every outbox row.
    async fn settled(&self) -> Vec<OutboxRow> {
        let deadline = Instant::now() + WAIT;
        loop {
            let rows = outbox(&self.app).await;
            if rows
                .iter()
                .all(|r| r.status == "sent" || r.status == "failed")
            {
                return rows;
            }
            assert!(
                Instant::now() < deadline,
                "the outbox settles: {rows:?}; SendGrid saw {:?}",
                self.sendgrid.attempts()
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

/// One row of the outbox, as stored.
#[derive(Debug, Clone)]
struct OutboxRow {
    kind: String,
    threshold: Option<i64>,
    status: String,
    last_error: Option<String>,
    attempts: i64,
    claimed_by: Option<String>,
}

const OUTBOX: &str =
    "SELECT kind, threshold, status, last_error, attempts, claimed_by FROM outbox ORDER BY id";

/// The columns of [`OUTBOX`], in order.
type Row = (
    String,
    Option<i64>,
    String,
    Option<String>,
    i64,
    Option<String>,
);

async fn sqlite_outbox(url: &str) -> Vec<OutboxRow> {
    let pool = sqlx::SqlitePool::connect(url)
        .await
        .expect("the test opens the SQLite file");
    let rows = sqlx::query_as::<_, Row>(OUTBOX)
        .fetch_all(&pool)
        .await
        .expect("the outbox can be read")
        .into_iter()
        .map(
            |(kind, threshold, status, last_error, attempts, claimed_by)| OutboxRow {
                kind,
                threshold,
                status,
                last_error,
                attempts,
                claimed_by,
            },
        )
        .collect();
    pool.close().await;
    rows
}

async fn outbox(app: &TestApp) -> Vec<OutboxRow> {
    sqlite_outbox(app.state.settings.database.url().expose_secret()).await
}

/// The overspend rows (threshold 100).
fn over_rows(rows: &[OutboxRow]) -> Vec<&OutboxRow> {
    rows.iter()
        .filter(|r| r.kind == "limit" && r.threshold == Some(100))
        .collect()
}

// --- the stories -----------------------------------------------------------------------------

#[tokio::test]
async fn over_limit_expense_sends_exactly_one_email_and_one_chat_alert_per_linked_identity() {
    let c = start().await;
    c.verify().await;
    c.link_discord().await;
    c.limit_100().await;
    let recorded = c.say("spent 120 on dinner").await;
    assert!(recorded.contains("120.00"), "{recorded}");

    let rows = c.settled().await;
    assert!(
        rows.iter().all(|r| r.status == "sent"),
        "every alert delivered: {rows:?}"
    );
    assert_eq!(over_rows(&rows).len(), 1, "{rows:?}");

    let mails = limit_mails(&c.sendgrid);
    assert_eq!(mails.len(), 1, "one overspend mail: {mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.to(), [EMAIL]);
    assert!(mail.subject().contains("over your"), "{}", mail.subject());
    assert!(mail.alert_id().is_some(), "{:?}", mail.body);
    let text = mail.content("text/plain").unwrap_or("");
    assert!(
        text.contains("120.00") && text.contains("100.00"),
        "the total and the limit: {text}"
    );
    assert!(mail.content("text/html").is_some(), "{:?}", mail.body);

    let alerts = c.telegram_alerts();
    assert_eq!(alerts.len(), 1, "one Telegram alert: {alerts:?}");
    assert!(
        is_over_alert(&alerts[0]),
        "no separate 80 % alert: {alerts:?}"
    );
    assert!(alerts[0].contains("120.00") && alerts[0].contains("100.00"));
    let dms = c.discord_dms();
    assert_eq!(dms.len(), 1, "one Discord DM: {dms:?}");
    assert!(is_over_alert(&dms[0]), "{dms:?}");

    // The period was alerted already: no new row, so nothing more can be sent.
    let coffee = c.say("coffee 5").await;
    assert!(coffee.contains("5.00"), "{coffee}");
    let after = c.settled().await;
    assert_eq!(after.len(), rows.len(), "no new alert: {after:?}");
    assert_eq!(limit_mails(&c.sendgrid).len(), 1);
    assert_eq!(c.telegram_alerts().len(), 1, "{:?}", c.telegram_alerts());
    assert_eq!(c.discord_dms().len(), 1, "{:?}", c.discord_dms());
}

#[tokio::test]
async fn crossing_80_percent_sends_one_chat_warning_and_no_email() {
    let c = start().await;
    c.verify().await;
    c.limit_100().await;
    let recorded = c.say("spent 85 on groceries").await;
    assert!(recorded.contains("85.00"), "{recorded}");

    let rows = c.settled().await;
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
    assert!(over_rows(&rows).is_empty(), "not over: {rows:?}");
    let alerts = c.telegram_alerts();
    assert_eq!(alerts.len(), 1, "one warning: {alerts:?}");
    assert!(is_warning_alert(&alerts[0]), "{alerts:?}");
    assert!(alerts[0].contains("85.00") && alerts[0].contains("100.00"));
    assert!(
        limit_mails(&c.sendgrid).is_empty(),
        "a warning is not emailed: {:?}",
        c.sendgrid.mails()
    );
    assert_eq!(c.sendgrid.mails().len(), 1, "only the code was mailed");
}

#[tokio::test]
async fn sendgrid_answering_500_then_202_delivers_the_alert_once() {
    let c = start().await;
    c.verify().await;
    c.limit_100().await;
    c.sendgrid.respond_next(
        500,
        &[],
        &sg::error_body("Internal server error", None, None).to_string(),
    );
    c.say("spent 120 on dinner").await;

    let rows = c.settled().await;
    let over = over_rows(&rows);
    assert_eq!(over.len(), 1, "{rows:?}");
    assert_eq!(over[0].status, "sent", "{rows:?}");
    let statuses: Vec<u16> = limit_attempts(&c.sendgrid)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(statuses, [500, 202], "retried once after the 500");
    assert_eq!(limit_mails(&c.sendgrid).len(), 1);
    let alerts = c.telegram_alerts();
    assert_eq!(alerts.len(), 1, "one chat alert: {alerts:?}");
}

#[tokio::test]
async fn a_failing_email_holds_back_no_chat_alert_and_its_retry_repeats_none() {
    let c = start().await;
    c.verify().await;
    c.limit_100().await;
    // SendGrid fails every attempt of the first delivery (the client tries three times).
    for _ in 0..3 {
        c.sendgrid.respond_next(
            503,
            &[],
            &sg::error_body("Service unavailable", None, None).to_string(),
        );
    }
    c.say("spent 120 on dinner").await;
    let deadline = Instant::now() + WAIT;
    while c.telegram_alerts().is_empty() {
        assert!(Instant::now() < deadline, "the chat alert goes out at once");
        tokio::time::sleep(POLL).await;
    }
    assert!(
        limit_mails(&c.sendgrid).is_empty(),
        "the email is still to come"
    );

    // The outbox retries the email five seconds later; the chat alert is not sent again.
    let deadline = Instant::now() + Duration::from_secs(20);
    while limit_mails(&c.sendgrid).is_empty() {
        assert!(Instant::now() < deadline, "the email is retried");
        tokio::time::sleep(POLL).await;
    }
    let rows = c.settled().await;
    assert_eq!(over_rows(&rows)[0].status, "sent", "{rows:?}");
    assert_eq!(limit_mails(&c.sendgrid).len(), 1);
    assert_eq!(c.telegram_alerts().len(), 1, "one chat alert, never twice");
}

#[tokio::test]
async fn sendgrid_answering_429_with_retry_after_is_waited_out() {
    let c = start().await;
    c.verify().await;
    c.limit_100().await;
    c.sendgrid.respond_next(
        429,
        &[("Retry-After", "1")],
        &sg::error_body("too many requests", None, None).to_string(),
    );
    c.say("spent 120 on dinner").await;

    let rows = c.settled().await;
    let over = over_rows(&rows);
    assert_eq!(over.len(), 1, "{rows:?}");
    assert_eq!(over[0].status, "sent", "{rows:?}");
    let attempts = limit_attempts(&c.sendgrid);
    let statuses: Vec<u16> = attempts.iter().map(|(_, s)| *s).collect();
    assert_eq!(statuses, [429, 202], "one 429, one success");
    let waited = attempts[1].0.duration_since(attempts[0].0);
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After: 1 is waited out, waited {waited:?}"
    );
    assert_eq!(limit_mails(&c.sendgrid).len(), 1);
    assert_eq!(c.telegram_alerts().len(), 1, "{:?}", c.telegram_alerts());
}

#[tokio::test]
async fn sendgrid_answering_400_is_not_retried_and_the_alert_is_recorded_failed() {
    let c = start().await;
    c.verify().await;
    c.limit_100().await;
    c.sendgrid.respond_next(
        400,
        &[],
        &sg::error_body(
            SENDER_ERROR,
            Some("from"),
            Some("http://sendgrid.com/docs/for-developers/sending-email/sender-identity/"),
        )
        .to_string(),
    );
    c.say("spent 120 on dinner").await;

    let rows = c.settled().await;
    let over = over_rows(&rows);
    assert_eq!(over.len(), 1, "{rows:?}");
    assert_eq!(over[0].status, "failed", "{rows:?}");
    let error = over[0].last_error.as_deref().unwrap_or("");
    assert!(
        error.contains("does not match a verified Sender Identity"),
        "SendGrid's message is recorded: {error:?}"
    );
    assert!(!error.contains(EMAIL), "no address in the error: {error:?}");
    let statuses: Vec<u16> = limit_attempts(&c.sendgrid)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(statuses, [400], "a 400 is not retried");
    assert!(limit_mails(&c.sendgrid).is_empty());
    let alerts = c.telegram_alerts();
    assert_eq!(alerts.len(), 1, "the chat alert still went out: {alerts:?}");
    assert!(is_over_alert(&alerts[0]), "{alerts:?}");
}

#[tokio::test]
async fn email_off_stops_the_emails_but_not_the_chat_alerts() {
    let c = start().await;
    c.verify().await;
    c.limit_100().await;
    let yearly = c.say("/limit 1000 yearly").await;
    assert!(yearly.contains("limit is now"), "{yearly}");
    c.say("spent 120 on dinner").await;
    c.settled().await;
    assert_eq!(limit_mails(&c.sendgrid).len(), 1, "mailed while on");
    assert_eq!(c.telegram_alerts().len(), 1, "{:?}", c.telegram_alerts());

    let off = c.say("/email off").await;
    assert!(off.contains("No more alert emails"), "{off}");
    // Past the yearly limit now: a new overspend alert, by chat only.
    c.say("spent 900 on rent").await;
    let rows = c.settled().await;
    assert_eq!(over_rows(&rows).len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r.status == "sent"), "{rows:?}");
    let alerts = c.telegram_alerts();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(
        is_over_alert(&alerts[1]) && alerts[1].contains("1,000.00"),
        "{alerts:?}"
    );
    assert_eq!(
        limit_mails(&c.sendgrid).len(),
        1,
        "no mail after /email off: {:?}",
        c.sendgrid.mails()
    );
}

// --- workers without `serve` ------------------------------------------------------------------

/// The service's state over `database_url` with Telegram and SendGrid on, wired by `startup`
/// but not served: no worker of its own runs, so the test decides who delivers.
async fn state_over(
    database_url: &str,
    telegram: &FakeTelegram,
    sendgrid: &FakeSendGrid,
) -> AppState {
    let (tg_url, sg_url) = (telegram.url(), sendgrid.url());
    startup::build_state(settings_with(&[
        ("DATABASE_URL", database_url),
        ("SPENDBOT_LOG", "warn"),
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_URL", &tg_url),
        ("SENDGRID_API_KEY", sg::API_KEY),
        ("SENDGRID_API_URL", &sg_url),
    ]))
    .await
    .expect("the state builds")
}

fn delivery(state: &AppState, stale_after: chrono::Duration, idle: Duration) -> Delivery<Bot> {
    Delivery::new(
        state.bot.clone(),
        spendbot::startup::chat_senders(state),
        SendGrid::from_settings(&state.settings),
    )
    .with_timing(stale_after, idle)
}

/// `user` writes `text` to the bot on Telegram (handled by the adapter); its answer.
async fn tell(state: &AppState, telegram: &FakeTelegram, user: i64, text: &str) -> String {
    let adapter = state.telegram.as_deref().expect("Telegram is on");
    let update = tg::private_text(next_update(), user, text);
    let update: teloxide_core::types::Update =
        serde_json::from_str(&update.to_string()).expect("an update");
    let before = telegram.sent_to(user).len();
    adapter.handle(update).await;
    telegram
        .sent_to(user)
        .iter()
        .skip(before)
        .find(|s| !is_alert(s.text()))
        .map(|s| s.text().to_owned())
        .unwrap_or_else(|| panic!("an answer to {text:?}: {:?}", telegram.texts_to(user)))
}

/// Runs `workers` concurrently until `done` holds (or fails after [`WAIT`]).
async fn run_until<F, Fut>(workers: &[Arc<Delivery<Bot>>], done: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let stop = tokio_util::sync::CancellationToken::new();
    let handles: Vec<_> = workers
        .iter()
        .map(|w| {
            let (w, stop) = (w.clone(), stop.clone());
            tokio::spawn(async move { w.run(stop).await })
        })
        .collect();
    let deadline = Instant::now() + WAIT;
    let mut finished = false;
    while Instant::now() < deadline {
        if done().await {
            finished = true;
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    stop.cancel();
    for h in handles {
        h.await.expect("a worker does not panic");
    }
    assert!(finished, "the workers did not finish within {WAIT:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_claimed_by_a_worker_that_died_is_delivered_by_the_next() {
    let telegram = FakeTelegram::start(TOKEN).await;
    let sendgrid = FakeSendGrid::start().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(dir.path());
    let state = state_over(&url, &telegram, &sendgrid).await;
    let next = Arc::new(delivery(
        &state,
        chrono::Duration::milliseconds(200),
        Duration::from_millis(50),
    ));

    let sent = tell(&state, &telegram, ALICE, &format!("/email {EMAIL}")).await;
    assert!(sent.contains("six-digit code"), "{sent}");
    assert_eq!(next.deliver_due().await, Ok(1), "the code mail");
    let code = code_mailed_to(&sendgrid, EMAIL).await;
    let verified = tell(&state, &telegram, ALICE, &format!("/verify {code}")).await;
    assert!(verified.starts_with("Verified"), "{verified}");
    tell(&state, &telegram, ALICE, "/limit 100").await;
    tell(&state, &telegram, ALICE, "spent 120 on dinner").await;

    // A worker claims the alerts and dies before sending anything.
    let claimed = state
        .ledger
        .claim_alerts("dead-worker", Utc::now(), 16, chrono::Duration::minutes(2))
        .await
        .expect("the dead worker claims");
    assert!(
        claimed.iter().any(|a| matches!(
            a.kind,
            AlertKind::Limit {
                threshold: Threshold::Over,
                ..
            }
        )),
        "the overspend alert is claimed: {claimed:?}"
    );
    // While the claim is fresh, nobody else takes it.
    let patient = delivery(
        &state,
        chrono::Duration::minutes(2),
        Duration::from_millis(50),
    );
    assert_eq!(
        patient.deliver_due().await,
        Ok(0),
        "a fresh claim is left alone"
    );
    assert!(limit_mails(&sendgrid).is_empty());

    // Once the claim is stale, the next worker delivers it, once.
    let db = url.clone();
    run_until(std::slice::from_ref(&next), || {
        let db = db.clone();
        async move {
            sqlite_outbox(&db)
                .await
                .iter()
                .all(|r| r.status == "sent" || r.status == "failed")
        }
    })
    .await;
    let rows = sqlite_outbox(&url).await;
    let over = over_rows(&rows);
    assert_eq!(over.len(), 1, "{rows:?}");
    assert_eq!(over[0].status, "sent", "{rows:?}");
    assert_ne!(
        over[0].claimed_by.as_deref(),
        Some("dead-worker"),
        "{rows:?}"
    );
    assert_eq!(
        over[0].attempts, 2,
        "the dead worker's and the next's: {rows:?}"
    );
    let mails = limit_mails(&sendgrid);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to(), [EMAIL]);
    let alerts: Vec<String> = telegram
        .texts_to(ALICE)
        .into_iter()
        .filter(|t| is_alert(t))
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(is_over_alert(&alerts[0]), "{alerts:?}");
    state.store.close().await;
}

/// The number `sql` (a `SELECT COUNT(…)`) counts on a server database.
async fn count(engine: Engine, url: &str, sql: &str) -> i64 {
    match engine {
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.expect("PostgreSQL");
            let n = sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .expect("the outbox can be counted");
            pool.close().await;
            n
        }
        Engine::MySql => {
            let pool = sqlx::MySqlPool::connect(url).await.expect("MySQL");
            let n = sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .expect("the outbox can be counted");
            pool.close().await;
            n
        }
        Engine::Sqlite => unreachable!("server engines only"),
    }
}

/// Several people cross their limits; two workers, each with its own connection pool, deliver
/// from one server database at once; every mail and every chat alert arrives exactly once.
async fn two_workers_deliver_each_alert_once(engine: Engine, story: &str) {
    // More people than one worker claims at a time, so that both have work.
    const PEOPLE: i64 = 20;
    let Some(db) = TestDb::new(engine, story).await else {
        return;
    };
    let telegram = FakeTelegram::start(TOKEN).await;
    let sendgrid = FakeSendGrid::start().await;
    let a = state_over(&db.url, &telegram, &sendgrid).await;
    let b = state_over(&db.url, &telegram, &sendgrid).await;
    let timing = (chrono::Duration::minutes(2), Duration::from_millis(20));
    let workers = [
        Arc::new(delivery(&a, timing.0, timing.1)),
        Arc::new(delivery(&b, timing.0, timing.1)),
    ];
    let user = |i: i64| 600_000_001 + i;
    let address = |i: i64| format!("person{i}@example.com");

    for i in 0..PEOPLE {
        let sent = tell(&a, &telegram, user(i), &format!("/email {}", address(i))).await;
        assert!(sent.contains("six-digit code"), "{sent}");
    }
    run_until(&workers, || unsettled_is_zero(engine, &db.url)).await;
    let codes = sendgrid.mails();
    assert_eq!(
        codes.len(),
        usize::try_from(PEOPLE).expect("small"),
        "one code mail each"
    );
    for i in 0..PEOPLE {
        let code = code_mailed_to(&sendgrid, &address(i)).await;
        let verified = tell(&a, &telegram, user(i), &format!("/verify {code}")).await;
        assert!(verified.starts_with("Verified"), "{verified}");
        tell(&a, &telegram, user(i), "/limit 100").await;
        tell(&a, &telegram, user(i), "spent 120 on dinner").await;
    }
    run_until(&workers, || unsettled_is_zero(engine, &db.url)).await;

    let mails = limit_mails(&sendgrid);
    let mut ids: Vec<&str> = mails.iter().filter_map(AcceptedMail::alert_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), mails.len(), "no alert mailed twice: {ids:?}");
    for i in 0..PEOPLE {
        let to_them = mails.iter().filter(|m| m.to() == [address(i)]).count();
        assert_eq!(to_them, 1, "one overspend mail to {}", address(i));
        let alerts: Vec<String> = telegram
            .texts_to(user(i))
            .into_iter()
            .filter(|t| is_alert(t))
            .collect();
        assert_eq!(alerts.len(), 1, "one chat alert to {}: {alerts:?}", user(i));
    }
    assert_eq!(mails.len(), usize::try_from(PEOPLE).expect("small"));
    let not_sent = count(
        engine,
        &db.url,
        "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'",
    );
    assert_eq!(not_sent.await, 0, "every alert delivered");
    // Both workers had their share: more alerts were due at once than one claims at a time.
    let claimers = count(
        engine,
        &db.url,
        "SELECT COUNT(DISTINCT claimed_by) FROM outbox WHERE kind = 'limit'",
    );
    assert_eq!(claimers.await, 2, "both workers delivered");
    a.store.close().await;
    b.store.close().await;
    drop(db);
}

/// Whether no alert is pending or being sent (none is left for a worker).
async fn unsettled_is_zero(engine: Engine, url: &str) -> bool {
    let sql = "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')";
    count(engine, url, sql).await == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_postgres_database_deliver_each_alert_once() {
    two_workers_deliver_each_alert_once(
        Engine::Postgres,
        "two_workers_on_one_postgres_database_deliver_each_alert_once",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_one_mysql_database_deliver_each_alert_once() {
    two_workers_deliver_each_alert_once(
        Engine::MySql,
        "two_workers_on_one_mysql_database_deliver_each_alert_once",
    )
    .await;
}
