//! Hostile and random messages: none may panic the parser or its JSON. Each message is parsed
//! with a known language and with none, and turned into the contract JSON; a panic fails the
//! test with the message that caused it. Messages that once panicked are kept, one per line,
//! in `tests/corpus/crashers.txt` and parsed on every run.
//!
//! The random part is seeded (the seed is printed), `SPENDBOT_FUZZ_CASES` sets how many
//! messages it makes (default 20,000), and `SPENDBOT_FUZZ_SEED` repeats a run.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Catalogue, ParseContext, contract_json};

const WORDS: &[&str] = &[
    "lunch",
    "spent",
    "on",
    "for",
    "yesterday",
    "today",
    "each",
    "every",
    "and",
    "x",
    "*",
    "×",
    "%",
    "+",
    "-",
    "/",
    ".",
    ",",
    ":",
    "$",
    "€",
    "₹",
    "¥",
    "£",
    "rs",
    "usd",
    "eur",
    "inr",
    "k",
    "m",
    "bn",
    "mil",
    "hundred",
    "thousand",
    "million",
    "billion",
    "trillion",
    "lakh",
    "lakhs",
    "crore",
    "crores",
    "mille",
    "mil",
    "tusen",
    "hazaar",
    "हज़ार",
    "लाख",
    "करोड़",
    "লাখ",
    "কোটি",
    "হাজার",
    "cien",
    "mil",
    "millones",
    "tausend",
    "millionen",
    "half",
    "dozen",
    "twenty",
    "ninety",
    "nine",
    "veinte",
    "vingt",
    "zwanzig",
    "sou",
    "limit",
    "set",
    "monthly",
    "weekly",
    "how",
    "much",
    "this",
    "month",
    "week",
    "undo",
    "delete",
    "last",
    "category",
    "/spent",
    "/limit",
    "/summary",
    "/undo",
    "/delete",
    "12/12",
    "31st",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "@",
    "#",
    "😀",
    "\u{200b}",
    "\u{202e}",
    "\u{0301}",
    "١٢٣",
    "১২৩",
    "१२३",
    "１２３",
    "(",
    ")",
    "[",
    "]",
    "=",
    "~",
    "^",
    "e",
    "E",
    "1e999",
    "NaN",
    "inf",
];

/// Messages that broke the parser before, and the shapes around them.
fn hostile() -> Vec<String> {
    let mut messages: Vec<String> = include_str!("../../tests/corpus/crashers.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let nines = "9".repeat(40);
    for scale in [
        "hundred", "thousand", "lakh", "crore", "k", "bn", "million", "mil",
    ] {
        messages.push(format!("5 {}", vec![scale; 60].join(" ")));
        messages.push(format!("{nines} {scale} {scale} {scale}"));
        messages.push(format!("{nines}{scale}"));
        messages.push(format!("lunch {nines} {scale} x {nines}"));
    }
    for op in ["x", "*", "×", "each", "+", "-", "%"] {
        messages.push(format!("{nines} {op} {nines}"));
        messages.push(format!("lunch 3 {op} {nines} and {nines} {op} 2"));
    }
    messages.push(format!("{} 1", "lunch 1 and ".repeat(500)));
    messages.push(format!("0.{}1", "0".repeat(60)));
    messages.push(format!("-{nines}"));
    messages.push(format!("set my monthly limit to {nines} {nines}"));
    messages.push(format!("{nines} {nines} {nines} on {nines}"));
    messages
}

fn random_message(rng: &mut StdRng) -> String {
    let n = rng.random_range(1..24);
    let mut parts = Vec::with_capacity(n);
    for _ in 0..n {
        let part = match rng.random_range(0..4) {
            0 => {
                let digits = rng.random_range(1..42);
                let mut number: String = (0..digits)
                    .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                    .collect();
                if rng.random_bool(0.3) {
                    number.push(if rng.random_bool(0.5) { '.' } else { ',' });
                    number.push_str(&"9".repeat(rng.random_range(0..35)));
                }
                number
            }
            _ => WORDS[rng.random_range(0..WORDS.len())].to_owned(),
        };
        parts.push(part);
    }
    let glue = if rng.random_bool(0.2) { "" } else { " " };
    parts.join(glue)
}

/// The messages among `messages` that panic, with the panic's text.
fn panicking(cat: &Catalogue, messages: &[String]) -> Vec<(String, String)> {
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let mut found = Vec::new();
    for text in messages {
        for lang in [None, Some("en"), Some("hi"), Some("es")] {
            let run = catch_unwind(AssertUnwindSafe(|| {
                let intent = cat.parse(text, &ParseContext { today, lang });
                contract_json(text, &intent)
            }));
            if let Err(panic) = run {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                found.push((text.clone(), why));
                break;
            }
        }
    }
    found
}

#[test]
fn hostile_messages_do_not_panic() {
    let broken = panicking(Catalogue::embedded(), &hostile());
    assert!(broken.is_empty(), "these messages panic: {broken:#?}");
}

#[test]
fn random_messages_do_not_panic() {
    let seed = std::env::var("SPENDBOT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| StdRng::from_os_rng().random());
    let cases: usize = std::env::var("SPENDBOT_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    println!("fuzz: {cases} messages from seed {seed} (SPENDBOT_FUZZ_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let messages: Vec<String> = (0..cases).map(|_| random_message(&mut rng)).collect();
    let broken = panicking(Catalogue::embedded(), &messages);
    assert!(
        broken.is_empty(),
        "seed {seed}: these messages panic (add them to tests/corpus/crashers.txt): {broken:#?}"
    );
}
