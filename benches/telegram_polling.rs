//! CPU and context switches per Telegram update in long polling, measured on the real binary:
//! `spendbot serve` (this build) over a temporary SQLite file polls the project's fake Bot API,
//! which holds "spent N on lunch" updates from many users; the bench reads the process's user
//! and system time and its threads' context switches from /proc before and after.
//!
//! `cargo bench --bench telegram_polling` prints CPU µs and context switches per update, the
//! reply latency of one update at a time (update queued to reply at the fake, the fake's own
//! time included, so an upper bound), and the resident memory idle and after the load.
//! Targets (issue 12): ≤ 300 µs CPU and ≤ 8 context switches per update, p50 ≤ 1 ms, idle
//! ≤ 16 MiB and ≤ 64 MiB under load. Linux only (it reads /proc).

#[path = "../tests/api/fakes/telegram.rs"]
mod fake;
#[path = "../tests/api/fakes/server.rs"]
mod server;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "123456:BENCH-token";
const UPDATES: usize = 3_000;
const WARM_UP: usize = 300;
const LATENCY_SAMPLES: usize = 200;
const USERS: i64 = 500;
const FIRST_USER: i64 = 600_000_000;
const FIRST_UPDATE: i64 = 400_000_000;

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

/// User plus system time of the process, in microseconds.
fn cpu_micros(pid: u32) -> Result<u64, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The fields after the command name (which may hold spaces) start at `) `.
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let hz = 100; // USER_HZ on Linux
    Ok((ticks(11) + ticks(12)) * 1_000_000 / hz)
}

/// Context switches of all the process's threads, voluntary and not.
fn context_switches(pid: u32) -> Result<u64, Error> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let status = std::fs::read_to_string(task?.path().join("status"))?;
        for line in status.lines() {
            if let Some(n) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                total += n.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    Ok(total)
}

/// A line of /proc/<pid>/status in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(pid: u32, field: &str) -> Result<u64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0))
}

async fn wait_for_replies(fake: &fake::FakeTelegram, count: usize) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(300);
    while fake.delivered_count() < count {
        if Instant::now() > deadline {
            return Err(format!("only {} replies", fake.delivered_count()).into());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    Ok(())
}

async fn run() -> Result<(), Error> {
    let fake = fake::FakeTelegram::start(TOKEN).await;
    let dir = tempfile::tempdir()?;
    let database = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spendbot"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", &database)
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", fake.url())
        .env("SPENDBOT_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("SPENDBOT_LOG", "warn")
        .envs(std::env::var("TOKIO_WORKER_THREADS").map(|n| ("TOKIO_WORKER_THREADS", n)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.count("getUpdates") == 0 {
        if Instant::now() > deadline {
            return Err("the service never polled".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // From here the fake counts instead of keeping every request (which the bench would
    // otherwise spend its time copying).
    fake.forget_bodies();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = memory_kib(pid, "VmRSS:")?;

    for i in 0..WARM_UP {
        fake.push_update(update(i));
    }
    wait_for_replies(&fake, WARM_UP).await?;

    let (cpu0, ctx0) = (cpu_micros(pid)?, context_switches(pid)?);
    let started = Instant::now();
    for i in WARM_UP..WARM_UP + UPDATES {
        fake.push_update(update(i));
    }
    wait_for_replies(&fake, WARM_UP + UPDATES).await?;
    let wall = started.elapsed();
    let (cpu1, ctx1) = (cpu_micros(pid)?, context_switches(pid)?);

    let mut latencies = Vec::with_capacity(LATENCY_SAMPLES);
    let first = WARM_UP + UPDATES;
    for i in first..first + LATENCY_SAMPLES {
        let before = fake.delivered_count();
        let sent = Instant::now();
        fake.push_update(update(i));
        wait_for_replies(&fake, before + 1).await?;
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    let peak = memory_kib(pid, "VmHWM:")?;
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = child.wait();

    let n = UPDATES as f64;
    println!("telegram long polling, real binary on SQLite, {UPDATES} updates from {USERS} users");
    println!(
        "  CPU: {:.0} µs per update (user+sys of the service), {:.0} updates/s",
        (cpu1 - cpu0) as f64 / n,
        n / wall.as_secs_f64()
    );
    println!(
        "  context switches: {:.1} per update (all threads)",
        (ctx1 - ctx0) as f64 / n
    );
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "  one at a time, update to reply at the fake: p50 {:.2} ms, p99 {:.2} ms",
        at(0.5).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0
    );
    println!("  resident memory: idle {} KiB, peak {} KiB", idle, peak);
    Ok(())
}
