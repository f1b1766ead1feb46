//! Conversations with the bot core, as a person has them from any platform: what they type,
//! what the bot answers, and what ends up in their wallet. Each story runs on every engine.

use chrono::{DateTime, TimeZone, Utc};
use spendbot::bot::{Bot, EventKey, IdentityHints, Incoming, IncomingKind, Reply, ReplyStatus};
use spendbot::domain::{ChatIdentity, Platform};
use spendbot::intent::Catalogue;
use spendbot::store::Store;

crate::each_engine!(
    a_conversation_records_asks_and_answers,
    an_ambiguous_amount_is_asked_not_guessed,
    limits_warn_at_80_and_100_percent_once_each,
    bad_amounts_are_refused_and_change_nothing,
    a_redelivered_message_is_recorded_once,
    link_codes_join_two_platforms_to_one_wallet,
    people_never_see_each_others_wallets,
    replies_follow_the_language_of_the_person,
    the_undo_button_removes_exactly_what_one_message_recorded,
    text_is_stored_as_typed_and_long_notes_are_shortened_visibly,
    the_category_buttons_move_an_expense_to_another_category,
    without_sendgrid_email_commands_say_so_and_change_nothing,
    questions_get_answers_from_the_ledger,
    corrections_by_message_change_the_entry,
);

/// Wednesday 25 November 2026, noon UTC.
fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
        .single()
        .expect("valid time")
}

async fn bot(url: &str) -> (Bot, Store) {
    let ledger = crate::stories::ledger(url).await;
    let store = ledger.store().clone();
    (Bot::new(ledger, Catalogue::embedded()), store)
}

use crate::stories::who as person;

fn said(who: &ChatIdentity, text: &str) -> Incoming {
    Incoming {
        identity: who.clone(),
        kind: IncomingKind::Text(text.to_owned()),
        at: noon(),
        event: None,
        hints: IdentityHints::default(),
        message: None,
    }
}

async fn say(bot: &Bot, who: &ChatIdentity, text: &str) -> Reply {
    let reply = bot.handle(said(who, text)).await;
    assert_eq!(reply.status, ReplyStatus::Done, "{text:?} got {reply:?}");
    assert!(!reply.text.is_empty(), "{text:?} got an empty reply");
    reply
}

/// Says `text` and checks that the reply holds `expected`.
async fn answers(bot: &Bot, who: &ChatIdentity, text: &str, expected: &str) -> Reply {
    let r = say(bot, who, text).await;
    assert!(r.text.contains(expected), "{text:?} got {}", r.text);
    r
}

async fn a_conversation_records_asks_and_answers(url: String) {
    let (bot, _) = bot(&url).await;
    let alice = person(Platform::Console, "alice");
    let r = say(&bot, &alice, "spent 12 on lunch").await;
    assert!(
        r.text.contains("Recorded 12.00 USD · food · lunch"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("November 2026 so far: 12.00 USD"),
        "{}",
        r.text
    );
    assert_eq!(r.buttons.len(), 2, "Undo and Category");
    assert!(r.buttons[0].data.starts_with("undo:"));
    assert!(r.buttons[1].data.starts_with("cat:"));

    let r = say(&bot, &alice, "coffee").await;
    assert!(r.text.contains("How much was coffee?"), "{}", r.text);
    let r = say(&bot, &alice, "4.50").await;
    assert!(
        r.text.contains("Recorded 4.50 USD · food · coffee"),
        "{}",
        r.text
    );
    // The question was answered once; a later bare number is not a coffee.
    let r = say(&bot, &alice, "7").await;
    assert!(r.text.contains("Recorded 7.00 USD · other"), "{}", r.text);

    let r = say(&bot, &alice, "uber 14 yesterday").await;
    assert!(
        r.text.contains("14.00 USD · transport · uber · Tue 24 Nov"),
        "{}",
        r.text
    );
    let r = say(&bot, &alice, "how much did I spend this month?").await;
    assert!(
        r.text.contains("spent 37.50 USD in 4 expenses"),
        "{}",
        r.text
    );
    assert!(r.text.contains("food 16.50 USD"), "{}", r.text);
    let r = say(&bot, &alice, "what did I buy yesterday").await;
    assert!(
        r.text.contains("uber") && !r.text.contains("lunch"),
        "{}",
        r.text
    );
    let r = say(&bot, &alice, "hello").await;
    assert!(
        r.text.starts_with("Hi!") && r.text.contains("coffee 3.50") && r.text.len() < 300,
        "a greeting is welcomed briefly, with examples: {}",
        r.text
    );
    let r = say(&bot, &alice, "show my last 2").await;
    assert_eq!(
        r.text.lines().filter(|l| l.starts_with('#')).count(),
        2,
        "a list of that many: {}",
        r.text
    );
    let r = say(&bot, &alice, "lol").await;
    assert!(r.text.contains("didn't get that"), "{}", r.text);
    let r = say(&bot, &alice, "/help").await;
    assert!(
        r.text.contains("spent 12 on lunch") && r.text.contains("/limit"),
        "{}",
        r.text
    );
}

async fn an_ambiguous_amount_is_asked_not_guessed(url: String) {
    let (bot, _) = bot(&url).await;
    let bob = person(Platform::Telegram, "42");
    let r = say(&bot, &bob, "lunch 12 15").await;
    assert!(r.text.contains("12 / 15"), "{}", r.text);
    let labels: Vec<&str> = r.buttons.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["12", "15"]);
    let r = say(&bot, &bob, "/summary").await;
    assert!(
        r.text.contains("nothing recorded"),
        "nothing may be recorded yet: {}",
        r.text
    );
    let press = Incoming {
        kind: IncomingKind::Button(r_button(&bot, &bob).await),
        ..said(&bob, "")
    };
    let r = bot.handle(press).await;
    assert!(
        r.text.contains("Recorded 15.00 USD · food · lunch"),
        "{}",
        r.text
    );
}

/// Asks the ambiguous question again and returns the data of its second button.
async fn r_button(bot: &Bot, who: &ChatIdentity) -> String {
    let r = say(bot, who, "lunch 12 15").await;
    r.buttons
        .get(1)
        .map(|b| b.data.clone())
        .expect("a second button")
}

async fn limits_warn_at_80_and_100_percent_once_each(url: String) {
    let (bot, _) = bot(&url).await;
    let carol = person(Platform::Discord, "900");
    let r = say(&bot, &carol, "set my monthly limit to 100").await;
    assert!(
        r.text.contains("monthly limit is now 100.00 USD"),
        "{}",
        r.text
    );
    let r = say(&bot, &carol, "taxi 85").await;
    assert!(r.text.contains("85.00 of 100.00 USD, 85 %"), "{}", r.text);
    assert!(r.text.contains("80 %"), "the warning is due: {}", r.text);
    let r = say(&bot, &carol, "coffee 5").await;
    assert!(
        !r.text.contains("Heads up") && !r.text.contains("over your"),
        "no second warning: {}",
        r.text
    );
    let r = say(&bot, &carol, "lunch 20").await;
    assert!(
        r.text.contains("You are over your November 2026 limit"),
        "{}",
        r.text
    );
    assert!(r.text.contains("10.00 USD over"), "{}", r.text);
    let r = say(&bot, &carol, "snack 3").await;
    assert!(
        !r.text.contains("You are over"),
        "the overspend notice comes once: {}",
        r.text
    );
    let r = say(&bot, &carol, "budget 50 for food per week").await;
    assert!(
        r.text.contains("weekly food limit is now 50.00 USD"),
        "{}",
        r.text
    );
    let r = say(&bot, &carol, "remove my weekly food limit").await;
    assert!(r.text.contains("removed"), "{}", r.text);
}

async fn bad_amounts_are_refused_and_change_nothing(url: String) {
    let (bot, _) = bot(&url).await;
    let dan = person(Platform::Console, "dan");
    for text in [
        "spent 0 on lunch",
        "spent -5 on lunch",
        "yacht 2000000000000",
        "/add 0.001 gum",
    ] {
        let r = say(&bot, &dan, text).await;
        assert!(
            r.text.contains("nothing was recorded"),
            "{text}: {}",
            r.text
        );
        assert!(r.buttons.is_empty());
    }
    let r = say(&bot, &dan, "/list").await;
    assert!(r.text.contains("nothing recorded"), "{}", r.text);
    let r = say(&bot, &dan, "/currency XYZW").await;
    assert!(r.text.contains("Which currency"), "{}", r.text);
    let r = say(&bot, &dan, "/timezone Mars/Olympus").await;
    assert!(r.text.contains("Which time zone"), "{}", r.text);
}

async fn a_redelivered_message_is_recorded_once(url: String) {
    let (bot, _) = bot(&url).await;
    let erin = person(Platform::Telegram, "7");
    let delivery = Incoming {
        event: Some(EventKey("telegram:update:100000001".into())),
        ..said(&erin, "spent 12 on lunch")
    };
    let first = bot.handle(delivery.clone()).await;
    assert_eq!(first.status, ReplyStatus::Done);
    let again = bot.handle(delivery).await;
    assert_eq!(again.status, ReplyStatus::Duplicate);
    assert!(again.text.is_empty() && again.buttons.is_empty());
    let r = say(&bot, &erin, "how much this month").await;
    assert!(
        r.text.contains("spent 12.00 USD in 1 expense"),
        "{}",
        r.text
    );
}

async fn link_codes_join_two_platforms_to_one_wallet(url: String) {
    let (bot, _) = bot(&url).await;
    let on_telegram = person(Platform::Telegram, "111111111");
    let on_discord = person(Platform::Discord, "900000000000000001");
    say(&bot, &on_telegram, "spent 12 on lunch").await;
    say(&bot, &on_discord, "coffee 3").await;
    let r = say(&bot, &on_discord, "/link WRONG123").await;
    assert!(
        r.text.contains("wrong, expired or already used"),
        "{}",
        r.text
    );
    let r = say(&bot, &on_telegram, "/link").await;
    let code = r
        .text
        .split_whitespace()
        .find(|w| w.len() == 9 && w.ends_with('.'))
        .map(|w| w.trim_end_matches('.').to_owned());
    let code = code.expect("the reply carries the code");
    let r = say(&bot, &on_discord, &format!("/link {code}")).await;
    assert!(r.text.contains("Linked"), "{}", r.text);
    // One wallet: both platforms see both expenses, nothing recorded was lost.
    for who in [&on_telegram, &on_discord] {
        let r = say(&bot, who, "how much this month").await;
        assert!(
            r.text.contains("spent 15.00 USD in 2 expenses"),
            "{}",
            r.text
        );
    }
    let r = say(&bot, &on_discord, &format!("/link {code}")).await;
    assert!(
        r.text.contains("already used"),
        "a code is single use: {}",
        r.text
    );
    // A deep link does the same as /link CODE.
    let r = say(&bot, &on_telegram, "/link").await;
    let code = r
        .text
        .split_whitespace()
        .find(|w| w.len() == 9 && w.ends_with('.'))
        .map(|w| w.trim_end_matches('.').to_owned());
    let on_discord = person(Platform::Discord, "555000111");
    let r = say(
        &bot,
        &on_discord,
        &format!("/start link-{}", code.expect("code")),
    )
    .await;
    assert!(r.text.contains("Linked"), "{}", r.text);
}

async fn people_never_see_each_others_wallets(url: String) {
    let (bot, _) = bot(&url).await;
    let alice = person(Platform::Telegram, "1");
    let mallory = person(Platform::Telegram, "2");
    let r = say(&bot, &alice, "rent 900").await;
    let id = r.buttons[0].data.trim_start_matches("undo:").to_owned();
    let r = say(&bot, &mallory, "/list").await;
    assert!(r.text.contains("nothing recorded"), "{}", r.text);
    let r = say(&bot, &mallory, &format!("/delete {id}")).await;
    assert!(r.text.contains("couldn't find"), "{}", r.text);
    let press = Incoming {
        kind: IncomingKind::Button(format!("undo:{id}")),
        ..said(&mallory, "")
    };
    let r = bot.handle(press).await;
    assert!(r.text.contains("nothing to undo"), "{}", r.text);
    let r = say(&bot, &mallory, "undo").await;
    assert!(r.text.contains("nothing to undo"), "{}", r.text);
    let r = say(&bot, &alice, "how much this month").await;
    assert!(r.text.contains("spent 900.00 USD"), "{}", r.text);
}

async fn replies_follow_the_language_of_the_person(url: String) {
    let (bot, _) = bot(&url).await;
    let ana = person(Platform::Telegram, "34");
    let hints = IdentityHints {
        language: Some("es-ES".into()),
        display_name: Some("Ana".into()),
    };
    let r = bot
        .handle(Incoming {
            hints,
            ..said(&ana, "gasté 12 en almuerzo")
        })
        .await;
    assert!(
        r.text.contains("Anotado 12.00 USD · comida · almuerzo"),
        "{}",
        r.text
    );
    let r = say(&bot, &ana, "gastos de esta semana").await;
    assert!(r.text.contains("gastaste 12.00 USD"), "{}", r.text);
    let r = say(&bot, &ana, "hola").await;
    assert!(
        r.text.starts_with("¡Hola!") && r.text.contains("café 3.50"),
        "un saludo: {}",
        r.text
    );
    let r = say(&bot, &ana, "jaja").await;
    assert!(r.text.contains("no lo entendí"), "{}", r.text);
    // Days and categories in her words too.
    answers(
        &bot,
        &ana,
        "taxi 8 ayer",
        "8.00 USD · transporte · taxi · 24 de noviembre",
    )
    .await;
    answers(
        &bot,
        &ana,
        "mi mayor gasto del mes",
        "Noviembre 2026: tu mayor gasto fue 12.00 USD · comida · almuerzo",
    )
    .await;
}

async fn the_undo_button_removes_exactly_what_one_message_recorded(url: String) {
    let (bot, _) = bot(&url).await;
    let fay = person(Platform::Console, "fay");
    say(&bot, &fay, "rent 900").await;
    let r = say(&bot, &fay, "uber 12, coffee 5").await;
    assert!(
        r.text.contains("12.00 USD · transport · uber")
            && r.text.contains("5.00 USD · food · coffee"),
        "{}",
        r.text
    );
    let press = Incoming {
        kind: IncomingKind::Button(r.buttons[0].data.clone()),
        ..said(&fay, "")
    };
    let r = bot.handle(press).await;
    assert!(
        r.text.contains("Removed") && r.text.contains("uber") && r.text.contains("coffee"),
        "{}",
        r.text
    );
    answers(
        &bot,
        &fay,
        "how much this month",
        "spent 900.00 USD in 1 expense",
    )
    .await;
}

async fn text_is_stored_as_typed_and_long_notes_are_shortened_visibly(url: String) {
    let (bot, _) = bot(&url).await;
    let gus = person(Platform::Console, "gus");
    let r = say(&bot, &gus, "lunch with 'Bob'; DROP TABLE entries; -- 🍕 12").await;
    assert!(
        r.text
            .contains("lunch with 'Bob'; DROP TABLE entries; -- 🍕"),
        "{}",
        r.text
    );
    let long = format!("{} 5", "blah ".repeat(100));
    let r = say(&bot, &gus, &long).await;
    assert!(
        r.text.contains('…') && r.text.contains("first 200 characters"),
        "{}",
        r.text
    );
    answers(&bot, &gus, "/list", "'Bob'; DROP TABLE entries; -- 🍕").await;
}

async fn the_category_buttons_move_an_expense_to_another_category(url: String) {
    let (bot, _) = bot(&url).await;
    let hal = person(Platform::Telegram, "5");
    let r = say(&bot, &hal, "gas 40").await;
    let pick = r
        .buttons
        .iter()
        .find(|b| b.data.starts_with("cat:"))
        .map(|b| b.data.clone());
    let pick = pick.expect("a category button");
    let id = pick.trim_start_matches("cat:").to_owned();
    let press = |data: String| Incoming {
        kind: IncomingKind::Button(data),
        ..said(&hal, "")
    };
    let r = bot.handle(press(pick)).await;
    assert!(r.text.contains("Which category"), "{}", r.text);
    assert_eq!(r.buttons.len(), 13);
    let utilities = r
        .buttons
        .iter()
        .find(|b| b.label == "utilities")
        .map(|b| b.data.clone());
    let r = bot
        .handle(press(utilities.expect("a utilities button")))
        .await;
    assert!(r.text.contains("40.00 USD · utilities · gas"), "{}", r.text);
    answers(&bot, &hal, "/summary", "utilities 40.00 USD").await;
    // Nobody moves another person's expense.
    let mallory = person(Platform::Telegram, "6");
    let steal = Incoming {
        kind: IncomingKind::Button(format!("setcat:{id}:gifts")),
        ..said(&mallory, "")
    };
    let r = bot.handle(steal).await;
    assert!(r.text.contains("couldn't find"), "{}", r.text);
}

async fn without_sendgrid_email_commands_say_so_and_change_nothing(url: String) {
    let (bot, _) = bot(&url).await;
    let ivy = person(Platform::Console, "ivy");
    answers(&bot, &ivy, "/email ivy@example.com", "not set up").await;
    answers(&bot, &ivy, "/email", "No email address").await;
    answers(
        &bot,
        &ivy,
        "/verify 123456",
        "wrong, expired or already used",
    )
    .await;
}

/// The entry number a recording reply ends with: `… (#12)`.
fn entry_id(reply: &Reply) -> i64 {
    let at = reply
        .text
        .rfind("(#")
        .expect("an entry number in the reply");
    reply.text[at + 2..]
        .split(')')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number")
}

async fn questions_get_answers_from_the_ledger(url: String) {
    let (bot, _) = bot(&url).await;
    let ann = person(Platform::Console, "ann");
    for text in [
        "lunch 12",
        "taxi 30 yesterday",
        "coffee 4",
        "coffee 3.50 on monday",
        "bus 2",
        "hotel 120 on october 10",
        "dinner 40 on october 11",
    ] {
        say(&bot, &ann, text).await;
    }
    answers(
        &bot,
        &ann,
        "biggest purchase this month",
        "largest expense was 30.00 USD · transport · taxi",
    )
    .await;
    let r = say(&bot, &ann, "my 2 biggest expenses last month").await;
    assert!(
        r.text.contains("1. 120.00 USD") && r.text.contains("2. 40.00 USD"),
        "{}",
        r.text
    );
    let r = say(&bot, &ann, "top 2 categories").await;
    let lines: Vec<&str> = r.text.lines().collect();
    assert!(lines[0].contains("where the money went"), "{}", r.text);
    assert!(
        lines[1].contains("1. transport 32.00 USD (62 %, 2×)")
            && lines[2].contains("2. food 19.50 USD"),
        "{}",
        r.text
    );
    assert_eq!(lines.len(), 3, "two categories: {}", r.text);
    let r = say(&bot, &ann, "average per day").await;
    // 51.50 spent over the 25 days of November so far, in 5 expenses.
    assert!(
        r.text
            .contains("51.50 USD over 25 days, so 2.06 USD a day on average")
            && r.text.contains("5 expenses of 10.30 USD"),
        "{}",
        r.text
    );
    let r = say(&bot, &ann, "this month vs last month").await;
    assert!(
        r.text.starts_with("November 2026 vs October 2026")
            && r.text.contains("travel: 0.00 USD · 120.00 USD")
            && r.text.contains("total: 51.50 USD (5) · 160.00 USD (2)")
            && r.text.contains("108.50 USD (68 %) less than October 2026"),
        "{}",
        r.text
    );
    answers(
        &bot,
        &ann,
        "transport vs food",
        "transport · November 2026: 12.50 USD (64 %) more than food · November 2026",
    )
    .await;
    let r = say(&bot, &ann, "find coffee").await;
    assert!(
        r.text.contains("“coffee”")
            && r.text.lines().filter(|l| l.starts_with('#')).count() == 2
            && !r.text.contains("taxi"),
        "{}",
        r.text
    );
    answers(&bot, &ann, "find sushi", "Nothing with “sushi”").await;
    answers(
        &bot,
        &ann,
        "give me the overview",
        "spent 51.50 USD in 5 expenses",
    )
    .await;
}

async fn corrections_by_message_change_the_entry(url: String) {
    let (bot, _) = bot(&url).await;
    let ben = person(Platform::Console, "ben");
    let lunch = entry_id(&say(&bot, &ben, "lunch 12").await);
    say(&bot, &ben, "coffee 4").await;
    let r = say(&bot, &ben, &format!("change {lunch} to 15")).await;
    assert!(
        r.text.contains("12.00 USD · food · lunch") && r.text.contains("15.00 USD · food · lunch"),
        "{}",
        r.text
    );
    answers(
        &bot,
        &ben,
        &format!("#{lunch} is entertainment"),
        "15.00 USD · entertainment · lunch",
    )
    .await;
    answers(
        &bot,
        &ben,
        "move the coffee to snacks",
        "4.00 USD · food · coffee",
    )
    .await;
    answers(
        &bot,
        &ben,
        "change the last one to 4.50",
        "4.50 USD · food · coffee",
    )
    .await;
    answers(&bot, &ben, "change 99999 to 5", "couldn't find").await;
    answers(
        &bot,
        &ben,
        &format!("change {lunch} to 0"),
        "more than zero",
    )
    .await;
    answers(
        &bot,
        &ben,
        "how much this month",
        "spent 19.50 USD in 2 expenses",
    )
    .await;
}
