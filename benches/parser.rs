//! Parser throughput on a mixed set of messages, on one core.
//!
//! `cargo bench --bench parser` prints messages per second; the target is at least 200,000.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use spendbot::intent::{Catalogue, ParseContext};

/// At least 200 varied messages: expenses in many shapes, incomes, limits, questions, commands,
/// other languages, and chit-chat.
fn messages() -> Vec<String> {
    let fixed = [
        "spent 12 on lunch",
        "coffee 3.50 yesterday",
        "paid €1.200,50 rent",
        "got my salary 3000",
        "set monthly limit to 500",
        "how much this week?",
        "undo",
        "uber 14 yesterday",
        "3 beers at 6 each",
        "2 coffees 7",
        "twenty five bucks on pizza",
        "ten cents for a sticker",
        "20$ baht sim card",
        "₹899 fuel 7:30pm",
        "gas 40 10/31",
        "flowers 30 7 days ago",
        "uber 12, coffee 5",
        "lunch 12 and taxi 8",
        "bread 2\nmilk 1.5\neggs 3",
        "refund 500 from amazon",
        "budget 200 for food per week",
        "/limit 500",
        "spending last month",
        "food in october",
        "what did I buy yesterday",
        "expenses from 2026-03-01 to 2026-03-15",
        "last 7 days",
        "delete the coffee",
        "help",
        "hi",
        "thanks!",
        "/add 5.50 coffee",
        "/summary last week",
        "gasté 12 en almuerzo",
        "gastos de esta semana",
        "café 2,50 ayer",
        "laptop 1.5k",
        "school fees 1 lakh",
        "CHF 100 train",
        "12 EUR dinner",
        "movie 12 last friday",
        "rent 900 on the 3rd",
        "hotel 120 Nov 20",
        "bbq 45 last weekend",
        "coffe 4",
        "grocerys 45",
        "I have 2 cats",
        "lunch 12 15",
        "coffee",
        "how much did I spend on food this month?",
        "biggest purchase this month",
        "transport vs travel last month",
        "change 42 to 15",
        "milk 3.49 eggs 4.29 bread 2.99",
        "gastei 12 no almoço",
        "resumo do mês",
        "12 € fürs Mittagessen",
        "j'ai dépensé 12 € pour le déjeuner hier",
        "lunch 115 kr igår",
        "chai 20 rupaye",
        "aaj ka kharcha",
        "दूध 60 रुपये",
        "দুধ ৬০ টাকা",
        "আজকের খরচ",
    ];
    let notes = [
        "lunch",
        "coffee",
        "uber",
        "groceries",
        "netflix",
        "rent",
        "gym",
        "books",
        "haircut",
        "flowers",
        "pizza",
        "train",
    ];
    let shapes = [
        "spent {a} on {n}",
        "{n} {a}",
        "{n} {a} yesterday",
        "paid ${a} for {n}",
        "{a} {n} last friday",
        "bought {n} for {a} euros",
        "{n} {a}, taxi 8",
        "how much on {n} last month",
        "{n} {a} on nov 3rd",
        "/add {a} {n}",
        "{n} {a} 2 days ago",
        "#food {a} {n}",
        "£{a} {n} 11/20",
        "gasté {a} en {n}",
    ];
    let amounts = ["12", "3.50", "1,200", "45", "7.99"];
    let mut out: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
    for (i, shape) in shapes.iter().enumerate() {
        for (j, note) in notes.iter().enumerate() {
            let a = amounts[(i + j) % amounts.len()];
            out.push(shape.replace("{a}", a).replace("{n}", note));
        }
    }
    out
}

fn main() {
    let cat = Catalogue::embedded();
    let msgs = messages();
    assert!(
        msgs.len() >= 200,
        "the bench needs at least 200 messages, has {}",
        msgs.len()
    );
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    for lang in [Some("en"), None] {
        let ctx = ParseContext { today, lang };
        // Warm up, then run for about three seconds.
        for m in &msgs {
            black_box(cat.parse(m, &ctx));
        }
        let start = Instant::now();
        let mut parsed: u64 = 0;
        while start.elapsed() < Duration::from_secs(3) {
            for m in &msgs {
                black_box(cat.parse(black_box(m), &ctx));
            }
            parsed += msgs.len() as u64;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "parser ({} messages, lang {}): {parsed} parses in {secs:.2} s = {:.0} messages/s on one core",
            msgs.len(),
            lang.unwrap_or("any"),
            parsed as f64 / secs
        );
    }
    long_lines(cat, today);
}

/// One line of 100 kB and one of 1 MB, of the shapes that once made parsing quadratic (many
/// items separated by commas and `and`, and one long note with an amount at the end): the time
/// of one parse each, which must grow with the length, not its square.
fn long_lines(cat: &Catalogue, today: NaiveDate) {
    let ctx = ParseContext {
        today,
        lang: Some("en"),
    };
    for size in [100_000, 1_000_000] {
        let items = "lunch 12, taxi 8 and coffee 3.50, ".repeat(size / 34);
        let note = format!("{} 12", "word ".repeat(size / 5));
        for (shape, line) in [("items", &items), ("one note", &note)] {
            let start = Instant::now();
            black_box(cat.parse(black_box(line), &ctx));
            println!(
                "parser (one line of {} kB, {shape}): {:.1} ms",
                line.len() / 1000,
                start.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
