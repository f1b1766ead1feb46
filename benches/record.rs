//! Recording expenses end to end through the bot core on SQLite: parse, find the account,
//! record in one transaction with its event key, and word the reply (with the month so far).
//!
//! `cargo bench --bench record` prints expenses per second, for one sender and for 16
//! concurrent senders (as a server sees them); the target is at least 5,000.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use spendbot::bot::{Bot, EventKey, Incoming, IncomingKind, ReplyStatus};
use spendbot::domain::{ChatIdentity, Currency, Platform};
use spendbot::intent::Catalogue;
use spendbot::ledger::{AccountDefaults, Ledger};
use spendbot::store::Store;

const PER_RUN: usize = 8_000;
const PEOPLE: usize = 50;
const NOTES: [&str; 5] = ["lunch", "coffee 3.50", "uber", "groceries", "netflix"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run())
}

fn message(i: usize) -> Result<Incoming, Box<dyn std::error::Error>> {
    Ok(Incoming {
        identity: ChatIdentity::new(Platform::Telegram, &(i % PEOPLE).to_string())?,
        kind: IncomingKind::Text(format!(
            "spent {} on {}",
            1 + i % 40,
            NOTES[i % NOTES.len()]
        )),
        at: Utc::now(),
        event: Some(EventKey(format!("bench:{i}"))),
        hints: Default::default(),
        message: None,
    })
}

async fn send(bot: &Bot, i: usize) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let msg = message(i).map_err(|e| e.to_string())?;
    let reply = bot.handle(msg).await;
    if reply.status != ReplyStatus::Done {
        return Err(format!("message {i} was not recorded: {}", reply.text).into());
    }
    Ok(())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let defaults = AccountDefaults {
        currency: Currency::USD,
        timezone: chrono_tz::UTC,
        language: "en".into(),
    };
    let bot = Arc::new(Bot::new(
        Ledger::new(store, defaults),
        Catalogue::embedded(),
    ));
    let mut next = 0usize;
    for i in 0..500 {
        send(&bot, i).await.map_err(|e| e.to_string())?;
        next += 1;
    }
    for senders in [1usize, 16] {
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for s in 0..senders {
            let bot = Arc::clone(&bot);
            let first = next;
            tasks.spawn(async move {
                for i in (first + s..first + PER_RUN).step_by(senders) {
                    send(&bot, i).await?;
                }
                Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done?.map_err(|e| e.to_string())?;
        }
        next += PER_RUN;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "record through the bot on SQLite, {senders} sender(s): {PER_RUN} expenses in {secs:.2} s = {:.0} expenses/s",
            PER_RUN as f64 / secs
        );
    }
    Ok(())
}
