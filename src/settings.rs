//! The service's configuration as one typed tree, read once at start.
//!
//! Layers, weakest first: built-in defaults, an optional TOML file (`--config FILE` or
//! `SPENDBOT_CONFIG`, keys are the variable names in lower case such as `database_url`), then
//! the environment. Every value is parsed here, at the edge, into the type the rest of the
//! program uses (a socket address, a [`Currency`], a [`Tz`]), so a bad value stops the program
//! at start with one line that names the variable.
//!
//! This module never reads the process environment by itself (callers pass a map, so tests
//! stay pure), never connects to anything, and never prints a secret: tokens, keys, the
//! webhook secret and the whole database URL are [`SecretString`]s, and
//! [`DatabaseSettings::url_redacted`] is the only way the URL is ever shown.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::Currency;

/// Why the settings cannot be loaded. Its `Display` is always one line and never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A variable (or file key) holds a value that cannot be used.
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    /// The configuration file cannot be read.
    #[error("config file {path}: {reason}")]
    File { path: PathBuf, reason: String },
    /// The configuration file is not valid TOML or has a key that is not a setting.
    #[error("config file {origin}: {reason}")]
    FileContent { origin: String, reason: String },
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where and how the database is reached.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// The whole URL is a secret because it may hold a password.
    url: SecretString,
}

impl DatabaseSettings {
    /// Builds database settings from a URL.
    pub fn new(url: &str) -> Self {
        Self {
            url: SecretString::from(url.to_owned()),
        }
    }

    /// The URL with its password; only for handing to the database driver.
    pub fn url(&self) -> &SecretString {
        &self.url
    }

    /// The URL with any password replaced by `***`, safe to log and to show in errors.
    pub fn url_redacted(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url_redacted())
            .finish()
    }
}

/// The HTTP side of `serve`.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `SPENDBOT_HTTP_ADDR`: where `serve` listens.
    pub addr: SocketAddr,
    /// `SPENDBOT_PUBLIC_URL`: the address users and webhooks reach, without a trailing slash.
    pub public_url: String,
}

/// What new accounts start with.
#[derive(Debug, Clone)]
pub struct DefaultsSettings {
    /// `SPENDBOT_DEFAULT_CURRENCY`.
    pub currency: Currency,
    /// `SPENDBOT_DEFAULT_TIMEZONE`.
    pub timezone: Tz,
}

/// Logging.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// `SPENDBOT_LOG`, in tracing `EnvFilter` syntax (checked at load).
    pub filter: String,
    /// `SPENDBOT_LOG_FORMAT`.
    pub format: LogFormat,
}

/// The Telegram adapter; off when there is no token.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// `TELEGRAM_BOT_TOKEN`; `None` turns Telegram off.
    pub bot_token: Option<SecretString>,
    /// `TELEGRAM_API_URL`, without a trailing slash.
    pub api_url: String,
    /// `TELEGRAM_WEBHOOK_SECRET`; `None` means long polling.
    pub webhook_secret: Option<SecretString>,
}

/// The Discord adapter; off when there is no public key.
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    /// `DISCORD_PUBLIC_KEY`, 64 hex digits. Not a secret: Discord publishes it, and it only
    /// verifies signatures.
    pub public_key: Option<String>,
    /// `DISCORD_APPLICATION_ID`: Discord's numeric id of the application.
    pub application_id: Option<std::num::NonZeroU64>,
    /// `DISCORD_BOT_TOKEN`.
    pub bot_token: Option<SecretString>,
    /// `DISCORD_API_URL`, version path included, without a trailing slash.
    pub api_url: String,
}

/// Email through SendGrid; off when there is no API key.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// `SENDGRID_API_KEY`; `None` turns email off.
    pub sendgrid_api_key: Option<SecretString>,
    /// `SENDGRID_API_URL`, without a trailing slash.
    pub sendgrid_api_url: String,
    /// `SPENDBOT_EMAIL_FROM`.
    pub from: String,
}

/// Every setting of the configuration table in docs/contract.md, typed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub defaults: DefaultsSettings,
    pub log: LogSettings,
    pub telegram: TelegramSettings,
    pub discord: DiscordSettings,
    pub email: EmailSettings,
}

/// Every variable this module reads, with its default (`None`: unset).
const VARIABLES: &[(&str, Option<&str>)] = &[
    ("DATABASE_URL", Some("sqlite://spendbot.db?mode=rwc")),
    ("SPENDBOT_HTTP_ADDR", Some("127.0.0.1:8080")),
    ("SPENDBOT_PUBLIC_URL", Some("http://127.0.0.1:8080")),
    ("SPENDBOT_DEFAULT_CURRENCY", Some("USD")),
    ("SPENDBOT_DEFAULT_TIMEZONE", Some("UTC")),
    ("SPENDBOT_LOG", Some("info")),
    ("SPENDBOT_LOG_FORMAT", Some("text")),
    ("TELEGRAM_BOT_TOKEN", None),
    ("TELEGRAM_API_URL", Some("https://api.telegram.org")),
    ("TELEGRAM_WEBHOOK_SECRET", None),
    ("DISCORD_PUBLIC_KEY", None),
    ("DISCORD_APPLICATION_ID", None),
    ("DISCORD_BOT_TOKEN", None),
    ("DISCORD_API_URL", Some("https://discord.com/api/v10")),
    ("SENDGRID_API_KEY", None),
    ("SENDGRID_API_URL", Some("https://api.sendgrid.com")),
    ("SPENDBOT_EMAIL_FROM", Some("spendbot@localhost")),
];

/// The environment variable that names a configuration file when `--config` is not given.
pub const CONFIG_FILE_VARIABLE: &str = "SPENDBOT_CONFIG";

impl Settings {
    /// Loads the settings from an environment map, reading the TOML file named by
    /// `config_file` or, when that is `None`, by `SPENDBOT_CONFIG` in `env`.
    pub fn load(
        env: &HashMap<String, String>,
        config_file: Option<&Path>,
    ) -> Result<Self, SettingsError> {
        let from_env = env
            .get(CONFIG_FILE_VARIABLE)
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from);
        match config_file.map(Path::to_path_buf).or(from_env) {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| SettingsError::File {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                Self::from_sources(Some((&path.display().to_string(), &text)), env)
            }
            None => Self::from_sources(None, env),
        }
    }

    /// Loads the settings from the environment map alone.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        Self::from_sources(None, env)
    }

    /// Loads the settings from a TOML text (with a name for errors) and an environment map;
    /// the environment wins. No I/O.
    pub fn from_sources(
        file: Option<(&str, &str)>,
        env: &HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let mut raw: BTreeMap<&'static str, String> = BTreeMap::new();
        if let Some((origin, text)) = file {
            raw.extend(read_toml(origin, text)?);
        }
        for (name, _) in VARIABLES {
            // An empty variable counts as unset, as most shells and container tools expect.
            if let Some(value) = env.get(*name).filter(|v| !v.trim().is_empty()) {
                raw.insert(name, value.clone());
            }
        }
        Self::from_raw(&raw)
    }

    fn from_raw(raw: &BTreeMap<&'static str, String>) -> Result<Self, SettingsError> {
        let get = |name: &'static str| -> Option<String> {
            raw.get(name).cloned().or_else(|| {
                VARIABLES
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, d)| d.map(str::to_owned))
            })
        };
        let required = |name: &'static str| -> String { get(name).unwrap_or_default() };
        let secret = |name: &'static str| get(name).map(SecretString::from);

        let database = parse_database_url(&required("DATABASE_URL"))?;
        let http = HttpSettings {
            addr: parse_addr(&required("SPENDBOT_HTTP_ADDR"))?,
            public_url: parse_http_url("SPENDBOT_PUBLIC_URL", &required("SPENDBOT_PUBLIC_URL"))?,
        };
        let defaults = DefaultsSettings {
            currency: parse_currency(&required("SPENDBOT_DEFAULT_CURRENCY"))?,
            timezone: parse_timezone(&required("SPENDBOT_DEFAULT_TIMEZONE"))?,
        };
        let log = LogSettings {
            filter: parse_log_filter(&required("SPENDBOT_LOG"))?,
            format: parse_log_format(&required("SPENDBOT_LOG_FORMAT"))?,
        };
        let telegram = TelegramSettings {
            bot_token: secret("TELEGRAM_BOT_TOKEN"),
            api_url: parse_http_url("TELEGRAM_API_URL", &required("TELEGRAM_API_URL"))?,
            webhook_secret: get("TELEGRAM_WEBHOOK_SECRET")
                .map(|s| parse_webhook_secret(&s))
                .transpose()?,
        };
        check_webhook_reachable(&telegram, &http)?;
        let discord = DiscordSettings {
            public_key: get("DISCORD_PUBLIC_KEY")
                .map(|k| parse_public_key(&k))
                .transpose()?,
            application_id: get("DISCORD_APPLICATION_ID")
                .map(|s| parse_application_id(&s))
                .transpose()?,
            bot_token: secret("DISCORD_BOT_TOKEN"),
            api_url: parse_http_url("DISCORD_API_URL", &required("DISCORD_API_URL"))?,
        };
        let email = EmailSettings {
            sendgrid_api_key: secret("SENDGRID_API_KEY"),
            sendgrid_api_url: parse_http_url("SENDGRID_API_URL", &required("SENDGRID_API_URL"))?,
            from: parse_email(&required("SPENDBOT_EMAIL_FROM"))?,
        };
        Ok(Self {
            database,
            http,
            defaults,
            log,
            telegram,
            discord,
            email,
        })
    }

    /// The database URL with its password hidden.
    pub fn database_url_redacted(&self) -> String {
        self.database.url_redacted()
    }
}

/// Reads the TOML file's keys into variable names; unknown keys and non-scalar values are
/// errors, so a typo in the file is never silently ignored.
fn read_toml(origin: &str, text: &str) -> Result<BTreeMap<&'static str, String>, SettingsError> {
    let content = |reason: String| SettingsError::FileContent {
        origin: origin.to_owned(),
        reason,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|span| {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        });
        content(format!(
            "not valid TOML: {}{}",
            one_line(e.message()),
            at.unwrap_or_default()
        ))
    })?;
    let mut out = BTreeMap::new();
    for (key, value) in table {
        let Some(name) = variable_for_key(&key) else {
            let known: Vec<String> = VARIABLES.iter().map(|(n, _)| n.to_lowercase()).collect();
            return Err(content(format!(
                "unknown key `{}` (known keys: {})",
                one_line(&key),
                known.join(", ")
            )));
        };
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => return Err(content(format!("key `{key}` must be a string"))),
        };
        if !value.trim().is_empty() {
            out.insert(name, value);
        }
    }
    Ok(out)
}

/// The variable a file key stands for: the variable's name in lower case, also accepted
/// without its `spendbot_` prefix (`http_addr` for `SPENDBOT_HTTP_ADDR`).
fn variable_for_key(key: &str) -> Option<&'static str> {
    VARIABLES.iter().map(|(n, _)| *n).find(|name| {
        let lower = name.to_lowercase();
        key == lower || lower.strip_prefix("spendbot_") == Some(key)
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn invalid(name: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// Shows at most a short, single-line prefix of a user-given value in an error.
fn shown(value: &str) -> String {
    let v: String = value.chars().filter(|c| !c.is_control()).take(64).collect();
    format!("{v:?}")
}

fn parse_database_url(url: &str) -> Result<DatabaseSettings, SettingsError> {
    let url = url.trim();
    let known = [
        "sqlite:",
        "postgres://",
        "postgresql://",
        "mysql://",
        "mariadb://",
    ];
    if !known
        .iter()
        .any(|p| url.to_ascii_lowercase().starts_with(p))
    {
        return Err(invalid(
            "DATABASE_URL",
            format!(
                "{} is not a sqlite:, postgres:// or mysql:// URL",
                shown(&redact_url(url))
            ),
        ));
    }
    Ok(DatabaseSettings::new(url))
}

fn parse_addr(value: &str) -> Result<SocketAddr, SettingsError> {
    value.trim().parse().map_err(|_| {
        invalid(
            "SPENDBOT_HTTP_ADDR",
            format!(
                "{} is not an IP address with a port, such as 127.0.0.1:8080",
                shown(value)
            ),
        )
    })
}

fn parse_http_url(name: &'static str, value: &str) -> Result<String, SettingsError> {
    let v = value.trim();
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"));
    match rest {
        Some(rest)
            if !rest.is_empty() && !rest.starts_with('/') && !v.contains(char::is_whitespace) =>
        {
            Ok(v.trim_end_matches('/').to_owned())
        }
        _ => Err(invalid(
            name,
            format!("{} is not an http:// or https:// URL", shown(v)),
        )),
    }
}

fn parse_currency(value: &str) -> Result<Currency, SettingsError> {
    let code = value.trim().to_ascii_uppercase();
    match Currency::parse(&code) {
        Some(c) => Ok(c),
        _ => Err(invalid(
            "SPENDBOT_DEFAULT_CURRENCY",
            format!(
                "{} is not an ISO 4217 currency code such as USD or EUR",
                shown(value)
            ),
        )),
    }
}

fn parse_timezone(value: &str) -> Result<Tz, SettingsError> {
    value.trim().parse::<Tz>().map_err(|_| {
        invalid(
            "SPENDBOT_DEFAULT_TIMEZONE",
            format!(
                "{} is not an IANA time zone such as UTC or Europe/Madrid",
                shown(value)
            ),
        )
    })
}

fn parse_log_filter(value: &str) -> Result<String, SettingsError> {
    let v = value.trim();
    tracing_subscriber::EnvFilter::builder()
        .parse(v)
        .map(|_| v.to_owned())
        .map_err(|e| {
            invalid(
                "SPENDBOT_LOG",
                format!(
                    "{} is not a log filter: {}",
                    shown(v),
                    one_line(&e.to_string())
                ),
            )
        })
}

fn parse_log_format(value: &str) -> Result<LogFormat, SettingsError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "json" => Ok(LogFormat::Json),
        "text" | "plain" | "pretty" | "full" => Ok(LogFormat::Text),
        _ => Err(invalid(
            "SPENDBOT_LOG_FORMAT",
            format!("{} is neither `json` nor `text`", shown(value)),
        )),
    }
}

/// Discord's application id: a positive number (a snowflake).
fn parse_application_id(value: &str) -> Result<std::num::NonZeroU64, SettingsError> {
    value.trim().parse().map_err(|_| {
        invalid(
            "DISCORD_APPLICATION_ID",
            format!(
                "{} is not Discord's numeric application id",
                shown(value.trim())
            ),
        )
    })
}

/// Telegram's webhook secret: 1 to 256 of `A-Z a-z 0-9 _ -`, or `setWebhook` refuses it.
fn parse_webhook_secret(value: &str) -> Result<SecretString, SettingsError> {
    let v = value.trim();
    let fine = (1..=256).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if fine {
        Ok(SecretString::from(v.to_owned()))
    } else {
        Err(invalid(
            "TELEGRAM_WEBHOOK_SECRET",
            "must be 1 to 256 letters, digits, _ or - (Telegram refuses anything else)",
        ))
    }
}

/// The real Telegram sends webhooks to https addresses only: with a webhook secret and
/// Telegram's own API, the public URL must be https (a local test API may use http).
fn check_webhook_reachable(t: &TelegramSettings, http: &HttpSettings) -> Result<(), SettingsError> {
    let real_telegram = t.api_url.starts_with("https://api.telegram.org");
    let webhook = t.bot_token.is_some() && t.webhook_secret.is_some();
    if webhook && real_telegram && !http.public_url.starts_with("https://") {
        return Err(invalid(
            "SPENDBOT_PUBLIC_URL",
            "must be an https:// address: Telegram delivers webhooks over https only",
        ));
    }
    Ok(())
}

fn parse_public_key(value: &str) -> Result<String, SettingsError> {
    let v = value.trim();
    if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(invalid(
            "DISCORD_PUBLIC_KEY",
            "must be the application's public key: 64 hex digits",
        ))
    }
}

fn parse_email(value: &str) -> Result<String, SettingsError> {
    crate::domain::EmailAddress::parse(value)
        .map(crate::domain::EmailAddress::into_string)
        .map_err(|_| {
            invalid(
                "SPENDBOT_EMAIL_FROM",
                format!("{} is not an email address", shown(value.trim())),
            )
        })
}

/// Replaces the password of a URL's user info, and any `password=` query parameter, with
/// `***`. Works on any scheme and never fails: text it does not understand is kept, except
/// that a user-info part whose shape is unclear is hidden whole.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    // The user info ends at the last `@` before the query; searching that far (rather than
    // to the first `/`) keeps an unencoded `/` in a password from leaking it.
    let query_start = rest.find(['?', '#']).unwrap_or(rest.len());
    let (authority, tail) = match rest[..query_start].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let after = &rest[at + 1..];
            let user = match userinfo.split_once(':') {
                Some((user, _password)) => format!("{user}:***"),
                None => userinfo.to_owned(),
            };
            (format!("{user}@"), after)
        }
        None => (String::new(), rest),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

#[cfg(test)]
mod tests {
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
        let cases: &[(&str, &str)] = &[
            ("SPENDBOT_DEFAULT_CURRENCY", "XYZ"),
            ("SPENDBOT_DEFAULT_CURRENCY", "dollars"),
            ("SPENDBOT_DEFAULT_TIMEZONE", "Mars/Olympus"),
            ("SPENDBOT_HTTP_ADDR", "localhost"),
            ("SPENDBOT_PUBLIC_URL", "ftp://x"),
            ("SPENDBOT_LOG_FORMAT", "xml"),
            ("SPENDBOT_LOG", "[[["),
            ("DISCORD_PUBLIC_KEY", "nothex"),
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
}
