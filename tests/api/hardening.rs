//! What an attacker or an unlucky operator tries: replicas migrating at once, hostile and huge
//! messages, guessing codes. Each story is a regression test of a defect that was found.

use crate::helpers::{spendbot, workdir};

crate::each_engine!(two_replicas_migrating_a_fresh_database_at_once_both_succeed);

async fn two_replicas_migrating_a_fresh_database_at_once_both_succeed(url: String) {
    // The first round migrates a fresh database; the later ones find everything applied.
    for round in 0..3 {
        let dir = workdir();
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (path, url) = (dir.path().to_owned(), url.clone());
                std::thread::spawn(move || {
                    spendbot(&path, &["migrate"], &[("DATABASE_URL", &url)], b"")
                })
            })
            .collect();
        for run in runs {
            let out = run.join().expect("the migrator ran");
            assert!(
                out.status.success(),
                "round {round}: a concurrent migrator failed: {}",
                out.stderr
            );
        }
    }
    let dir = workdir();
    let out = spendbot(
        dir.path(),
        &["chat"],
        &[("DATABASE_URL", &url)],
        b"lunch 12\n",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("12.00"), "{}", out.stdout);
}

#[test]
fn a_message_too_long_is_refused_in_words_and_records_nothing() {
    let dir = workdir();
    let url = crate::helpers::sqlite_url(dir.path());
    let mut input = format!("lunch {} 12\n", "very ".repeat(2_000)).into_bytes();
    input.extend_from_slice(b"how much this month?\n");
    let out = spendbot(dir.path(), &["chat"], &[("DATABASE_URL", &url)], &input);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stdout.contains("too long") && out.stdout.contains("4096"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("12.00"),
        "nothing recorded: {}",
        out.stdout
    );
}

#[test]
fn numbers_too_large_for_any_amount_are_answered_not_fatal() {
    let dir = workdir();
    let url = crate::helpers::sqlite_url(dir.path());
    // Twenty nines still fit an exact decimal; what they are multiplied by does not.
    let nines = "9".repeat(20);
    let input = format!(
        "5 {}\n9999999999 lakh lakh lakh\n{nines} x {nines}\n{nines}bn\n{} x 2\nlunch 12\n",
        "hundred ".repeat(40),
        "9".repeat(40),
    );
    let out = spendbot(
        dir.path(),
        &["chat"],
        &[("DATABASE_URL", &url)],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stdout.contains("12.00"),
        "the chat lives on: {}",
        out.stdout
    );
    assert!(
        out.stdout.matches("too large").count() >= 4,
        "huge amounts are refused in words: {}",
        out.stdout
    );
}

/// A TCP relay to the database that can freeze: while frozen it holds every connection open
/// and forwards nothing, as a stopped (SIGSTOP) server or a network dropping packets would.
struct FreezingRelay {
    address: String,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FreezingRelay {
    async fn start(upstream: String) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let address = listener.local_addr().expect("an address").to_string();
        let frozen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = frozen.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = tokio::net::TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                for (mut from, mut to) in [(ri, wo), (ro, wi)].map(|(r, w)| {
                    (
                        Box::new(r) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
                        w,
                    )
                }) {
                    let flag = flag.clone();
                    tokio::spawn(async move {
                        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let Ok(n) = from.read(&mut buf).await else {
                                return;
                            };
                            while flag.load(Ordering::SeqCst) {
                                // Frozen: what was read is held, nothing goes through.
                                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            }
                            if n == 0 || to.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            }
        });
        Self { address, frozen }
    }

    fn freeze(&self, on: bool) {
        self.frozen.store(on, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_is_answered_as_unavailable_and_recovered_from() {
    use crate::test_db::{Engine, TestDb};
    use spendbot::bot::{Incoming, ReplyStatus};
    use spendbot::domain::{ChatIdentity, Platform};
    let story = "a_frozen_database_is_answered_as_unavailable_and_recovered_from";
    let Some(db) = TestDb::new(Engine::Postgres, story).await else {
        return;
    };
    let url = url::Url::parse(&db.url).expect("a URL");
    let upstream = format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432)
    );
    let relay = FreezingRelay::start(upstream).await;
    let mut through = url.clone();
    let (host, port) = relay.address.split_once(':').expect("host:port");
    through.set_host(Some(host)).expect("a host");
    through.set_port(port.parse().ok()).expect("a port");
    let app = crate::helpers::spawn_app_at(&[], Some(through.as_str())).await;
    let alice = ChatIdentity::new(Platform::Telegram, "4242").expect("an identity");
    let said = |text: &str| {
        let bot = app.state.bot.clone();
        let incoming = Incoming::text(alice.clone(), text);
        async move {
            // A guard against hanging forever, far above the store's own deadline.
            tokio::time::timeout(std::time::Duration::from_secs(90), bot.handle(incoming))
                .await
                .expect("the bot answers while the database is frozen")
        }
    };
    assert_eq!(said("lunch 12").await.status, ReplyStatus::Done);

    relay.freeze(true);
    let frozen = said("taxi 8").await;
    assert_eq!(frozen.status, ReplyStatus::RetryLater, "{}", frozen.text);
    let (status, _, _) = app.get("/readyz").await;
    assert_eq!(status, 503, "not ready while the database does not answer");

    relay.freeze(false);
    let mut recovered = said("taxi 8").await;
    for _ in 0..20 {
        if recovered.status == ReplyStatus::Done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        recovered = said("taxi 8").await;
    }
    assert_eq!(recovered.status, ReplyStatus::Done, "{}", recovered.text);
    let total = said("how much this month?").await;
    assert!(
        total.text.contains("20.00"),
        "both recorded once: {}",
        total.text
    );
    drop(db);
}

async fn boom() -> &'static str {
    panic!("a bug in one handler")
}

#[tokio::test]
async fn a_request_that_panics_is_answered_500_and_the_server_goes_on() {
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/boom", get(boom))
        .route("/fine", get(|| async { "fine" }))
        .layer(axum::middleware::from_fn(spendbot::startup::contain_panics));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let boom = client
            .get(format!("http://{address}/boom"))
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(boom.status(), 500);
        let fine = client
            .get(format!("http://{address}/fine"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(fine.status(), 200);
    }
}

#[tokio::test]
async fn a_background_worker_that_dies_makes_the_service_not_ready() {
    let app = crate::helpers::spawn_app().await;
    let (status, _, _) = app.get("/readyz").await;
    assert_eq!(status, 200);
    let tracker = tokio_util::task::TaskTracker::new();
    let stop = tokio_util::sync::CancellationToken::new();
    app.state
        .workers
        .spawn(&tracker, &stop, "test worker", async {
            panic!("a bug in a worker")
        });
    tracker.close();
    tracker.wait().await;
    let (status, body, _) = app.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("test worker"), "{body}");
    let (status, _, _) = app.get("/healthz").await;
    assert_eq!(status, 200, "alive, but not ready");
    // A worker that ends because the service stops is no failure.
    let calm = spendbot::startup::WorkerHealth::default();
    let calm = std::sync::Arc::new(calm);
    let tracker = tokio_util::task::TaskTracker::new();
    stop.cancel();
    calm.spawn(&tracker, &stop, "stopping worker", async {});
    tracker.close();
    tracker.wait().await;
    assert!(calm.stopped().is_empty());
}

#[test]
fn a_delete_that_names_no_entry_asks_which_and_deletes_nothing() {
    let dir = workdir();
    let url = crate::helpers::sqlite_url(dir.path());
    let out = spendbot(
        dir.path(),
        &["chat"],
        &[("DATABASE_URL", &url)],
        b"lunch 12\ndelete 50%\ndelete %\nhow much this month?\n",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.stdout.matches("Which one?").count(),
        2,
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("so far: 12.00"), "{}", out.stdout);
}

#[tokio::test]
async fn a_redelivery_after_a_lost_confirmation_repeats_it_and_a_quick_copy_stays_silent() {
    use chrono::{Duration, Utc};
    use spendbot::bot::{EventKey, IdentityHints, Incoming, IncomingKind, ReplyStatus};
    use spendbot::domain::Platform;
    let app = crate::helpers::spawn_app().await;
    let ledger = app.state.ledger.clone();
    let alice = crate::stories::who(Platform::Telegram, "5151");
    let incoming = |event: &str, message: &str, text: &str| Incoming {
        identity: alice.clone(),
        kind: IncomingKind::Text(text.to_owned()),
        at: Utc::now(),
        event: Some(EventKey(event.to_owned())),
        hints: IdentityHints::default(),
        message: Some(message.to_owned()),
    };

    // Recorded a minute ago, and the process stopped before the confirmation went out: the
    // update comes again.
    let session = crate::stories::session(&ledger, Platform::Telegram, "5151").await;
    let entry = spendbot::domain::NewEntry {
        kind: spendbot::domain::EntryKind::Expense,
        money: spendbot::domain::Money::new(
            rust_decimal::Decimal::new(1200, 2),
            spendbot::domain::Currency::USD,
        )
        .expect("an amount"),
        category: spendbot::domain::Category::parse("food").expect("food"),
        note: spendbot::domain::Note::new("lunch"),
        occurred_on: Utc::now().date_naive(),
    };
    let source = spendbot::ledger::Source {
        event: Some(EventKey("tg:1:900".into())),
        message: Some("tg:5151:77".into()),
        answers_pending: false,
    };
    let a_minute_ago = Utc::now() - Duration::minutes(1);
    ledger
        .record(
            &session,
            &source,
            &[entry],
            a_minute_ago.date_naive(),
            a_minute_ago,
        )
        .await
        .expect("recorded before");
    let again = app
        .state
        .bot
        .handle(incoming("tg:1:900", "tg:5151:77", "lunch 12"))
        .await;
    assert_eq!(again.status, ReplyStatus::Done, "{}", again.text);
    assert!(again.text.contains("12.00"), "{}", again.text);
    assert!(!again.buttons.is_empty(), "with its Undo button");

    // A copy arriving right after the first: the first one's confirmation answers it.
    let first = app
        .state
        .bot
        .handle(incoming("tg:1:901", "tg:5151:78", "taxi 8"))
        .await;
    assert_eq!(first.status, ReplyStatus::Done);
    let copy = app
        .state
        .bot
        .handle(incoming("tg:1:901", "tg:5151:78", "taxi 8"))
        .await;
    assert_eq!(copy.status, ReplyStatus::Duplicate, "{}", copy.text);
    let total = app
        .state
        .bot
        .handle(spendbot::bot::Incoming::text(
            alice.clone(),
            "how much this month?",
        ))
        .await;
    assert!(
        total.text.contains("20.00"),
        "each recorded once: {}",
        total.text
    );
}
