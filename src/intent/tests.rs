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

/// The catalogue as the files of `intents/` are on disk now, read at run time, so that a
/// language file can be checked while it is written without building again.
fn catalogue_on_disk(checked: &str) -> Result<Catalogue, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("intents");
    let read = |p: &std::path::Path| std::fs::read_to_string(p).map_err(|e| format!("{p:?}: {e}"));
    let common = read(&dir.join("common.toml"))?;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".toml") && name != "common.toml" {
            let text = read(&entry.path())?;
            // Another language file half written leaves the one checked alone.
            let own = name == format!("{checked}.toml");
            if own || Catalogue::from_sources(&common, &[(&name, &text)]).is_ok() {
                files.push((name, text));
            } else {
                println!("(skipping {name}: it is not valid now)");
            }
        }
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Catalogue::from_sources(&common, &files).map_err(|e| e.to_string())
}

/// One message of a test set in `tests/corpus/`: what a person means by it. Unlike an
/// example, every field is checked: one left out must parse as `null`. `"any"` skips a field.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    text: String,
    intent: String,
    #[serde(default)]
    amount: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    items: Option<usize>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Corpus {
    messages: Vec<Message>,
}

/// How well a language's test set is understood.
#[derive(Debug, Default)]
struct Score {
    total: usize,
    /// Intent, amount, currency, date and period all right.
    complete: usize,
    with_category: usize,
    category_right: usize,
    failures: Vec<String>,
}

impl Score {
    fn complete_pct(&self) -> f64 {
        pct(self.complete, self.total)
    }

    fn category_pct(&self) -> f64 {
        pct(self.category_right, self.with_category)
    }
}

fn pct(n: usize, of: usize) -> f64 {
    if of == 0 {
        100.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// The test sets on disk: `(language code, messages)`.
fn corpora() -> Vec<(String, Vec<Message>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(code) = name.strip_suffix(".toml") else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        match toml::from_str::<Corpus>(&text) {
            Ok(c) => out.push((code.to_owned(), c.messages)),
            Err(e) => panic!("tests/corpus/{name} is not a valid test set: {e}"),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Parses like the bot: in the language given, then in the language of the words when that
/// finds nothing.
fn understood(cat: &Catalogue, lang: Option<&str>, text: &str) -> Value {
    let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap_or_default();
    let intent = cat.understand(text, &ParseContext { today, lang });
    serde_json::from_str(&contract_json(text, &intent)).unwrap_or(Value::Null)
}

/// Scores one test set, parsed in `lang` (`None`: the language is not known).
fn score(cat: &Catalogue, lang: Option<&str>, messages: &[Message]) -> Score {
    let mut s = Score::default();
    for m in messages {
        let v = understood(cat, lang, &m.text);
        let mut wrong = Vec::new();
        let strict = [
            ("intent", Some(&m.intent)),
            ("amount", m.amount.as_ref()),
            ("currency", m.currency.as_ref()),
            ("date", m.date.as_ref()),
            ("period", m.period.as_ref()),
        ];
        for (key, want) in strict {
            let want = want.map_or("null", String::as_str);
            let got = field(&v, key);
            if want != "any" && got != want {
                wrong.push(format!("{key}: want {want}, got {got}"));
            }
        }
        if let Some(n) = m.items {
            let got = v["items"].as_array().map_or(0, Vec::len);
            if got != n {
                wrong.push(format!("items: want {n}, got {got}"));
            }
        }
        s.total += 1;
        if wrong.is_empty() {
            s.complete += 1;
        }
        if let Some(want) = m.category.as_deref().filter(|c| *c != "any") {
            s.with_category += 1;
            let got = field(&v, "category");
            if got == want {
                s.category_right += 1;
            } else {
                wrong.push(format!("category: want {want}, got {got}"));
            }
        }
        if !wrong.is_empty() {
            s.failures
                .push(format!("{:?}: {}", m.text, wrong.join("; ")));
        }
    }
    s
}

/// The share of each language's test set that must parse completely, and of categories.
const COMPLETE_EN: f64 = 97.0;
const COMPLETE_OTHER: f64 = 90.0;
const CATEGORY: f64 = 92.0;

#[test]
fn test_sets_are_understood() {
    let cat = Catalogue::embedded();
    let mut short = Vec::new();
    for (code, messages) in corpora() {
        let s = score(cat, Some(&code), &messages);
        let unknown_lang = score(cat, None, &messages);
        println!(
            "{code}: {}/{} complete ({:.1} %), category {:.1} %; language not given: {:.1} %",
            s.complete,
            s.total,
            s.complete_pct(),
            s.category_pct(),
            unknown_lang.complete_pct(),
        );
        let need = if code == "en" {
            COMPLETE_EN
        } else {
            COMPLETE_OTHER
        };
        let min = if code == "en" { 300 } else { 100 };
        if s.total < min || s.complete_pct() < need || s.category_pct() < CATEGORY {
            short.push(format!(
                "{code}: {} messages (need {min}), {:.1} % complete (need {need}), category {:.1} % (need {CATEGORY}):\n  {}",
                s.total,
                s.complete_pct(),
                s.category_pct(),
                s.failures.join("\n  ")
            ));
        }
    }
    assert!(short.is_empty(), "{}", short.join("\n"));
}

/// `SPENDBOT_LANGCHECK=pt cargo test -- --ignored language_report`: the examples and test set
/// of one language, against the files as they are on disk now.
#[test]
#[ignore = "a tool for writing language files, run on demand"]
fn language_report() {
    let code = std::env::var("SPENDBOT_LANGCHECK").unwrap_or_else(|_| "en".into());
    let cat = match catalogue_on_disk(&code) {
        Ok(cat) => cat,
        Err(e) => panic!("the catalogue on disk is invalid: {e}"),
    };
    if let Ok(lines) = std::env::var("SPENDBOT_LANGCHECK_TEXT") {
        let lang = (code != "*").then_some(code.as_str());
        for line in lines.lines() {
            let v = understood(&cat, lang, line);
            println!("{v}");
            if v["intent"] == "unknown" {
                let today = NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap_or_default();
                println!("  {:?}", cat.parse(line, &ParseContext { today, lang }));
            }
        }
        return;
    }
    let failures: Vec<String> = check(&cat)
        .into_iter()
        .filter(|f| f.starts_with(&format!("[{code}]")) || (code == "en" && f.starts_with("[*]")))
        .collect();
    let examples = cat.examples().filter(|(l, _)| *l == code).count();
    println!("{code}: {} of {examples} examples fail", failures.len());
    for f in &failures {
        println!("  {f}");
    }
    for (c, messages) in corpora().iter().filter(|(c, _)| *c == code) {
        let s = score(&cat, Some(c), messages);
        let unknown_lang = score(&cat, None, messages);
        println!(
            "test set {c}: {}/{} complete ({:.1} %), category {:.1} % ({}/{}); language not given: {:.1} %",
            s.complete,
            s.total,
            s.complete_pct(),
            s.category_pct(),
            s.category_right,
            s.with_category,
            unknown_lang.complete_pct(),
        );
        for f in &s.failures {
            println!("  {f}");
        }
    }
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
fn every_language_answers_in_its_own_words() {
    let cat = Catalogue::embedded();
    let english = cat
        .language("en")
        .map(|l| l.file.replies.keys().collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(english.len() > 50, "English has the replies");
    for code in cat.languages() {
        let Some(lang) = cat.language(code) else {
            continue;
        };
        let missing: Vec<&&String> = english
            .iter()
            .filter(|k| !lang.file.replies.contains_key(k.as_str()))
            .collect();
        assert!(missing.is_empty(), "{code} has no words for {missing:?}");
        for (key, text) in &lang.file.replies {
            let Some(en) = cat.language("en").and_then(|l| l.file.replies.get(key)) else {
                continue;
            };
            for placeholder in en.split('{').skip(1).filter_map(|p| p.split_once('}')) {
                assert!(
                    text.contains(&format!("{{{}}}", placeholder.0)),
                    "{code}.{key} lacks {{{}}}",
                    placeholder.0
                );
            }
        }
    }
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

#[test]
fn a_delete_of_something_that_names_no_entry_is_unclear_not_the_last_one() {
    use super::{DeleteTarget, Intent};
    let cat = Catalogue::embedded();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let ctx = ParseContext {
        today,
        lang: Some("en"),
    };
    for (text, expected) in [
        ("delete 50%", DeleteTarget::Unclear),
        ("delete %", DeleteTarget::Unclear),
        ("delete", DeleteTarget::Last),
        ("delete last", DeleteTarget::Last),
        ("delete the last one", DeleteTarget::Last),
        ("delete 42", DeleteTarget::Id(42)),
        ("delete the coffee", DeleteTarget::Matching("coffee".into())),
    ] {
        assert_eq!(cat.parse(text, &ctx), Intent::Delete(expected), "{text}");
    }
}
