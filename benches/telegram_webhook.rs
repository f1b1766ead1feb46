//! Telegram webhook throughput: the real service (through `spendbot::startup`, webhook mode,
//! over a temporary SQLite file, then a fresh PostgreSQL database when `TEST_POSTGRES_URL` is
//! set) receives distinct "spent N on lunch" updates from many users, POSTed by 32 concurrent
//! senders, and replies to the project's fake Bot API server.
//!
//! `cargo bench --bench telegram_webhook` prints updates/s, the p50/p99/max latency of the
//! webhook answer, when the last reply reached the fake, and the process's resident memory.
//! Targets (issue 3): at least 2,000 updates/s, p99 under 50 ms, under 100 MiB resident.
//! The process also holds the fake server and the 32 senders, so the memory figure is an
//! upper bound for the service itself.

#[path = "../tests/api/fakes/telegram.rs"]
mod fake;
#[path = "../tests/api/fakes/server.rs"]
mod server;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use spendbot::settings::Settings;
use spendbot::startup;
use tokio::sync::oneshot;

const TOKEN: &str = "123456:BENCH-token";
const SECRET: &str = "s3cr3t_TOKEN-1";
const UPDATES: usize = 20_000;
const WARM_UP: usize = 200;
const SENDERS: usize = 32;
const USERS: i64 = 2_000;
const FIRST_USER: i64 = 500_000_000;
const FIRST_UPDATE: i64 = 300_000_000;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
}

fn update(i: usize) -> serde_json::Value {
    let n = i64::try_from(i).unwrap_or(i64::MAX);
    fake::private_text(
        FIRST_UPDATE + n,
        FIRST_USER + n % USERS,
        &format!("spent {} on lunch", 1 + n % 40),
    )
}

/// Posts updates `from..to` from `SENDERS` concurrent senders; returns each one's latency.
async fn blast(
    client: &reqwest::Client,
    url: &str,
    from: usize,
    to: usize,
) -> Result<Vec<Duration>, Error> {
    let next = Arc::new(AtomicUsize::new(from));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        let client = client.clone();
        let url = url.to_owned();
        let next = next.clone();
        senders.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= to {
                    return Ok::<_, Error>(latencies);
                }
                let body = update(i);
                let started = Instant::now();
                let response = client
                    .post(&url)
                    .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
                    .json(&body)
                    .send()
                    .await?;
                let status = response.status();
                let _ = response.bytes().await?;
                latencies.push(started.elapsed());
                if !status.is_success() {
                    return Err(format!("update {i} answered {status}").into());
                }
            }
        });
    }
    let mut all = Vec::with_capacity(to - from);
    while let Some(done) = senders.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let last = sorted.len() - 1;
    // Rounding a fraction of a small length to an index; exact enough for a percentile.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let at = ((last as f64) * p).round() as usize;
    sorted[at.min(last)]
}

fn status_line(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The bench on SQLite, then on a fresh PostgreSQL database when `TEST_POSTGRES_URL` names a
/// server where the user may create databases.
async fn run() -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    run_on("SQLite", &sqlite).await?;
    let Some(admin) = std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    else {
        println!("telegram webhook, PostgreSQL: skipped (set TEST_POSTGRES_URL)");
        return Ok(());
    };
    let name = format!("spendbot_bench_{}", std::process::id());
    let admin_execute = |sql: String| {
        let admin = admin.clone();
        async move {
            use sqlx::Connection as _;
            let mut c = sqlx::PgConnection::connect(&admin).await?;
            sqlx::raw_sql(&sql).execute(&mut c).await?;
            c.close().await?;
            Ok::<_, Error>(())
        }
    };
    admin_execute(format!("CREATE DATABASE \"{name}\"")).await?;
    let mut url = url::Url::parse(&admin)?;
    url.set_path(&format!("/{name}"));
    let ran = run_on("PostgreSQL", url.as_str()).await;
    admin_execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
    ran
}

async fn run_on(engine: &str, database: &str) -> Result<(), Error> {
    let telegram = fake::FakeTelegram::start(TOKEN).await;
    telegram.forget_bodies();
    let api = telegram.url();
    let env: HashMap<String, String> = [
        ("DATABASE_URL", database),
        ("SPENDBOT_LOG", "warn"),
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_URL", api.as_str()),
        ("TELEGRAM_WEBHOOK_SECRET", SECRET),
        ("SPENDBOT_PUBLIC_URL", "https://bot.example.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let state = startup::build_state(Settings::from_env(&env)?).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/telegram/webhook", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(startup::serve(state, listener, async move {
        let _ = stopped.await;
    }));
    let ready = telegram
        .wait_for(Duration::from_secs(10), |t| !t.webhook().url.is_empty())
        .await;
    if !ready {
        return Err("the service did not set its webhook within 10 s".into());
    }

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(SENDERS)
        .tcp_nodelay(true)
        .build()?;
    blast(&client, &url, 0, WARM_UP).await?;
    let replied = telegram
        .wait_for(Duration::from_secs(30), |t| t.delivered_count() >= WARM_UP)
        .await;
    if !replied {
        return Err(format!(
            "warm-up: {} of {WARM_UP} replies reached the fake",
            telegram.delivered_count()
        )
        .into());
    }

    let started = Instant::now();
    let mut latencies = blast(&client, &url, WARM_UP, WARM_UP + UPDATES).await?;
    let acknowledged = started.elapsed();
    let all_replied = telegram
        .wait_for(Duration::from_secs(120), |t| {
            t.delivered_count() >= WARM_UP + UPDATES
        })
        .await;
    let replied_after = started.elapsed();
    latencies.sort_unstable();

    let rate = |elapsed: Duration| {
        f64::from(u32::try_from(UPDATES).unwrap_or(u32::MAX)) / elapsed.as_secs_f64()
    };
    println!("telegram webhook, {engine}, {SENDERS} senders, {UPDATES} updates from {USERS} users");
    println!(
        "  acknowledged: {:.0} updates/s ({:.2} s)",
        rate(acknowledged),
        acknowledged.as_secs_f64()
    );
    println!(
        "  latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&latencies, 1.0).as_secs_f64() * 1e3,
    );
    if all_replied {
        println!(
            "  all replies at the fake: {:.0} updates/s ({:.2} s)",
            rate(replied_after),
            replied_after.as_secs_f64()
        );
    } else {
        println!(
            "  replies at the fake after {:.0} s: only {} of {}",
            replied_after.as_secs_f64(),
            telegram.delivered_count().saturating_sub(WARM_UP),
            UPDATES
        );
    }
    println!(
        "  resident memory: VmRSS {} (peak VmHWM {}), whole process incl. fake and senders",
        status_line("VmRSS:"),
        status_line("VmHWM:")
    );

    let _ = stop.send(());
    server.await??;
    Ok(())
}
