//! Every example of every language file is a test, behind one `check` helper.

use chrono::NaiveDate;
use serde_json::Value;

use super::{Catalogue, ParseContext, contract_json};

const TODAY: &str = "2026-11-25";

/// Parses `text` and returns the contract JSON as a value.
fn parsed(cat: &Catalogue, lang: Option<&str>, today: &str, text: &str) -> Value {
    let today = NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap_or_default();
    let intent = cat.parse(text, &ParseContext { today, lang });
    serde_json::from_str(&contract_json(text, &intent)).unwrap_or(Value::Null)
}

fn field(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        Value::Object(o) => format!(
            "{}..{}",
            o.get("from").and_then(Value::as_str).unwrap_or("?"),
            o.get("to").and_then(Value::as_str).unwrap_or("?")
        ),
        other => other.to_string(),
    }
}

/// Checks every example of `cat`, in its own language and (for `en`) with no language given,
/// and returns one line per mismatch.
fn check(cat: &Catalogue) -> Vec<String> {
    let mut failures = Vec::new();
    for (lang, ex) in cat.examples() {
        let today = ex.today.as_deref().unwrap_or(TODAY);
        let langs: &[Option<&str>] = if lang == "en" {
            &[Some("en"), None]
        } else {
            &[Some(lang)]
        };
        for l in langs {
            let v = parsed(cat, *l, today, &ex.text);
            let mut wrong = Vec::new();
            let mut expect = |key: &str, want: Option<&String>| {
                if let Some(want) = want {
                    let got = field(&v, key);
                    if &got != want {
                        wrong.push(format!("{key}: want {want:?}, got {got:?}"));
                    }
                }
            };
            expect("intent", Some(&ex.intent));
            expect("amount", ex.amount.as_ref());
            expect("currency", ex.currency.as_ref());
            expect("category", ex.category.as_ref());
            expect("note", ex.note.as_ref());
            expect("date", ex.date.as_ref());
            expect("period", ex.period.as_ref());
            if let Some(n) = ex.items {
                let got = v["items"].as_array().map_or(0, Vec::len);
                if got != n {
                    wrong.push(format!("items: want {n}, got {got}"));
                }
            }
            if !wrong.is_empty() {
                failures.push(format!(
                    "[{}] {:?}: {}",
                    l.unwrap_or("*"),
                    ex.text,
                    wrong.join("; ")
                ));
            }
        }
    }
    failures
}

#[test]
fn every_catalogue_example_parses_as_written() {
    let cat = Catalogue::embedded();
    let failures = check(cat);
    let total = cat.examples().count();
    println!(
        "checked {total} examples in {:?}",
        cat.languages().collect::<Vec<_>>()
    );
    assert!(
        total >= 100,
        "the catalogue should carry plenty of examples, has {total}"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} examples fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_new_language_file_needs_no_code_change() {
    let french = r#"
code = "fr"
name = "Français"
date_order = "dmy"
[words]
expense = ["dépensé", "payé"]
stop = ["pour", "le", "la", "en", "de", "j'ai"]
summary = ["combien"]
[dates]
yesterday = ["hier"]
this = ["cette"]
week = ["semaine"]
[categories.food]
names = ["nourriture"]
keywords = ["déjeuner", "café"]
[[examples]]
text = "j'ai dépensé 12 pour le déjeuner hier"
intent = "add_expense"
amount = "12"
category = "food"
date = "2026-11-24"
[[examples]]
text = "combien cette semaine"
intent = "summary"
period = "2026-11-23..2026-11-29"
"#;
    let common = include_str!("../../intents/common.toml");
    let cat =
        Catalogue::from_sources(common, &[("fr.toml", french)]).expect("a valid language file");
    assert_eq!(cat.languages().collect::<Vec<_>>(), vec!["fr"]);
    let failures = check(&cat);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_broken_language_file_is_reported_not_panicked() {
    let common = include_str!("../../intents/common.toml");
    let err = Catalogue::from_sources(common, &[("xx.toml", "code = 1")]);
    assert!(err.is_err());
    let err = Catalogue::from_sources(
        common,
        &[(
            "xx.toml",
            "code = \"xx\"\nname = \"X\"\n[categories.nonsense]\nkeywords = [\"a\"]",
        )],
    );
    assert!(err.is_err());
}

#[test]
fn parsing_survives_hostile_input() {
    let cat = Catalogue::embedded();
    let long = "spent 12 on lunch ".repeat(6000);
    let inputs = [
        "",
        " ",
        "\u{0}\u{1}\u{2}",
        "🙂🙂🙂",
        "שלום 12 קפה",
        "مرحبا ١٢",
        long.as_str(),
        "/",
        "/@",
        "//add",
        "#",
        "$",
        "1/1/1/1/1",
        "99999999999999999999999999999999999 lunch",
        "0.0000000000000000000000000001 coffee",
        "-",
        "9/99",
        "31 february",
        "1e400",
        "\u{202e}12 lunch",
    ];
    for text in inputs {
        let v = parsed(cat, None, TODAY, text);
        assert!(v.is_object(), "no JSON for {text:?}");
        assert_eq!(v["text"], Value::String(text.to_owned()));
    }
}

#[test]
fn greetings_are_welcomed_and_chit_chat_is_unknown() {
    let cat = Catalogue::embedded();
    for text in ["hi", "hello there", "good morning", "hey!"] {
        assert_eq!(
            field(&parsed(cat, Some("en"), TODAY, text), "intent"),
            "help",
            "a greeting is welcomed: {text}"
        );
    }
    for text in ["thanks!", "how are you?", "I have 2 cats", "lol", "ok"] {
        assert_eq!(
            field(&parsed(cat, Some("en"), TODAY, text), "intent"),
            "unknown",
            "{text}"
        );
    }
}

#[test]
fn output_has_exactly_the_contract_keys() {
    let cat = Catalogue::embedded();
    let v = parsed(cat, None, TODAY, "spent 12 on lunch");
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "amount", "category", "currency", "date", "intent", "note", "period", "text"
        ]
    );
    let multi = parsed(cat, None, TODAY, "uber 12, coffee 5");
    assert_eq!(multi["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(multi["amount"], "17");
}

#[test]
fn settings_have_natural_language_forms() {
    use super::Intent;
    use crate::domain::Currency;
    let cat = Catalogue::embedded();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let parse = |text: &str| {
        cat.parse(
            text,
            &ParseContext {
                today,
                lang: Some("en"),
            },
        )
    };
    assert_eq!(
        parse("set my currency to EUR"),
        Intent::SetCurrency(Currency::parse("EUR"))
    );
    assert_eq!(
        parse("change currency to euros"),
        Intent::SetCurrency(Currency::parse("EUR"))
    );
    assert_eq!(
        parse("/currency rupees"),
        Intent::SetCurrency(Currency::parse("INR"))
    );
    assert_eq!(
        parse("my time zone is Europe/Madrid"),
        Intent::SetTimezone(Some("Europe/Madrid".into()))
    );
    assert_eq!(
        parse("/timezone America/New_York"),
        Intent::SetTimezone(Some("America/New_York".into()))
    );
    assert_eq!(parse("link my account"), Intent::Link { code: None });
    assert_eq!(
        parse("link ABCD2345"),
        Intent::Link {
            code: Some("ABCD2345".into())
        }
    );
    assert_eq!(
        parse("/link abcd2345"),
        Intent::Link {
            code: Some("abcd2345".into())
        }
    );
    assert_eq!(parse("what categories are there?"), Intent::Categories);
    assert_eq!(
        parse("/start link-ABCD2345"),
        Intent::Start {
            payload: Some("link-ABCD2345".into())
        }
    );
}
