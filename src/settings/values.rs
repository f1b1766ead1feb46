//! Each setting's value checked and typed, or one line that names the variable and says why
//! not: URLs, addresses, the currency, the time zone, log settings, Discord's key and id,
//! Telegram's webhook secret, the sender address.

use super::*;

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn invalid(name: &'static str, reason: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// Shows at most a short, single-line prefix of a user-given value in an error.
pub(super) fn shown(value: &str) -> String {
    let v: String = value.chars().filter(|c| !c.is_control()).take(64).collect();
    format!("{v:?}")
}

pub(super) fn parse_database_url(url: &str) -> Result<DatabaseSettings, SettingsError> {
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

pub(super) fn parse_addr(value: &str) -> Result<SocketAddr, SettingsError> {
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

/// An `http://` or `https://` address with a host, parsed once (`url::Url`) and shown without
/// a trailing slash, so that `format!("{url}/path")` joins cleanly. Reads as a `&str`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    url: url::Url,
    text: String,
}

impl HttpUrl {
    /// The parsed address.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// Whether it is `https://`.
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::ops::Deref for HttpUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq<&str> for HttpUrl {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

pub(super) fn parse_http_url(name: &'static str, value: &str) -> Result<HttpUrl, SettingsError> {
    let v = value.trim();
    let refuse = |why: &str| invalid(name, format!("{} is not {why}", shown(v)));
    if v.contains(char::is_whitespace) {
        return Err(refuse("an http:// or https:// URL"));
    }
    let url = url::Url::parse(v).map_err(|_| refuse("an http:// or https:// URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("an URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("a base address (it has a query or a fragment)"));
    }
    let text = url.as_str().trim_end_matches('/').to_owned();
    Ok(HttpUrl { url, text })
}

pub(super) fn parse_currency(value: &str) -> Result<Currency, SettingsError> {
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

pub(super) fn parse_timezone(value: &str) -> Result<Tz, SettingsError> {
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

pub(super) fn parse_log_filter(value: &str) -> Result<String, SettingsError> {
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

pub(super) fn parse_log_format(value: &str) -> Result<LogFormat, SettingsError> {
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
pub(super) fn parse_application_id(value: &str) -> Result<std::num::NonZeroU64, SettingsError> {
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
pub(super) fn parse_webhook_secret(value: &str) -> Result<SecretString, SettingsError> {
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
pub(super) fn check_webhook_reachable(
    t: &TelegramSettings,
    http: &HttpSettings,
) -> Result<(), SettingsError> {
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

/// An Ed25519 public key: 32 bytes, read from 64 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ed25519Key(pub [u8; 32]);

pub(super) fn parse_public_key(value: &str) -> Result<Ed25519Key, SettingsError> {
    let v = value.trim();
    let refuse = || {
        invalid(
            "DISCORD_PUBLIC_KEY",
            "must be the application's public key: 64 hex digits",
        )
    };
    if v.len() != 64 || !v.is_ascii() {
        return Err(refuse());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&v[2 * i..2 * i + 2], 16).map_err(|_| refuse())?;
    }
    Ok(Ed25519Key(key))
}

pub(super) fn parse_email(value: &str) -> Result<String, SettingsError> {
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
