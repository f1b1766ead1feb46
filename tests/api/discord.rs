//! The bot on Discord, end to end: the real service (through `startup`, over a fresh SQLite
//! file) receives signed interactions on `POST /discord/interactions`, exactly as Discord sends
//! them, and talks to the fake Discord HTTP API on loopback for DMs, deferred follow-ups and
//! the command set. Each story checks what a person on Discord would see and what ends up in
//! their wallet.
//!
//! Nothing here sleeps blindly: every wait is `wait_for` with a deadline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::fakes::discord::{
    self as dc, APPLICATION_ID, BOT_TOKEN, FakeDiscord, FollowupKind, GUILD_ID, Signer,
};
use crate::helpers::{TestApp, spawn_app_with, spendbot, workdir};

/// How long anything the bot does may take before a story fails.
const WAIT: Duration = Duration::from_secs(5);
/// A person who talks to the bot in a DM.
const DM_USER: u64 = 900_000_000_000_000_001;
/// A member of the guild, another person.
const MEMBER: u64 = 900_000_000_000_000_002;
/// Another member of the guild.
const OTHER_MEMBER: u64 = 900_000_000_000_000_003;
/// The commands the adapter must register, at least.
const COMMANDS: &[&str] = &[
    "spent", "expense", "income", "summary", "list", "undo", "limit", "currency", "timezone",
    "link", "help",
];

/// Interaction ids, unique across every story of the run.
static NEXT_INTERACTION: AtomicU64 = AtomicU64::new(1_300_000_000_000_000_001);

fn next_id() -> u64 {
    NEXT_INTERACTION.fetch_add(1, Ordering::Relaxed)
}

// --- starting the service -----------------------------------------------------------------

/// The service with Discord on, the fake Discord API it talks to, and Discord's signing key.
struct Setup {
    app: TestApp,
    fake: FakeDiscord,
    signer: Signer,
}

/// The `DISCORD_*` settings that point the service at `fake` and trust `signer`.
fn discord_env(fake: &FakeDiscord, signer: &Signer) -> Vec<(&'static str, String)> {
    vec![
        ("DISCORD_PUBLIC_KEY", signer.public_key_hex()),
        ("DISCORD_APPLICATION_ID", APPLICATION_ID.to_owned()),
        ("DISCORD_BOT_TOKEN", BOT_TOKEN.to_owned()),
        ("DISCORD_API_URL", fake.url()),
    ]
}

async fn start() -> Setup {
    let fake = FakeDiscord::start().await;
    let signer = Signer::new();
    let env = discord_env(&fake, &signer);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&pairs).await;
    Setup { app, fake, signer }
}

impl Setup {
    /// POSTs `body` to the interactions endpoint with the given signature headers (`None`:
    /// the header is left out). Returns the status and the JSON body (`Null` when empty).
    async fn post(
        &self,
        body: &[u8],
        signature: Option<&str>,
        timestamp: Option<&str>,
    ) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(self.app.url("/discord/interactions"))
            .header("Content-Type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("X-Signature-Ed25519", signature);
        }
        if let Some(timestamp) = timestamp {
            request = request.header("X-Signature-Timestamp", timestamp);
        }
        let response = request
            .send()
            .await
            .expect("the interactions endpoint answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a text body");
        let json = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
        (status, json)
    }

    /// Signs `payload` like Discord and delivers it.
    async fn interact(&self, payload: &Value) -> (u16, Value) {
        let body = payload.to_string().into_bytes();
        let (signature, timestamp) = self.signer.sign(&body);
        self.post(&body, Some(&signature), Some(&timestamp)).await
    }

    /// Delivers `payload`, expecting 200, and returns the interaction response.
    async fn answer(&self, payload: &Value) -> Value {
        let (status, answer) = self.interact(payload).await;
        assert_eq!(status, 200, "answer to {payload}: {answer}");
        answer
    }

    /// `/name options` by `user` in a DM with the bot; the interaction response.
    async fn in_dm(&self, user: u64, name: &str, options: &[(&str, &str)]) -> Value {
        let payload = dc::command_in_dm(next_id(), user, name, dc::options(options));
        self.answer(&payload).await
    }

    /// `/name options` by `user` in the guild's channel; the interaction response.
    async fn in_guild(&self, user: u64, name: &str, options: &[(&str, &str)]) -> Value {
        let payload = dc::command_in_guild(next_id(), user, name, dc::options(options));
        self.answer(&payload).await
    }

    /// The adapter, which the service builds when `DISCORD_PUBLIC_KEY` is set.
    fn discord(&self) -> &spendbot::discord::Discord {
        self.app
            .state
            .discord
            .as_deref()
            .expect("Discord is on when DISCORD_PUBLIC_KEY is set")
    }
}

/// The message text of an interaction response ("" when there is none).
fn content(answer: &Value) -> &str {
    answer
        .pointer("/data/content")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The message flags of an interaction response (0 when absent or null).
fn flags(answer: &Value) -> u64 {
    answer
        .pointer("/data/flags")
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// The callback type of an interaction response.
fn kind(answer: &Value) -> u64 {
    answer.get("type").and_then(Value::as_u64).unwrap_or(0)
}

/// Asserts a type-4 message answer and returns its content.
fn message(answer: &Value) -> &str {
    assert_eq!(kind(answer), 4, "a channel message: {answer}");
    content(answer)
}

/// The custom id of the first button of an interaction response.
fn first_button(answer: &Value) -> String {
    answer
        .pointer("/data/components/0/components/0/custom_id")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("a button on {answer}"))
        .to_owned()
}

/// The values and names of the autocomplete choices of a type-8 answer, lower-cased.
fn choices(answer: &Value) -> Vec<(String, String)> {
    assert_eq!(kind(answer), 8, "an autocomplete result: {answer}");
    answer
        .pointer("/data/choices")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("choices in {answer}"))
        .iter()
        .map(|c| {
            let text = |key: &str| match c.get(key) {
                Some(Value::String(s)) => s.to_lowercase(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            (text("name"), text("value"))
        })
        .collect()
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

/// The `unreachable` flag of the Discord identity `user`, if it exists.
async fn unreachable(app: &TestApp, user: u64) -> Option<bool> {
    let pool = database(app).await;
    let flag = sqlx::query_scalar::<_, bool>(
        "SELECT unreachable FROM identities WHERE platform = 'discord' AND external_id = ?",
    )
    .bind(user.to_string())
    .fetch_optional(&pool)
    .await
    .expect("identities can be read");
    pool.close().await;
    flag
}

// --- the fake itself --------------------------------------------------------------------------

#[test]
fn the_signers_payloads_are_interactions_serenity_understands() {
    use serenity::all::{CommandDataOptionValue, Interaction};
    let parse = |v: Value| {
        serde_json::from_slice::<Interaction>(v.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{v} is not an Interaction: {e}"))
    };
    assert!(matches!(parse(dc::ping()), Interaction::Ping(_)));

    let options = dc::options(&[("amount", "12.50"), ("note", "lunch")]);
    match parse(dc::command_in_guild(7, MEMBER, "spent", options.clone())) {
        Interaction::Command(cmd) => {
            assert_eq!(cmd.data.name, "spent");
            assert_eq!(cmd.user.id.get(), MEMBER);
            assert_eq!(
                cmd.guild_id.map(|g| g.get().to_string()).as_deref(),
                Some(GUILD_ID)
            );
            assert!(cmd.member.is_some());
            assert_eq!(cmd.token, dc::token_of(7));
            assert_eq!(cmd.data.options.len(), 2);
            assert_eq!(
                cmd.data.options[0].value,
                CommandDataOptionValue::String("12.50".into())
            );
        }
        other => panic!("a command, not {other:?}"),
    }
    match parse(dc::command_in_dm(8, DM_USER, "spent", options)) {
        Interaction::Command(cmd) => {
            assert_eq!(cmd.user.id.get(), DM_USER);
            assert!(cmd.guild_id.is_none() && cmd.member.is_none());
        }
        other => panic!("a command, not {other:?}"),
    }
    let others = dc::options(&[("amount", "12")]);
    match parse(dc::autocomplete(
        9, MEMBER, "spent", others, "category", "fo",
    )) {
        Interaction::Autocomplete(auto) => {
            let focused = auto.data.autocomplete().expect("a focused option");
            assert_eq!((focused.name, focused.value), ("category", "fo"));
        }
        other => panic!("an autocomplete, not {other:?}"),
    }
    for in_guild in [true, false] {
        match parse(dc::component(
            10,
            MEMBER,
            "undo:42",
            1_500_000_000_000_000_001,
            in_guild,
        )) {
            Interaction::Component(press) => {
                assert_eq!(press.data.custom_id, "undo:42");
                assert_eq!(press.message.id.get(), 1_500_000_000_000_000_001);
                assert_eq!(press.guild_id.is_some(), in_guild);
            }
            other => panic!("a component, not {other:?}"),
        }
    }
}

#[test]
fn the_signers_signatures_verify_with_serenitys_verifier() {
    use serenity::interactions_endpoint::Verifier;
    let signer = Signer::new();
    let verifier = Verifier::new(&signer.public_key_hex());
    let body = dc::ping().to_string().into_bytes();
    let (signature, timestamp) = signer.sign(&body);
    assert_eq!(signature.len(), 128);
    assert!(verifier.verify(&signature, &timestamp, &body).is_ok());
    assert!(verifier.verify(&signature, "1", &body).is_err());
    assert!(verifier.verify(&signature, &timestamp, b"{}").is_err());
}

#[tokio::test]
async fn the_fake_api_answers_serenity_the_way_discord_does() {
    use serenity::all::{
        ApplicationId, ChannelId, Command, CommandOptionType, CreateCommand, CreateCommandOption,
        CreateMessage, GuildId, InteractionId, UserId,
    };
    use serenity::http::{HttpBuilder, HttpError};

    let fake = FakeDiscord::start().await;
    let http = HttpBuilder::new(BOT_TOKEN)
        .proxy(fake.origin())
        .ratelimiter_disabled(true)
        .application_id(ApplicationId::new(APPLICATION_ID.parse().expect("an id")))
        .build();
    let status_and_code = |e: serenity::Error| match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            (r.status_code.as_u16(), r.error.code)
        }
        other => panic!("an unsuccessful request, not {other:?}"),
    };

    let spent = CreateCommand::new("spent")
        .description("Record an expense")
        .add_option(
            CreateCommandOption::new(CommandOptionType::String, "amount", "How much")
                .required(true),
        )
        .add_option(
            CreateCommandOption::new(CommandOptionType::String, "category", "Category")
                .set_autocomplete(true),
        );
    let guild = GuildId::new(GUILD_ID.parse().expect("an id"));
    let registered = guild
        .set_commands(&http, vec![spent.clone()])
        .await
        .expect("guild commands are set");
    assert_eq!(registered[0].name, "spent");
    assert!(registered[0].options[1].autocomplete);
    Command::set_global_commands(&http, vec![spent])
        .await
        .expect("global commands are set");
    let registrations = fake.registrations();
    assert_eq!(registrations.len(), 2);
    assert_eq!(registrations[0].guild_id.as_deref(), Some(GUILD_ID));
    assert_eq!(registrations[1].guild_id, None);
    assert_eq!(
        fake.registered_commands()[0]["options"][0]["required"],
        true
    );
    let puts = fake.requests_to("PUT", "/commands");
    assert_eq!(
        puts[0].path,
        format!("/api/v10/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands")
    );
    assert_eq!(
        puts[1].path,
        format!("/api/v10/applications/{APPLICATION_ID}/commands")
    );
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bot test-bot-token")),
        "{:?}",
        fake.requests()
    );

    let user = UserId::new(DM_USER);
    let channel = user
        .create_dm_channel(&http)
        .await
        .expect("a DM channel opens");
    assert_eq!(channel.id.get(), 1_400_000_000_000_000_001);
    let again = user.create_dm_channel(&http).await.expect("it opens again");
    assert_eq!(again.id, channel.id, "the same DM channel comes back");
    let sent = channel
        .id
        .send_message(&http, CreateMessage::new().content("hello"))
        .await
        .expect("the DM is accepted");
    assert_eq!(sent.content, "hello");
    assert_eq!(fake.dms_to(&DM_USER.to_string())[0].content(), "hello");

    fake.rate_limit_next("/messages", 0.5);
    let limited = channel
        .id
        .send_message(&http, CreateMessage::new().content("again"))
        .await
        .expect_err("the injected 429");
    assert_eq!(status_and_code(limited).0, 429);
    let limited = fake.requests().pop().expect("the 429 is recorded");
    assert_eq!(limited.status, 429);

    fake.close_dms(&MEMBER.to_string());
    let closed = UserId::new(MEMBER)
        .create_dm_channel(&http)
        .await
        .expect("opening a DM channel works even when DMs are closed");
    let refused = closed
        .id
        .send_message(&http, CreateMessage::new().content("hi"))
        .await
        .expect_err("closed DMs");
    assert_eq!(status_and_code(refused), (403, 50007));
    let unknown = ChannelId::new(1_234)
        .send_message(&http, CreateMessage::new().content("hi"))
        .await
        .expect_err("an unknown channel");
    assert_eq!(status_and_code(unknown), (404, 10003));

    let token = dc::token_of(77);
    let deferred = serenity::all::CreateInteractionResponse::Defer(
        serenity::all::CreateInteractionResponseMessage::new().ephemeral(true),
    );
    http.create_interaction_response(InteractionId::new(77), &token, &deferred, vec![])
        .await
        .expect("the callback is accepted");
    let twice = http
        .create_interaction_response(InteractionId::new(77), &token, &deferred, vec![])
        .await
        .expect_err("a second callback");
    assert_eq!(status_and_code(twice), (400, 40060));
    let edited = http
        .edit_original_interaction_response(&token, &json!({"content": "Saved"}), vec![])
        .await
        .expect("the original is edited");
    assert_eq!(edited.content, "Saved");
    http.create_followup_message(&token, &json!({"content": "More", "flags": 64}), vec![])
        .await
        .expect("a follow-up is accepted");
    let followups = fake.followups();
    assert_eq!(followups.len(), 2);
    assert_eq!(followups[0].kind, FollowupKind::EditOriginal);
    assert_eq!(
        (followups[0].token.as_str(), followups[0].content()),
        (token.as_str(), "Saved")
    );
    assert_eq!(followups[1].kind, FollowupKind::Create);

    let stranger = HttpBuilder::new("wrong-token")
        .proxy(fake.origin())
        .ratelimiter_disabled(true)
        .build();
    let denied = user
        .create_dm_channel(&stranger)
        .await
        .expect_err("a wrong token");
    assert_eq!(status_and_code(denied).0, 401);
}

// --- the endpoint -----------------------------------------------------------------------------

#[tokio::test]
async fn a_ping_gets_a_pong() {
    let d = start().await;
    let answer = d.answer(&dc::ping()).await;
    assert_eq!(kind(&answer), 1, "{answer}");
    // Discord also insists on a JSON content type when it saves the endpoint URL.
    let body = dc::ping().to_string().into_bytes();
    let (signature, timestamp) = d.signer.sign(&body);
    let response = reqwest::Client::new()
        .post(d.app.url("/discord/interactions"))
        .header("Content-Type", "application/json")
        .header("X-Signature-Ed25519", signature)
        .header("X-Signature-Timestamp", timestamp)
        .body(body)
        .send()
        .await
        .expect("the endpoint answers");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type:?}"
    );
    assert!(d.fake.requests().is_empty(), "a PING calls nothing");
}

#[tokio::test]
async fn a_missing_or_bad_signature_is_refused_with_401_and_changes_nothing() {
    let d = start().await;
    let payload = dc::command_in_dm(
        next_id(),
        DM_USER,
        "spent",
        dc::options(&[("amount", "12.50"), ("note", "lunch")]),
    );
    let body = payload.to_string().into_bytes();
    let (signature, timestamp) = d.signer.sign(&body);

    let (status, _) = d.post(&body, None, None).await;
    assert_eq!(status, 401, "no signature headers");
    let (status, _) = d.post(&body, None, Some(&timestamp)).await;
    assert_eq!(status, 401, "no signature");
    let (status, _) = d.post(&body, Some(&signature), None).await;
    assert_eq!(status, 401, "no timestamp");
    let (status, _) = d.post(&body, Some("zz-not-hex"), Some(&timestamp)).await;
    assert_eq!(status, 401, "a signature that is not hex");
    let mut flipped = signature.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).expect("hex is ASCII");
    let (status, _) = d.post(&body, Some(&flipped), Some(&timestamp)).await;
    assert_eq!(status, 401, "a wrong signature");
    let other_time = (timestamp.parse::<u64>().expect("seconds") + 1).to_string();
    let (status, _) = d.post(&body, Some(&signature), Some(&other_time)).await;
    assert_eq!(status, 401, "the signature of another timestamp");
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let (status, _) = d.post(&tampered, Some(&signature), Some(&timestamp)).await;
    assert_eq!(status, 401, "the signature of another body");
    let foreign = ed25519_dalek::SigningKey::from_bytes(&[8u8; 32]);
    let mut signed = timestamp.as_bytes().to_vec();
    signed.extend_from_slice(&body);
    let foreign = hex::encode(ed25519_dalek::Signer::sign(&foreign, &signed).to_bytes());
    let (status, _) = d.post(&body, Some(&foreign), Some(&timestamp)).await;
    assert_eq!(status, 401, "someone else's key");
    let ping = dc::ping().to_string().into_bytes();
    let (status, _) = d.post(&ping, Some(&signature), Some(&timestamp)).await;
    assert_eq!(status, 401, "a PING with another request's signature");

    // Properly signed, but replayed a year later, or with a timestamp that is no time.
    for when in ["1700000000", "not-a-number"] {
        let old = d.signer.sign_at(when, &body);
        let (status, _) = d.post(&body, Some(&old), Some(when)).await;
        assert_eq!(status, 401, "a signed request stamped {when}");
    }

    assert_eq!(entry_count(&d.app).await, 0, "nothing was recorded");
    assert!(d.fake.requests().is_empty(), "{:?}", d.fake.requests());
    assert_eq!(
        unreachable(&d.app, DM_USER).await,
        None,
        "no identity was made"
    );
    // The same request, properly signed, works: the refusals were about the signatures.
    let (status, answer) = d.post(&body, Some(&signature), Some(&timestamp)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(entry_count(&d.app).await, 1);
}

// --- the commands -----------------------------------------------------------------------------

#[tokio::test]
async fn spent_in_a_guild_records_the_expense_and_answers_only_the_member_with_an_undo_button() {
    let d = start().await;
    let answer = d
        .in_guild(MEMBER, "spent", &[("amount", "12.50"), ("note", "lunch")])
        .await;
    assert!(
        message(&answer).contains("Recorded 12.50 USD · food · lunch"),
        "{answer}"
    );
    assert_eq!(flags(&answer) & 64, 64, "ephemeral in a guild: {answer}");
    assert_eq!(flags(&answer) & 4, 4, "links never unfurl: {answer}");
    assert!(first_button(&answer).starts_with("undo:"), "{answer}");
    assert_eq!(entry_count(&d.app).await, 1);
}

#[tokio::test]
async fn spent_in_a_dm_is_an_ordinary_message() {
    let d = start().await;
    let answer = d
        .in_dm(DM_USER, "spent", &[("amount", "12.50"), ("note", "lunch")])
        .await;
    assert!(
        message(&answer).contains("Recorded 12.50 USD · food · lunch"),
        "{answer}"
    );
    assert_eq!(flags(&answer) & 64, 0, "not ephemeral in a DM: {answer}");
    assert!(first_button(&answer).starts_with("undo:"), "{answer}");
}

#[tokio::test]
async fn spent_takes_an_explicit_category_currency_and_date() {
    let d = start().await;
    let answer = d
        .in_guild(
            MEMBER,
            "spent",
            &[
                ("amount", "12.50"),
                ("note", "lunch"),
                ("category", "food"),
                ("currency", "EUR"),
                ("date", "yesterday"),
            ],
        )
        .await;
    assert!(
        message(&answer).contains("Recorded 12.50 EUR · food · lunch"),
        "{answer}"
    );
    assert_eq!(entry_count(&d.app).await, 1);
}

#[tokio::test]
async fn expense_reads_free_text_through_the_same_parser() {
    let d = start().await;
    let answer = d
        .in_dm(
            DM_USER,
            "expense",
            &[("text", "uber 14 yesterday, coffee 3")],
        )
        .await;
    let text = message(&answer);
    assert!(text.contains("uber") && text.contains("coffee"), "{answer}");
    assert_eq!(entry_count(&d.app).await, 2);
}

/// A command, its options and a phrase its answer contains.
type Case = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

#[tokio::test]
async fn every_other_command_answers_with_the_cores_reply() {
    let d = start().await;
    let cases: &[Case] = &[
        (
            "spent",
            &[("amount", "12.50"), ("note", "lunch")],
            "Recorded 12.50 USD",
        ),
        (
            "income",
            &[("amount", "2000"), ("note", "salary")],
            "Income recorded",
        ),
        ("summary", &[("period", "this month")], "spent"),
        ("list", &[], "salary"),
        ("undo", &[], "Removed"),
        (
            "limit",
            &[("amount", "500"), ("period", "monthly")],
            "monthly limit is now 500.00",
        ),
        ("currency", &[("code", "EUR")], "Your currency is now EUR"),
        (
            "timezone",
            &[("zone", "Europe/Madrid")],
            "time zone is now Europe/Madrid",
        ),
        ("help", &[], "spent"),
    ];
    for (name, options, phrase) in cases {
        let answer = d.in_dm(DM_USER, name, options).await;
        assert!(
            message(&answer).contains(phrase),
            "/{name} {options:?} answers with {phrase:?}: {answer}"
        );
    }
    assert_eq!(entry_count(&d.app).await, 1, "the income was undone");
}

// --- autocomplete -----------------------------------------------------------------------------

#[tokio::test]
async fn notices_and_category_suggestions_follow_the_persons_locale() {
    let d = start().await;
    let in_spanish = |mut payload: Value| {
        payload["locale"] = json!("es-ES");
        payload
    };
    let unknown = d
        .answer(&in_spanish(dc::command_in_guild(
            next_id(),
            MEMBER,
            "fly",
            json!([]),
        )))
        .await;
    assert!(
        message(&unknown).contains("No conozco ese comando"),
        "{unknown}"
    );
    let answer = d
        .answer(&in_spanish(dc::autocomplete(
            next_id(),
            MEMBER,
            "spent",
            dc::options(&[("amount", "12")]),
            "category",
            "com",
        )))
        .await;
    // Shown in her words, sent as the category's own name.
    assert!(
        choices(&answer)
            .iter()
            .any(|(name, value)| name == "comida" && value == "food"),
        "{answer}"
    );
}

#[tokio::test]
async fn category_currency_and_period_options_offer_autocomplete() {
    let d = start().await;
    let amount = dc::options(&[("amount", "12")]);
    let answer = d
        .answer(&dc::autocomplete(
            next_id(),
            MEMBER,
            "spent",
            amount.clone(),
            "category",
            "fo",
        ))
        .await;
    let found = choices(&answer);
    assert!(found.iter().any(|(_, v)| v == "food"), "{answer}");

    let answer = d
        .answer(&dc::autocomplete(
            next_id(),
            MEMBER,
            "spent",
            amount,
            "currency",
            "eu",
        ))
        .await;
    let found = choices(&answer);
    assert!(found.iter().any(|(_, v)| v == "eur"), "{answer}");

    let answer = d
        .answer(&dc::autocomplete(
            next_id(),
            MEMBER,
            "summary",
            json!([]),
            "period",
            "last",
        ))
        .await;
    let found = choices(&answer);
    assert!(
        found
            .iter()
            .any(|(n, v)| n.contains("last month") || v.contains("last month")),
        "{answer}"
    );
    assert!(
        found.len() <= 25,
        "Discord takes at most 25 choices: {answer}"
    );
    assert_eq!(entry_count(&d.app).await, 0, "autocomplete records nothing");
}

// --- the Undo button --------------------------------------------------------------------------

#[tokio::test]
async fn the_undo_button_removes_the_expense_and_updates_the_message() {
    let d = start().await;
    let answer = d
        .in_guild(MEMBER, "spent", &[("amount", "12.50"), ("note", "lunch")])
        .await;
    let undo = first_button(&answer);
    let press = dc::component(next_id(), MEMBER, &undo, 1_500_000_000_000_000_123, true);
    let updated = d.answer(&press).await;
    assert_eq!(
        kind(&updated),
        7,
        "the message is updated in place: {updated}"
    );
    assert!(content(&updated).contains("Removed"), "{updated}");
    assert_eq!(entry_count(&d.app).await, 0);
    let summary = d.in_guild(MEMBER, "summary", &[]).await;
    assert!(message(&summary).contains("nothing recorded"), "{summary}");
}

// --- exactly once -----------------------------------------------------------------------------

#[tokio::test]
async fn the_same_interaction_delivered_twice_records_once() {
    let d = start().await;
    let options = dc::options(&[("amount", "12.50"), ("note", "lunch")]);
    let in_guild = dc::command_in_guild(next_id(), MEMBER, "spent", options.clone());
    let in_dm = dc::command_in_dm(next_id(), DM_USER, "spent", options);
    for (n, payload) in [in_guild, in_dm].iter().enumerate() {
        let first = d.answer(payload).await;
        assert!(message(&first).contains("Recorded 12.50 USD"), "{first}");
        let second = d.answer(payload).await;
        assert_eq!(
            kind(&second),
            4,
            "a message, not a second recording: {second}"
        );
        // Ephemeral even in a DM, where the first answer was an ordinary message.
        assert_eq!(flags(&second) & 64, 64, "ephemeral: {second}");
        let count = i64::try_from(n + 1).expect("a small count");
        assert_eq!(entry_count(&d.app).await, count, "recorded once: {payload}");
    }
}

// --- identities and linking -------------------------------------------------------------------

#[tokio::test]
async fn a_dm_user_and_a_guild_member_keep_separate_wallets_until_they_link() {
    let d = start().await;
    let mine = d
        .in_dm(DM_USER, "spent", &[("amount", "10"), ("note", "coffee")])
        .await;
    assert!(message(&mine).contains("Recorded 10.00 USD"), "{mine}");
    let theirs = d
        .in_guild(MEMBER, "spent", &[("amount", "20"), ("note", "taxi")])
        .await;
    assert!(message(&theirs).contains("Recorded 20.00 USD"), "{theirs}");

    let mine = d.in_dm(DM_USER, "summary", &[]).await;
    let text = message(&mine);
    assert!(text.contains("10.00") && !text.contains("20.00"), "{mine}");
    let theirs = d.in_guild(MEMBER, "summary", &[]).await;
    let text = message(&theirs);
    assert!(
        text.contains("20.00") && !text.contains("10.00"),
        "{theirs}"
    );

    let offer = d.in_dm(DM_USER, "link", &[]).await;
    let code = link_code(message(&offer));
    let joined = d.in_guild(MEMBER, "link", &[("code", &code)]).await;
    assert_eq!(kind(&joined), 4, "{joined}");

    for answer in [
        d.in_dm(DM_USER, "summary", &[]).await,
        d.in_guild(MEMBER, "summary", &[]).await,
    ] {
        let text = message(&answer);
        assert!(
            text.contains("30.00"),
            "one wallet with both expenses: {answer}"
        );
    }
}

// --- register-commands ------------------------------------------------------------------------

/// Runs `spendbot discord register-commands args…` against `fake`.
async fn register(fake: &FakeDiscord, args: &[&str]) -> crate::helpers::Output {
    let signer = Signer::new();
    let env = discord_env(fake, &signer);
    let mut argv = vec!["discord".to_owned(), "register-commands".to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    tokio::task::spawn_blocking(move || {
        let dir = workdir();
        let url = crate::helpers::sqlite_url(dir.path());
        let mut pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        pairs.push(("DATABASE_URL", &url));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        spendbot(dir.path(), &argv, &pairs, b"")
    })
    .await
    .expect("the binary runs")
}

fn option_named<'a>(command: &'a Value, name: &str) -> &'a Value {
    command["options"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("option {name} in {command}"))
}

#[tokio::test]
async fn register_commands_overwrites_the_guilds_command_set_from_the_catalogue() {
    let fake = FakeDiscord::start().await;
    let out = register(&fake, &["--guild", GUILD_ID]).await;
    assert!(out.status.success(), "{out:?}");
    let puts = fake.requests_to("PUT", "/commands");
    assert_eq!(puts.len(), 1, "{:?}", fake.requests());
    assert_eq!(
        puts[0].path,
        format!("/api/v10/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands")
    );
    assert_eq!(puts[0].authorization.as_deref(), Some("Bot test-bot-token"));
    assert_eq!(puts[0].status, 200);
    let registration = fake.registrations().pop().expect("a registration");
    assert_eq!(registration.guild_id.as_deref(), Some(GUILD_ID));
    let names = registration.names();
    for name in COMMANDS {
        assert!(names.iter().any(|n| n == name), "/{name} in {names:?}");
        let command = registration.command(name).expect("the command");
        let description = command["description"].as_str().unwrap_or("");
        assert!(
            !description.is_empty(),
            "/{name} has a description: {command}"
        );
        assert!(out.stdout.contains(name), "stdout lists {name}: {out:?}");
    }
    let spent = registration.command("spent").expect("/spent");
    assert_eq!(option_named(spent, "amount")["required"], true, "{spent}");
    assert_eq!(
        option_named(spent, "amount")["type"],
        3,
        "amounts are strings: {spent}"
    );
    option_named(spent, "note");
    option_named(spent, "date");
    assert_eq!(
        option_named(spent, "category")["autocomplete"],
        true,
        "{spent}"
    );
    assert_eq!(
        option_named(spent, "currency")["autocomplete"],
        true,
        "{spent}"
    );
    assert!(
        !out.stdout.contains(BOT_TOKEN) && !out.stderr.contains(BOT_TOKEN),
        "the token is never printed: {out:?}"
    );
}

#[tokio::test]
async fn register_commands_without_a_guild_overwrites_the_global_command_set() {
    let fake = FakeDiscord::start().await;
    let out = register(&fake, &[]).await;
    assert!(out.status.success(), "{out:?}");
    let puts = fake.requests_to("PUT", "/commands");
    assert_eq!(puts.len(), 1, "{:?}", fake.requests());
    assert_eq!(
        puts[0].path,
        format!("/api/v10/applications/{APPLICATION_ID}/commands")
    );
    let names = fake.registrations().pop().expect("a registration").names();
    for name in COMMANDS {
        assert!(names.iter().any(|n| n == name), "/{name} in {names:?}");
    }
}

// --- direct messages --------------------------------------------------------------------------

#[tokio::test]
async fn a_dm_opens_the_channel_and_posts_the_message() {
    let d = start().await;
    d.discord()
        .send_dm(DM_USER, "You have spent 80 % of your monthly limit.")
        .await
        .expect("the DM is sent");
    let user = DM_USER.to_string();
    let opened = d.fake.requests_to("POST", "/users/@me/channels");
    assert_eq!(opened.len(), 1, "{:?}", d.fake.requests());
    assert_eq!(opened[0].body["recipient_id"].as_str(), Some(user.as_str()));
    assert_eq!(
        opened[0].authorization.as_deref(),
        Some("Bot test-bot-token")
    );
    let dms = d.fake.dms_to(&user);
    assert_eq!(dms.len(), 1, "{:?}", d.fake.requests());
    assert_eq!(
        dms[0].content(),
        "You have spent 80 % of your monthly limit."
    );
}

#[tokio::test]
async fn a_rate_limited_dm_waits_and_still_arrives() {
    let d = start().await;
    d.fake.rate_limit_next("/messages", 0.5);
    let result = d.discord().send_dm(DM_USER, "Heads up").await;
    assert!(result.is_ok(), "{result:?}; {:?}", d.fake.requests());
    let user = DM_USER.to_string();
    let arrived = d.fake.wait_for(WAIT, |f| !f.dms_to(&user).is_empty()).await;
    assert!(arrived, "the DM arrives: {:?}", d.fake.requests());
    let attempts = d.fake.dm_attempts_to(&user);
    assert_eq!(attempts.len(), 2, "one 429, one success: {attempts:?}");
    assert_eq!((attempts[0].status, attempts[1].status), (429, 200));
    let waited = attempts[1].at.duration_since(attempts[0].at);
    assert!(waited >= Duration::from_millis(450), "waited {waited:?}");
}

#[tokio::test]
async fn a_user_with_closed_dms_is_marked_unreachable_without_retrying() {
    let d = start().await;
    let hello = d.in_dm(DM_USER, "help", &[]).await;
    assert_eq!(kind(&hello), 4, "{hello}");
    assert_eq!(unreachable(&d.app, DM_USER).await, Some(false));
    d.fake.close_dms(&DM_USER.to_string());
    let started = Instant::now();
    let result = d.discord().send_dm(DM_USER, "Heads up").await;
    assert!(result.is_err(), "a closed DM is an error: {result:?}");
    assert!(started.elapsed() < WAIT);
    assert_eq!(unreachable(&d.app, DM_USER).await, Some(true));
    let attempts = d.fake.dm_attempts_to(&DM_USER.to_string());
    assert_eq!(attempts.len(), 1, "no retry loop: {attempts:?}");
    assert_eq!(attempts[0].status, 403);
    assert!(d.fake.dm_messages().is_empty());
}

// --- deferred answers -------------------------------------------------------------------------

#[tokio::test]
async fn slow_work_is_deferred_and_finished_with_a_follow_up() {
    let d = start().await;
    let recorded = d
        .in_guild(MEMBER, "spent", &[("amount", "12.50"), ("note", "lunch")])
        .await;
    assert_eq!(kind(&recorded), 4, "{recorded}");
    d.discord().set_defer_after(Duration::ZERO);
    let id = next_id();
    let answer = d
        .answer(&dc::command_in_guild(id, MEMBER, "summary", json!([])))
        .await;
    assert_eq!(kind(&answer), 5, "deferred: {answer}");
    assert_eq!(flags(&answer) & 64, 64, "ephemeral in a guild: {answer}");
    let token = dc::token_of(id);
    let finished = d
        .fake
        .wait_for(WAIT, |f| f.followups().iter().any(|x| x.token == token))
        .await;
    assert!(finished, "a follow-up arrives: {:?}", d.fake.requests());
    let followup = d
        .fake
        .followups()
        .into_iter()
        .find(|x| x.token == token)
        .expect("the follow-up");
    assert_eq!(followup.kind, FollowupKind::EditOriginal, "{followup:?}");
    assert!(followup.content().contains("12.50"), "{followup:?}");
    let edits = d.fake.requests_to("PATCH", "/messages/@original");
    assert_eq!(
        edits[0].path,
        format!("/api/v10/webhooks/{APPLICATION_ID}/{token}/messages/@original")
    );
}

#[tokio::test]
async fn a_slow_button_press_is_acknowledged_and_the_message_updated_after() {
    let d = start().await;
    let answer = d
        .in_guild(MEMBER, "spent", &[("amount", "12.50"), ("note", "lunch")])
        .await;
    let undo = first_button(&answer);
    let second = d
        .in_guild(MEMBER, "spent", &[("amount", "7"), ("note", "tea")])
        .await;
    let second_undo = first_button(&second);
    d.discord().set_defer_after(Duration::ZERO);
    let id = next_id();
    let press = dc::component(id, MEMBER, &undo, 1_500_000_000_000_000_123, true);
    let acknowledged = d.answer(&press).await;
    assert_eq!(
        kind(&acknowledged),
        6,
        "DEFERRED_UPDATE_MESSAGE: {acknowledged}"
    );
    let token = dc::token_of(id);
    let finished = d
        .fake
        .wait_for(WAIT, |f| f.followups().iter().any(|x| x.token == token))
        .await;
    assert!(finished, "the message is updated: {:?}", d.fake.requests());
    let followup = d
        .fake
        .followups()
        .into_iter()
        .find(|x| x.token == token)
        .expect("the follow-up");
    assert_eq!(followup.kind, FollowupKind::EditOriginal, "{followup:?}");
    assert!(followup.content().contains("Removed"), "{followup:?}");
    assert_eq!(entry_count(&d.app).await, 1);

    // Someone else's press, also slow: they alone hear about it; the message stays.
    let id = next_id();
    let press = dc::component(
        id,
        OTHER_MEMBER,
        &second_undo,
        1_500_000_000_000_000_124,
        true,
    );
    assert_eq!(kind(&d.answer(&press).await), 6);
    let token = dc::token_of(id);
    let finished = d
        .fake
        .wait_for(WAIT, |f| f.followups().iter().any(|x| x.token == token))
        .await;
    assert!(finished, "the presser hears back: {:?}", d.fake.requests());
    let followup = d
        .fake
        .followups()
        .into_iter()
        .find(|x| x.token == token)
        .expect("the follow-up");
    assert_eq!(
        followup.kind,
        FollowupKind::Create,
        "a new message: {followup:?}"
    );
    assert_eq!(entry_count(&d.app).await, 1, "the expense is still there");
}
