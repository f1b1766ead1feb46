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

mod values;

use values::*;
pub use values::{Ed25519Key, HttpUrl, redact_url};

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
    pub public_url: HttpUrl,
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
    pub api_url: HttpUrl,
    /// `TELEGRAM_WEBHOOK_SECRET`; `None` means long polling.
    pub webhook_secret: Option<SecretString>,
}

/// The Discord adapter; off when there is no public key.
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    /// `DISCORD_PUBLIC_KEY`, 64 hex digits read as 32 bytes. Not a secret: Discord publishes it, and it only
    /// verifies signatures.
    pub public_key: Option<Ed25519Key>,
    /// `DISCORD_APPLICATION_ID`: Discord's numeric id of the application.
    pub application_id: Option<std::num::NonZeroU64>,
    /// `DISCORD_BOT_TOKEN`.
    pub bot_token: Option<SecretString>,
    /// `DISCORD_API_URL`, version path included, without a trailing slash.
    pub api_url: HttpUrl,
}

/// Email through SendGrid; off when there is no API key.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// `SENDGRID_API_KEY`; `None` turns email off.
    pub sendgrid_api_key: Option<SecretString>,
    /// `SENDGRID_API_URL`, without a trailing slash.
    pub sendgrid_api_url: HttpUrl,
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

#[cfg(test)]
mod tests;
