//! Conversations as transcripts: what a person types and every word the bot answers, kept in
//! `tests/api/snapshots/`. A change of wording shows up as one diff to review (run with
//! `INSTA_UPDATE=always`, or `cargo insta review`, to accept it).

use chrono::{DateTime, TimeZone, Utc};
use spendbot::bot::{Bot, IdentityHints, Incoming, IncomingKind};
use spendbot::domain::{ChatIdentity, Platform};
use spendbot::intent::Catalogue;

use crate::stories;

/// Wednesday 25 November 2026, noon UTC.
fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
        .single()
        .expect("valid time")
}

/// Says each line in turn as `who` (in `language`) and writes down the conversation.
async fn transcript(bot: &Bot, who: &ChatIdentity, language: &str, lines: &[&str]) -> String {
    let mut out = String::new();
    for line in lines {
        let reply = bot
            .handle(Incoming {
                identity: who.clone(),
                kind: IncomingKind::Text((*line).to_owned()),
                at: noon(),
                event: None,
                hints: IdentityHints {
                    language: Some(language.to_owned()),
                    display_name: None,
                },
                message: None,
            })
            .await;
        out.push_str(&format!("> {line}\n{}\n", reply.text));
        for b in &reply.buttons {
            out.push_str(&format!("[{}]\n", b.label));
        }
    }
    out
}

/// A fresh bot on SQLite in a temporary directory.
async fn bot(dir: &tempfile::TempDir) -> Bot {
    let url = crate::helpers::sqlite_url(dir.path());
    Bot::new(stories::ledger(&url).await, Catalogue::embedded())
}

#[tokio::test]
async fn an_english_conversation_reads_as_it_did() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bot = bot(&dir).await;
    let who = stories::who(Platform::Console, "ann");
    let text = transcript(
        &bot,
        &who,
        "en",
        &[
            "hi",
            "spent 12 on lunch",
            "uber 14 yesterday, coffee 3.50",
            "picked up 2 gifts",
            "30",
            "set my monthly limit to 100",
            "groceries 62.40",
            "how much did I spend this month?",
            "top 3 categories",
            "this month vs last month",
            "find coffee",
            "change the last one to 64",
            "that was a nice day",
            "undo",
        ],
    )
    .await;
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn a_conversation_in_each_new_language_reads_as_it_did() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bot = bot(&dir).await;
    let conversations: [(&str, &[&str]); 6] = [
        (
            "pt",
            &[
                "oi",
                "gastei 12 no almoço",
                "uber 23,90 ontem",
                "quanto gastei este mês",
            ],
        ),
        (
            "de",
            &[
                "hallo",
                "12 € fürs Mittagessen",
                "gestern 30 Euro getankt",
                "wie viel diese Woche",
            ],
        ),
        (
            "fr",
            &[
                "bonjour",
                "j'ai dépensé 12 € pour le déjeuner",
                "taxi 15 hier",
                "combien cette semaine",
            ],
        ),
        (
            "sv",
            &[
                "hej",
                "lunch 115 kr",
                "fika 45 igår",
                "hur mycket den här veckan",
            ],
        ),
        (
            "hi",
            &[
                "namaste",
                "chai 20 rupaye",
                "kal 200 petrol",
                "aaj ka kharcha",
            ],
        ),
        ("bn", &["হ্যালো", "দুধ ৬০ টাকা", "রিকশা ৫০ গতকাল", "আজকের খরচ"]),
    ];
    let mut text = String::new();
    for (lang, lines) in conversations {
        let who = stories::who(Platform::Console, lang);
        text.push_str(&format!("## {lang}\n"));
        text.push_str(&transcript(&bot, &who, lang, lines).await);
    }
    insta::assert_snapshot!(text);
}
