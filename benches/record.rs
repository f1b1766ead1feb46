//! Recording expenses end to end through the bot core on SQLite: parse, find the account,
//! record in one transaction with its event key, and word the reply.
//!
//! `cargo bench --bench record` prints expenses per second; the target is at least 5,000.

use std::time::Instant;

use chrono::Utc;
use spendbot::bot::{Bot, EventKey, Incoming, IncomingKind, ReplyStatus};
use spendbot::domain::{ChatIdentity, Currency, Platform};
use spendbot::intent::Catalogue;
use spendbot::ledger::{AccountDefaults, Ledger};
use spendbot::store::Store;

const WARM_UP: usize = 500;
const MEASURED: usize = 10_000;
const PEOPLE: usize = 50;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run())
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
    let bot = Bot::new(Ledger::new(store, defaults), Catalogue::embedded());
    let notes = ["lunch", "coffee 3.50", "uber", "groceries", "netflix"];
    let mut sent = 0usize;
    let mut send = |i: usize| {
        let identity = ChatIdentity::new(Platform::Telegram, &(i % PEOPLE).to_string());
        let text = format!("spent {} on {}", 1 + i % 40, notes[i % notes.len()]);
        sent += 1;
        identity.map(|identity| Incoming {
            identity,
            kind: IncomingKind::Text(text),
            at: Utc::now(),
            event: Some(EventKey(format!("bench:{i}"))),
            hints: Default::default(),
        })
    };
    for i in 0..WARM_UP {
        let reply = bot.handle(send(i)?).await;
        assert_eq!(reply.status, ReplyStatus::Done, "{}", reply.text);
    }
    let start = Instant::now();
    for i in WARM_UP..WARM_UP + MEASURED {
        let reply = bot.handle(send(i)?).await;
        assert_eq!(reply.status, ReplyStatus::Done, "{}", reply.text);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "record through the bot on SQLite: {MEASURED} expenses by {PEOPLE} people in {secs:.2} s = {:.0} expenses/s (one task, {sent} messages in all)",
        MEASURED as f64 / secs
    );
    Ok(())
}
