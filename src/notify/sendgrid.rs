//! The SendGrid v3 Mail Send client (docs/protocols.md, section 5).
//!
//! [`SendGrid::send`] turns one [`Mail`] into `POST {SENDGRID_API_URL}/v3/mail/send` with a
//! bearer key and answers SendGrid's message id (`X-Message-Id` of a `202`; `None` for a
//! sandbox `200`). It retries (`backon`: exponential backoff with jitter) only when SendGrid
//! asks for it or provably never saw the request: a failed connection, `429` (waiting for
//! `Retry-After`, else `X-RateLimit-Reset`, at most [`RetryPolicy::max`]) and `5xx`. Any other
//! `4xx` is [`SendError::Rejected`] at once, with SendGrid's error messages. A timeout or a
//! connection lost *after* the request went out is not retried here: SendGrid has no
//! idempotency key, so a blind resend could mail the person twice; the caller (the outbox)
//! decides.
//!
//! The API key appears in no log line, error or `Debug` output, and the recipient's address
//! in no log line or error (SendGrid's own error texts are scrubbed of both).

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable as _};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::settings::Settings;

/// The longest one request may take, connecting, sending and reading the answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The sender name shown next to `SPENDBOT_EMAIL_FROM`.
const FROM_NAME: &str = "Spendbot";
/// The most characters of one error text kept (an HTML error page is cut here).
const MAX_ERROR_TEXT: usize = 300;

/// One email to one person.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient's address (a verified one).
    pub to: String,
    pub subject: String,
    /// The plain-text body; sent first, as SendGrid requires.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// The outbox alert's id, sent as `custom_args.alert_id` so that SendGrid's events and
    /// Email Activity can tell whether an attempt went out.
    pub alert_id: String,
    /// SendGrid categories (at most 10), e.g. `overspend-alert`.
    pub categories: Vec<String>,
}

impl fmt::Debug for Mail {
    /// Everything but the recipient's address, which is personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("to", &"<recipient>")
            .field("subject", &self.subject)
            .field("text", &self.text)
            .field("html", &self.html)
            .field("alert_id", &self.alert_id)
            .field("categories", &self.categories)
            .finish()
    }
}

impl Mail {
    /// The Mail Send request body (docs/protocols.md, 5.1). Empty bodies are left out of
    /// `content`, since SendGrid refuses an empty `value`.
    fn body(&self, from: &str) -> Value {
        let content: Vec<Value> = [("text/plain", &self.text), ("text/html", &self.html)]
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(kind, value)| json!({"type": kind, "value": value}))
            .collect();
        let mut body = json!({
            "personalizations": [{"to": [{"email": self.to}]}],
            "from": {"email": from, "name": FROM_NAME},
            "subject": self.subject,
            "content": content,
        });
        if !self.categories.is_empty() {
            body["categories"] = json!(self.categories);
        }
        if !self.alert_id.is_empty() {
            body["custom_args"] = json!({"alert_id": self.alert_id});
        }
        body
    }
}

/// Why a mail was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A `4xx` other than `429` (or another answer that is neither success, `429` nor `5xx`):
    /// the request is wrong (bad key, unverified sender, invalid body); never retried.
    /// `errors` are SendGrid's messages, each with its field when it names one.
    #[error("SendGrid rejected the mail with HTTP {status}: {}", summary(.errors))]
    Rejected { status: u16, errors: Vec<String> },
    /// The attempts ran out on `429`, `5xx` or failed connections, or the outcome is unknown
    /// (a timeout or a lost connection after the request was sent, which is not retried).
    #[error("SendGrid did not take the mail: {last}")]
    GaveUp { last: String },
}

fn summary(errors: &[String]) -> String {
    if errors.is_empty() {
        "no error details".to_owned()
    } else {
        errors.join("; ")
    }
}

/// How often and how patiently [`SendGrid::send`] tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (0 counts as 1).
    pub attempts: u32,
    /// The backoff before the first retry; it doubles with each retry.
    pub base: Duration,
    /// The longest single wait, for backoff and for SendGrid's `429` hints alike.
    pub max: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, 500 ms doubling, at most 30 s.
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The policy as a backoff: `base`, doubling, at most `max`, with jitter that adds up to
    /// as much again (so that clients failing together do not retry together), for
    /// `attempts - 1` retries.
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.base)
            .with_max_delay(self.max)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.attempts.max(1).saturating_sub(1) as usize)
    }
}

/// The SendGrid client. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct SendGrid {
    client: reqwest::Client,
    /// `SENDGRID_API_URL`, without a trailing slash.
    base: String,
    key: SecretString,
    /// `SPENDBOT_EMAIL_FROM`.
    from: String,
    policy: RetryPolicy,
}

impl fmt::Debug for SendGrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendGrid")
            .field("base", &self.base)
            .field("from", &self.from)
            .field("key", &"<redacted>")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Why one request did not deliver the mail.
enum Failure {
    Rejected {
        status: u16,
        errors: Vec<String>,
    },
    /// Worth another try, after `wait` when SendGrid said how long.
    Retry {
        last: String,
        wait: Option<Duration>,
    },
    /// The request may have reached SendGrid; resending could duplicate it.
    Unknown(String),
}

impl SendGrid {
    /// The client for `settings.email`, or `None` when `SENDGRID_API_KEY` is unset (email is
    /// off). Also `None`, logged as an error, if no HTTP client can be built at all.
    pub fn from_settings(settings: &Settings) -> Option<SendGrid> {
        let email = &settings.email;
        let key = email.sendgrid_api_key.clone()?;
        if key.expose_secret().trim().is_empty() {
            return None;
        }
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("spendbot/", env!("CARGO_PKG_VERSION")))
            .build();
        match client {
            Ok(client) => Some(SendGrid {
                client,
                base: email.sendgrid_api_url.trim_end_matches('/').to_owned(),
                key,
                from: email.from.clone(),
                policy: RetryPolicy::default(),
            }),
            Err(e) => {
                tracing::error!(error = %e, "no HTTP client for SendGrid; email is off");
                None
            }
        }
    }

    /// The same client with another retry policy.
    pub fn with_policy(self, policy: RetryPolicy) -> Self {
        Self { policy, ..self }
    }

    /// `POST {base}/v3/mail/send` with `Authorization: Bearer <key>` and the JSON of
    /// docs/protocols.md 5.1 (`personalizations[0].to`, `from`, `subject`, `content` text/plain
    /// then text/html, `categories`, `custom_args.alert_id`), retried per the policy.
    /// `Ok` holds the message id from `X-Message-Id`, `None` for a sandbox `200`.
    pub async fn send(&self, mail: &Mail) -> Result<Option<String>, SendError> {
        self.send_until(mail, &CancellationToken::new()).await
    }

    /// [`SendGrid::send`], giving up its retries once `stop` is cancelled: a wait between
    /// attempts ends at once and no further attempt starts (a request already on its way is
    /// never cut off, since its outcome would be unknown). The result is then
    /// [`SendError::GaveUp`], and the outbox tries again later.
    pub async fn send_until(
        &self,
        mail: &Mail,
        stop: &CancellationToken,
    ) -> Result<Option<String>, SendError> {
        let url = format!("{}/v3/mail/send", self.base);
        let body = mail.body(&self.from);
        let alert_id = mail.alert_id.as_str();
        let attempts = AtomicU32::new(0);
        let max = self.policy.max;
        let stopping = stop.clone();
        let sent = (|| async {
            if stop.is_cancelled() {
                return Err(Failure::Retry {
                    last: "the service is stopping".to_owned(),
                    wait: None,
                });
            }
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(&url, &body, &mail.to).await
        })
        .retry(self.policy.backoff())
        .sleep(move |wait: Duration| {
            let stop = stopping.clone();
            async move {
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        })
        // Only what cannot have reached SendGrid, or what it asked to have again.
        .when(|failure| matches!(failure, Failure::Retry { .. }) && !stop.is_cancelled())
        // SendGrid's own hint wins over the backoff; either way no wait is longer than `max`.
        .adjust(|failure, planned| {
            let hint = match failure {
                Failure::Retry { wait, .. } => *wait,
                _ => None,
            };
            planned.map(|backoff| hint.unwrap_or(backoff).min(max))
        })
        .notify(|failure, wait| {
            if let Failure::Retry { last, .. } = failure {
                tracing::warn!(
                    alert_id,
                    attempt = attempts.load(Ordering::Relaxed),
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    error = %last,
                    "SendGrid send failed; retrying"
                );
            }
        })
        .await;
        let attempt = attempts.load(Ordering::Relaxed);
        match sent {
            Ok(message_id) => {
                tracing::info!(
                    alert_id,
                    attempt,
                    message_id = message_id.as_deref().unwrap_or("(sandbox)"),
                    "SendGrid accepted the mail"
                );
                Ok(message_id)
            }
            Err(Failure::Rejected { status, errors }) => {
                tracing::warn!(
                    alert_id,
                    attempt,
                    status,
                    errors = %summary(&errors),
                    "SendGrid rejected the mail; not retrying"
                );
                Err(SendError::Rejected { status, errors })
            }
            Err(Failure::Unknown(last)) => {
                tracing::warn!(
                    alert_id,
                    attempt,
                    error = %last,
                    "SendGrid may or may not have the mail; not resending blindly"
                );
                Err(SendError::GaveUp {
                    last: format!("outcome unknown, not resent: {last}"),
                })
            }
            Err(Failure::Retry { last, .. }) => {
                tracing::warn!(alert_id, attempts = attempt, error = %last, "SendGrid: giving up");
                Err(SendError::GaveUp {
                    last: format!("{last} (after {attempt} attempts)"),
                })
            }
        }
    }

    async fn attempt(
        &self,
        url: &str,
        body: &Value,
        recipient: &str,
    ) -> Result<Option<String>, Failure> {
        let sent = self
            .client
            .post(url)
            .bearer_auth(self.key.expose_secret())
            .json(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            // Never connected: SendGrid cannot have seen it.
            Err(e) if e.is_connect() => {
                return Err(Failure::Retry {
                    last: self.scrub(&error_chain(&e), recipient),
                    wait: None,
                });
            }
            Err(e) => return Err(Failure::Unknown(self.scrub(&error_chain(&e), recipient))),
        };
        let status = response.status();
        if status.is_success() {
            let id = response
                .headers()
                .get("x-message-id")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned);
            return Ok(id);
        }
        let headers = response.headers().clone();
        // A body that cannot be read is as good as an empty one: the status decides.
        let text = response.text().await.unwrap_or_default();
        let errors: Vec<String> = error_messages(&text)
            .into_iter()
            .map(|e| self.scrub(&e, recipient))
            .collect();
        let code = status.as_u16();
        if code == 429 || status.is_server_error() {
            let wait = if code == 429 {
                rate_limit_wait(&headers, SystemTime::now())
            } else {
                None
            };
            Err(Failure::Retry {
                last: format!("HTTP {code}: {}", summary(&errors)),
                wait,
            })
        } else {
            Err(Failure::Rejected {
                status: code,
                errors,
            })
        }
    }

    /// `text` without the API key or the recipient's address (ASCII case ignored), cut to
    /// [`MAX_ERROR_TEXT`] characters.
    fn scrub(&self, text: &str, recipient: &str) -> String {
        let text = replace_ignoring_ascii_case(text, self.key.expose_secret(), "<key>");
        let text = replace_ignoring_ascii_case(&text, recipient, "<recipient>");
        shorten(&text)
    }
}

/// SendGrid's `{"errors":[{"message","field","help"}]}` as one text per error
/// ("message (field: from.email)"). Anything else that is not empty (an nginx HTML page, a
/// proxy's text) becomes one text with the body, whitespace collapsed.
fn error_messages(body: &str) -> Vec<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(default)]
        errors: Vec<ErrorItem>,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        field: Option<String>,
    }

    let parsed = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .map(|b| b.errors)
        .filter(|errors| !errors.is_empty());
    match parsed {
        Some(errors) => errors
            .into_iter()
            .map(|e| {
                let message = e.message.unwrap_or_else(|| "(no message)".to_owned());
                match e.field.filter(|f| !f.is_empty()) {
                    Some(field) => format!("{message} (field: {field})"),
                    None => message,
                }
            })
            .collect(),
        None => {
            let collapsed = body.split_whitespace().collect::<Vec<_>>().join(" ");
            if collapsed.is_empty() {
                Vec::new()
            } else {
                vec![format!("non-JSON body: {collapsed}")]
            }
        }
    }
}

/// How long a `429` asks to wait: `Retry-After` in seconds, else until `X-RateLimit-Reset`
/// (Unix seconds); `None` when neither says (or the reset is past), so backoff decides.
fn rate_limit_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    if let Some(seconds) = header(RETRY_AFTER.as_str()) {
        return Some(Duration::from_secs(seconds));
    }
    let reset = SystemTime::UNIX_EPOCH + Duration::from_secs(header("x-ratelimit-reset")?);
    reset.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// The error and its sources, "outer: inner: …".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let more = inner.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = inner.source();
    }
    text
}

fn replace_ignoring_ascii_case(text: &str, needle: &str, with: &str) -> String {
    if needle.is_empty() {
        return text.to_owned();
    }
    // ASCII lowering keeps every byte offset, so positions found in the copies hold in `text`.
    let haystack = text.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = haystack[from..].find(&needle) {
        let at = from + found;
        out.push_str(&text[from..at]);
        out.push_str(with);
        from = at + needle.len();
    }
    out.push_str(&text[from..]);
    out
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_TEXT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendgrid_error_bodies_become_one_text_per_error_with_its_field() {
        let body = r#"{"errors":[{"message":"The from object must be provided.","field":"from.email","help":"http://x"},{"field":null,"message":"too many requests","help":null}]}"#;
        assert_eq!(
            error_messages(body),
            vec![
                "The from object must be provided. (field: from.email)".to_owned(),
                "too many requests".to_owned(),
            ]
        );
    }

    #[test]
    fn an_nginx_page_or_an_empty_body_does_not_break_parsing() {
        let page = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n</html>";
        assert_eq!(
            error_messages(page),
            vec![
                "non-JSON body: <html> <head><title>413 Request Entity Too Large</title></head> </html>"
                    .to_owned()
            ]
        );
        assert!(error_messages("").is_empty());
        assert_eq!(
            error_messages(r#"{"error":"other"}"#),
            vec![r#"non-JSON body: {"error":"other"}"#.to_owned()]
        );
    }

    #[test]
    fn a_429_waits_for_retry_after_then_for_the_rate_limit_reset() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        assert_eq!(rate_limit_wait(&headers, now), None);
        headers.insert("x-ratelimit-reset", "1700000007".parse().expect("a header"));
        assert_eq!(rate_limit_wait(&headers, now), Some(Duration::from_secs(7)));
        headers.insert("retry-after", "2".parse().expect("a header"));
        assert_eq!(rate_limit_wait(&headers, now), Some(Duration::from_secs(2)));
        headers.remove("retry-after");
        headers.insert("x-ratelimit-reset", "1699999999".parse().expect("a header"));
        assert_eq!(rate_limit_wait(&headers, now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_under_the_cap_and_stops_after_the_attempts() {
        use backon::BackoffBuilder as _;
        let policy = RetryPolicy {
            attempts: 10,
            base: Duration::from_millis(100),
            max: Duration::from_millis(1_000),
        };
        let waits: Vec<Duration> = policy.backoff().build().collect();
        assert_eq!(waits.len(), 9, "nine retries after the first attempt");
        for (retry, wait) in waits.iter().enumerate() {
            let floor = Duration::from_millis((100u64 << retry).min(1_000));
            assert!(*wait >= floor && *wait <= floor * 2, "{retry}: {wait:?}");
        }
        let once = RetryPolicy {
            attempts: 0,
            ..policy
        };
        assert_eq!(
            once.backoff().build().count(),
            0,
            "0 attempts means one try"
        );
    }

    #[test]
    fn scrubbed_texts_hide_the_recipient_in_any_case_and_are_cut() {
        assert_eq!(
            replace_ignoring_ascii_case("To Alice@Example.com: bad", "alice@example.com", "<r>"),
            "To <r>: bad"
        );
        assert_eq!(
            shorten(&"é".repeat(400)).chars().count(),
            MAX_ERROR_TEXT + 1
        );
    }

    #[test]
    fn the_body_has_text_before_html_and_leaves_out_what_is_empty() {
        let mail = Mail {
            to: "a@example.com".to_owned(),
            subject: "s".to_owned(),
            text: "t".to_owned(),
            html: String::new(),
            alert_id: String::new(),
            categories: Vec::new(),
        };
        let body = mail.body("from@example.com");
        assert_eq!(
            body["content"],
            json!([{"type": "text/plain", "value": "t"}])
        );
        assert!(body.get("categories").is_none());
        assert!(body.get("custom_args").is_none());
        assert!(!format!("{mail:?}").contains("a@example.com"));
    }
}
