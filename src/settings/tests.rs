//! The settings as a service reads them: defaults, the file, the environment, and one line
//! for every value that cannot be used.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn error_of(pairs: &[(&str, &str)]) -> String {
    match Settings::from_env(&env(pairs)) {
        Ok(_) => panic!("expected an error for {pairs:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn defaults_match_the_contract() {
    let s = Settings::from_env(&HashMap::new()).expect("defaults load");
    assert_eq!(
        s.database.url().expose_secret(),
        "sqlite://spendbot.db?mode=rwc"
    );
    assert_eq!(s.http.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(s.http.public_url, "http://127.0.0.1:8080");
    assert_eq!(s.defaults.currency, Currency::USD);
    assert_eq!(s.defaults.timezone, Tz::UTC);
    assert_eq!(s.log.filter, "info");
    assert_eq!(s.log.format, LogFormat::Text);
    assert!(s.telegram.bot_token.is_none());
    assert_eq!(s.telegram.api_url, "https://api.telegram.org");
    assert!(s.telegram.webhook_secret.is_none());
    assert!(s.discord.public_key.is_none());
    assert_eq!(s.discord.api_url, "https://discord.com/api/v10");
    assert!(s.email.sendgrid_api_key.is_none());
    assert_eq!(s.email.sendgrid_api_url, "https://api.sendgrid.com");
    assert_eq!(s.email.from, "spendbot@localhost");
}

#[test]
fn environment_values_are_parsed_into_types() {
    let s = Settings::from_env(&env(&[
        ("SPENDBOT_HTTP_ADDR", "0.0.0.0:9000"),
        ("SPENDBOT_DEFAULT_CURRENCY", "eur"),
        ("SPENDBOT_DEFAULT_TIMEZONE", "Europe/Madrid"),
        ("SPENDBOT_LOG_FORMAT", "json"),
        ("TELEGRAM_API_URL", "http://127.0.0.1:5555/"),
        ("TELEGRAM_BOT_TOKEN", "123:abc"),
    ]))
    .expect("loads");
    assert_eq!(s.http.addr.port(), 9000);
    assert_eq!(s.defaults.currency.code(), "EUR");
    assert_eq!(s.defaults.timezone, chrono_tz::Europe::Madrid);
    assert_eq!(s.log.format, LogFormat::Json);
    assert_eq!(s.telegram.api_url, "http://127.0.0.1:5555");
    assert_eq!(
        s.telegram.bot_token.as_ref().map(|t| t.expose_secret()),
        Some("123:abc")
    );
}

#[test]
fn empty_variables_count_as_unset() {
    let s = Settings::from_env(&env(&[("TELEGRAM_BOT_TOKEN", ""), ("DATABASE_URL", " ")]))
        .expect("loads");
    assert!(s.telegram.bot_token.is_none());
    assert!(s.database_url_redacted().starts_with("sqlite:"));
}

#[test]
fn debug_output_never_shows_a_secret() {
    let s = Settings::from_env(&env(&[
        (
            "DATABASE_URL",
            "postgres://app:hunter2pw@db.example:5432/spendbot",
        ),
        ("TELEGRAM_BOT_TOKEN", "123456:tg-token-secret"),
        ("TELEGRAM_WEBHOOK_SECRET", "webhook-secret-value"),
        ("SPENDBOT_PUBLIC_URL", "https://spend.example.com"),
        ("DISCORD_BOT_TOKEN", "discord-token-secret"),
        ("SENDGRID_API_KEY", "SG.sendgrid-key-secret"),
    ]))
    .expect("loads");
    let debug = format!("{s:?} {s:#?}");
    for secret in [
        "hunter2pw",
        "tg-token-secret",
        "webhook-secret-value",
        "discord-token-secret",
        "sendgrid-key-secret",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in {debug}");
    }
    assert!(
        debug.contains("db.example"),
        "the host is useful and not secret: {debug}"
    );
}

#[test]
fn the_redacted_database_url_hides_only_the_password() {
    let s = Settings::from_env(&env(&[(
        "DATABASE_URL",
        "mysql://root:s3cr3t@127.0.0.1:3306/spendbot?ssl-mode=disabled",
    )]))
    .expect("loads");
    assert_eq!(
        s.database_url_redacted(),
        "mysql://root:***@127.0.0.1:3306/spendbot?ssl-mode=disabled"
    );
    assert_eq!(
        redact_url("postgres://u@h/db?password=pw&sslmode=disable"),
        "postgres://u@h/db?password=***&sslmode=disable"
    );
    assert_eq!(
        redact_url("postgres://a:b:c@h@x/db"),
        "postgres://a:***@x/db"
    );
    assert_eq!(
        redact_url("postgres://u:p/ss@h/db"),
        "postgres://u:***@h/db"
    );
    assert_eq!(
        redact_url("sqlite://spendbot.db?mode=rwc"),
        "sqlite://spendbot.db?mode=rwc"
    );
    assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
}

#[test]
fn bad_values_give_one_line_naming_the_variable() {
    // 64 bytes that are not 64 hex digits.
    let (accented, not_hex) = ("é".repeat(32), "zz".repeat(32));
    let cases: &[(&str, &str)] = &[
        ("SPENDBOT_DEFAULT_CURRENCY", "XYZ"),
        ("SPENDBOT_DEFAULT_CURRENCY", "dollars"),
        ("SPENDBOT_DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("SPENDBOT_HTTP_ADDR", "localhost"),
        ("SPENDBOT_PUBLIC_URL", "ftp://x"),
        ("SPENDBOT_PUBLIC_URL", "http://"),
        ("SPENDBOT_PUBLIC_URL", "https://spend.example.com/?next=1"),
        ("TELEGRAM_API_URL", "http://exa mple.com"),
        ("SENDGRID_API_URL", "api.sendgrid.com"),
        ("DISCORD_API_URL", "https://"),
        ("SPENDBOT_LOG_FORMAT", "xml"),
        ("SPENDBOT_LOG", "[[["),
        ("DISCORD_PUBLIC_KEY", "nothex"),
        ("DISCORD_PUBLIC_KEY", &accented),
        ("DISCORD_PUBLIC_KEY", &not_hex),
        ("DISCORD_APPLICATION_ID", "my-app"),
        ("DISCORD_APPLICATION_ID", "0"),
        ("TELEGRAM_WEBHOOK_SECRET", "has spaces!"),
        ("DATABASE_URL", "oracle://x"),
        ("SPENDBOT_EMAIL_FROM", "nobody"),
    ];
    for (name, value) in cases {
        let e = error_of(&[(name, value)]);
        assert!(e.starts_with(name), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }
}

#[test]
fn telegram_webhooks_need_an_https_address_when_telegram_is_real() {
    let webhook = [
        ("TELEGRAM_BOT_TOKEN", "123:abc"),
        ("TELEGRAM_WEBHOOK_SECRET", "s3cret"),
    ];
    let e = error_of(&webhook);
    assert!(
        e.starts_with("SPENDBOT_PUBLIC_URL") && e.contains("https"),
        "{e}"
    );
    let mut secure = webhook.to_vec();
    secure.push(("SPENDBOT_PUBLIC_URL", "https://spend.example.com"));
    assert!(Settings::from_sources(None, &env(&secure)).is_ok());
    // A local API (a test's fake) takes webhooks on http.
    let mut local = webhook.to_vec();
    local.push(("TELEGRAM_API_URL", "http://127.0.0.1:5555"));
    assert!(Settings::from_sources(None, &env(&local)).is_ok());
}

#[test]
fn a_bad_database_url_error_hides_the_password() {
    let e = error_of(&[("DATABASE_URL", "oracle://u:topsecret@h/db")]);
    assert!(!e.contains("topsecret"), "{e}");
}

#[test]
fn the_file_is_read_and_the_environment_wins() {
    let file = r#"
        database_url = "sqlite://from-file.db"
        spendbot_default_currency = "EUR"
        default_timezone = "Asia/Kolkata"
        telegram_bot_token = "file-token"
    "#;
    let s = Settings::from_sources(
        Some(("test.toml", file)),
        &env(&[("SPENDBOT_DEFAULT_CURRENCY", "GBP")]),
    )
    .expect("loads");
    assert_eq!(s.database.url().expose_secret(), "sqlite://from-file.db");
    assert_eq!(s.defaults.currency.code(), "GBP");
    assert_eq!(s.defaults.timezone, chrono_tz::Asia::Kolkata);
    assert!(s.telegram.bot_token.is_some());
}

#[test]
fn an_unknown_file_key_is_one_line_naming_it() {
    let e = Settings::from_sources(Some(("x.toml", "databse_url = \"x\"\n")), &HashMap::new())
        .map(|_| ())
        .expect_err("unknown key");
    let e = e.to_string();
    assert!(
        e.contains("databse_url") && e.contains("x.toml") && !e.contains('\n'),
        "{e}"
    );
}

#[test]
fn invalid_toml_is_one_line_with_its_line_number() {
    let e = Settings::from_sources(
        Some(("x.toml", "\n\nthis is = = not toml")),
        &HashMap::new(),
    )
    .map(|_| ())
    .expect_err("bad toml")
    .to_string();
    assert!(e.contains("line 3") && !e.contains('\n'), "{e}");
}

#[test]
fn a_missing_file_is_one_line() {
    let e = Settings::load(
        &HashMap::new(),
        Some(Path::new("/nonexistent/spendbot.toml")),
    )
    .map(|_| ())
    .expect_err("missing")
    .to_string();
    assert!(
        e.contains("/nonexistent/spendbot.toml") && !e.contains('\n'),
        "{e}"
    );
}

#[test]
fn addresses_and_the_discord_key_are_typed() {
    let key = "0f".repeat(32);
    let s = Settings::from_env(&env(&[
        ("SPENDBOT_PUBLIC_URL", "https://Spend.Example.com/app/"),
        ("DISCORD_PUBLIC_KEY", key.as_str()),
    ]))
    .expect("valid settings");
    assert_eq!(s.http.public_url, "https://spend.example.com/app");
    assert!(s.http.public_url.is_https());
    assert_eq!(
        s.http.public_url.url().host_str(),
        Some("spend.example.com")
    );
    assert_eq!(s.discord.public_key, Some(Ed25519Key([0x0f; 32])));
}

#[test]
fn a_number_in_the_file_where_a_key_belongs_is_refused_naming_the_variable() {
    for (file, name) in [
        ("discord_public_key = 123\n", "DISCORD_PUBLIC_KEY"),
        (
            "telegram_bot_token = \"1:a\"\ntelegram_webhook_secret = 4.5\n",
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        ("default_currency = true\n", "SPENDBOT_DEFAULT_CURRENCY"),
    ] {
        let e = Settings::from_sources(Some(("x.toml", file)), &HashMap::new())
            .expect_err("refused")
            .to_string();
        assert!(e.starts_with(name) && !e.contains('\n'), "{file}: {e}");
    }
}
