//! The binary as a user and an operator see it: subcommands, exit statuses, one-line errors,
//! `parse` on any input, `chat` through a pipe, `serve` stopping on SIGTERM.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helpers::{command, free_port, spendbot, workdir};

/// A PostgreSQL URL on a port nothing listens on, with a password that must never be shown.
const UNREACHABLE_DB: &str = "postgres://spendbot:do-not-print-me@127.0.0.1:1/spendbot";

#[test]
fn every_subcommand_has_help() {
    let dir = workdir();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["chat", "--help"],
        &["parse", "--help"],
        &["migrate", "--help"],
    ] {
        let out = spendbot(dir.path(), args, &[], b"");
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(out.stdout.contains("Usage"), "{args:?}: {out:?}");
    }
    let out = spendbot(dir.path(), &["--help"], &[], b"");
    for sub in ["serve", "chat", "parse", "migrate"] {
        assert!(
            out.stdout.contains(sub),
            "--help lists {sub}: {}",
            out.stdout
        );
    }
}

#[test]
fn an_unknown_subcommand_is_one_line_and_exit_2() {
    let out = spendbot(workdir().path(), &["frobnicate"], &[], b"");
    out.assert_one_line_error();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn migrate_creates_a_fresh_sqlite_database_and_exits_0() {
    let dir = workdir();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("fresh.db").display()
    );
    let out = spendbot(dir.path(), &["migrate"], &[("DATABASE_URL", &url)], b"");
    assert!(out.status.success(), "{out:?}");
    assert!(dir.path().join("fresh.db").exists());
    let again = spendbot(dir.path(), &["migrate"], &[("DATABASE_URL", &url)], b"");
    assert!(
        again.status.success(),
        "migrating twice is a no-op: {again:?}"
    );
}

#[test]
fn migrate_with_an_unreachable_database_exits_nonzero_with_one_line() {
    let out = spendbot(
        workdir().path(),
        &["migrate"],
        &[("DATABASE_URL", UNREACHABLE_DB)],
        b"",
    );
    out.assert_one_line_error();
    assert!(
        !out.stderr.contains("do-not-print-me"),
        "the password leaked: {out:?}"
    );
    assert!(
        out.stderr.contains("127.0.0.1:1"),
        "the error names the database: {out:?}"
    );
}

#[test]
fn serve_refuses_to_start_on_an_unreachable_database_with_one_line() {
    let port = free_port().to_string();
    let addr = format!("127.0.0.1:{port}");
    let out = spendbot(
        workdir().path(),
        &["serve"],
        &[
            ("DATABASE_URL", UNREACHABLE_DB),
            ("SPENDBOT_HTTP_ADDR", &addr),
            ("SPENDBOT_LOG", "off"),
        ],
        b"",
    );
    out.assert_one_line_error();
    assert!(!out.stderr.contains("do-not-print-me"), "{out:?}");
}

#[test]
fn bad_currency_setting_is_one_line_error() {
    let dir = workdir();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
    let out = spendbot(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", &url), ("SPENDBOT_DEFAULT_CURRENCY", "XYZ")],
        b"",
    );
    out.assert_one_line_error();
    assert!(out.stderr.contains("SPENDBOT_DEFAULT_CURRENCY"), "{out:?}");
    assert!(
        !dir.path().join("x.db").exists(),
        "nothing is touched on bad configuration"
    );
}

#[test]
fn bad_timezone_and_address_settings_are_one_line_errors() {
    for (name, value) in [
        ("SPENDBOT_DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
        ("SPENDBOT_HTTP_ADDR", "not-an-address"),
    ] {
        let out = spendbot(workdir().path(), &["serve"], &[(name, value)], b"");
        out.assert_one_line_error();
        assert!(out.stderr.contains(name), "{out:?}");
    }
}

#[test]
fn a_config_file_sets_the_database_and_an_unknown_key_is_one_line() {
    let dir = workdir();
    let db = dir.path().join("from-file.db");
    let file = dir.path().join("spendbot.toml");
    std::fs::write(
        &file,
        format!("database_url = \"sqlite://{}?mode=rwc\"\n", db.display()),
    )
    .expect("writes the config file");
    let file_arg = file.display().to_string();
    let out = spendbot(dir.path(), &["--config", &file_arg, "migrate"], &[], b"");
    assert!(out.status.success(), "{out:?}");
    assert!(db.exists(), "the file's database_url was used");

    std::fs::write(&file, "databse_url = \"x\"\n").expect("writes the config file");
    let out = spendbot(
        dir.path(),
        &["migrate"],
        &[("SPENDBOT_CONFIG", &file_arg)],
        b"",
    );
    out.assert_one_line_error();
    assert!(out.stderr.contains("databse_url"), "{out:?}");
}

/// The keys every `parse` object has (docs/contract.md); `items` only for several expenses.
const KEYS: [&str; 8] = [
    "text", "intent", "amount", "currency", "category", "note", "date", "period",
];

fn parse_lines(stdout: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    stdout
        .lines()
        .map(
            |line| match serde_json::from_str::<serde_json::Value>(line) {
                Ok(serde_json::Value::Object(map)) => map,
                other => panic!("not a JSON object: {line:?} ({other:?})"),
            },
        )
        .collect()
}

fn assert_contract_keys(object: &serde_json::Map<String, serde_json::Value>) {
    for key in KEYS {
        assert!(object.contains_key(key), "missing {key} in {object:?}");
    }
    for key in object.keys() {
        assert!(
            KEYS.contains(&key.as_str()) || key == "items",
            "unexpected key {key} in {object:?}"
        );
    }
}

#[test]
fn parse_prints_one_json_object_per_line() {
    let input = "spent 12 on lunch\ncoffee 3.50 yesterday\nundo\n";
    let out = spendbot(
        workdir().path(),
        &["parse", "--today", "2026-11-25"],
        // parse touches no database: an unreachable one changes nothing.
        &[("DATABASE_URL", UNREACHABLE_DB)],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{out:?}");
    let objects = parse_lines(&out.stdout);
    assert_eq!(objects.len(), 3, "{out:?}");
    for (object, line) in objects.iter().zip(input.lines()) {
        assert_contract_keys(object);
        assert_eq!(object["text"], line);
    }
}

#[test]
fn parse_survives_hostile_input() {
    let long = "spent 12 on ".to_owned() + &"lunch ".repeat(100_000 / 6);
    let mut input: Vec<u8> = Vec::new();
    let lines: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        long.into_bytes(),
        b"\x01\x02\x1b[31m\x7f 12 \x00 coffee".to_vec(),
        "🍕🍕🍕".as_bytes().to_vec(),
        "دفعت ١٢ على الغداء \u{202E}12 lunch".as_bytes().to_vec(),
        b"caf\xe9 12 \xff\xfe".to_vec(),
        b"   ".to_vec(),
        b"windows line\r".to_vec(),
    ];
    for line in &lines {
        input.extend_from_slice(line);
        input.push(b'\n');
    }
    let dir = workdir();
    let out = spendbot(dir.path(), &["parse"], &[], &input);
    assert!(out.status.success(), "{:?}", out.stderr);
    assert!(out.stderr.is_empty(), "{:?}", out.stderr);
    let objects = parse_lines(&out.stdout);
    assert_eq!(objects.len(), lines.len());
    for object in &objects {
        assert_contract_keys(object);
    }
    assert_eq!(objects[0]["text"], "");
    assert_eq!(objects[3]["text"], "🍕🍕🍕");
    assert_eq!(objects[7]["text"], "windows line");
    assert!(
        !dir.path().join("spendbot.db").exists(),
        "parse created a database"
    );
}

#[test]
fn parse_refuses_bad_arguments_with_one_line_and_exit_2() {
    for args in [
        &["parse", "--tz", "Mars/Olympus_Mons"][..],
        &["parse", "--today", "25/11/2026"],
        &["parse", "--lang", "xx-not-a-language"],
    ] {
        let out = spendbot(workdir().path(), args, &[], b"coffee 3\n");
        out.assert_one_line_error();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
}

#[test]
fn chat_works_from_a_pipe() {
    let dir = workdir();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("chat.db").display());
    let out = spendbot(
        dir.path(),
        &["chat", "--as", "alice"],
        &[("DATABASE_URL", &url)],
        b"spent 12 on lunch\n\n   \nhow much this week?\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        !out.stdout.starts_with("> "),
        "no prompt when piped: {out:?}"
    );
    // Two messages (the blank lines are skipped), each answered with some text.
    assert!(
        out.stdout.lines().filter(|l| !l.trim().is_empty()).count() >= 2,
        "{out:?}"
    );
    assert!(
        dir.path().join("chat.db").exists(),
        "chat applied the migrations"
    );
}

#[test]
fn chat_with_an_unreachable_database_is_one_line() {
    let out = spendbot(
        workdir().path(),
        &["chat"],
        &[("DATABASE_URL", UNREACHABLE_DB)],
        b"hi\n",
    );
    out.assert_one_line_error();
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    let dir = workdir();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("serve.db").display()
    );
    let addr = format!("127.0.0.1:{}", free_port());
    let token = "123456:never-print-this-token";
    let mut child = command(
        dir.path(),
        &["serve"],
        &[
            ("DATABASE_URL", &url),
            ("SPENDBOT_HTTP_ADDR", &addr),
            ("TELEGRAM_BOT_TOKEN", token),
            // A closed port: every Bot API call fails, and its error must not show the token.
            ("TELEGRAM_API_URL", "http://127.0.0.1:9"),
        ],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("serve starts");

    let healthz = format!("http://{addr}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match reqwest::get(&healthz).await {
            Ok(r) if r.status().as_u16() == 200 => break,
            _ if Instant::now() > deadline => {
                let _ = child.kill();
                panic!(
                    "serve did not answer /healthz within 30 s: {:?}",
                    child.wait_with_output()
                );
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(
        killed.map(|s| s.success()).unwrap_or(false),
        "kill -TERM worked"
    );
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("the waiter does not panic")
        .expect("serve exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    assert!(stderr.contains("telegram: on (long polling)"), "{stderr}");
    assert!(
        stderr.contains("discord: off (DISCORD_PUBLIC_KEY not set)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("email: off (SENDGRID_API_KEY not set)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("never-print-this-token"),
        "the token leaked: {stderr}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = workdir();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("j.db").display());
    let out = spendbot(
        dir.path(),
        &["migrate"],
        &[
            ("DATABASE_URL", &url),
            ("SPENDBOT_LOG_FORMAT", "json"),
            ("SPENDBOT_LOG", "info"),
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    assert!(
        !out.stderr.trim().is_empty(),
        "migrate logs at info: {out:?}"
    );
    for line in out.stderr.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line:?}"
        );
    }
}
