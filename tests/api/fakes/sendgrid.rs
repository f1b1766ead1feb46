//! A fake SendGrid v3 Mail Send API on loopback (docs/protocols.md, section 5).
//!
//! `POST /v3/mail/send` checks the bearer key (401 with SendGrid's error body otherwise),
//! validates the body the way SendGrid does for what Spendbot sends (personalizations with at
//! least one `to`, `from.email`, a non-empty `subject`, `content` values non-empty with
//! text/plain before text/html; 400 with `{"errors":[{"message","field","help":null}]}`
//! otherwise), records the mails it accepts and answers `202` with an empty body and
//! `X-Message-Id: <random id>`, or `200` without one when sandbox mode is on.
//!
//! Tests script the next answers with [`FakeSendGrid::respond_next`] (a 500, a 429 with
//! `Retry-After`, a 400, an nginx HTML page…) and inspect [`FakeSendGrid::mails`] and
//! [`FakeSendGrid::attempts`] (every request, with when it arrived), waiting with
//! [`FakeSendGrid::wait_for`] instead of sleeping.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::server::Server;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rand::SeedableRng;
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// The API key the fake accepts.
pub const API_KEY: &str = "SG.fake-key.never-in-a-log-0123456789abcdef";
const HELP: &str = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html";

/// One request to `POST /v3/mail/send`, whatever the answer.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// When it arrived.
    pub at: Instant,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body as JSON (`Value::Null` if it was not JSON).
    pub body: Value,
    /// The status the fake answered.
    pub status: u16,
}

/// A mail SendGrid accepted.
#[derive(Debug, Clone)]
pub struct AcceptedMail {
    /// The id answered in `X-Message-Id` (`None` in sandbox mode).
    pub message_id: Option<String>,
    /// The request body.
    pub body: Value,
}

impl AcceptedMail {
    /// The addresses of `personalizations[*].to`.
    pub fn to(&self) -> Vec<String> {
        self.body["personalizations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["to"].as_array())
            .flatten()
            .filter_map(|t| t["email"].as_str())
            .map(str::to_owned)
            .collect()
    }

    pub fn subject(&self) -> &str {
        self.body["subject"].as_str().unwrap_or("")
    }

    /// The `value` of the `content` entry of `kind` (`text/plain`, `text/html`).
    pub fn content(&self, kind: &str) -> Option<&str> {
        self.body["content"]
            .as_array()?
            .iter()
            .find(|c| c["type"] == kind)
            .and_then(|c| c["value"].as_str())
    }

    /// `custom_args.alert_id`, message-level or in the first personalization.
    pub fn alert_id(&self) -> Option<&str> {
        self.body["custom_args"]["alert_id"]
            .as_str()
            .or_else(|| self.body["personalizations"][0]["custom_args"]["alert_id"].as_str())
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
struct Scripted {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Default)]
struct Inner {
    attempts: Vec<Attempt>,
    mails: Vec<AcceptedMail>,
    script: VecDeque<Scripted>,
}

struct Shared {
    key: String,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        super::server::lock(&self.inner)
    }
}

/// The running fake. Dropping it stops the server.
pub struct FakeSendGrid {
    server: Server,
    shared: Arc<Shared>,
}

impl FakeSendGrid {
    /// Starts a fake on 127.0.0.1:0 that accepts [`API_KEY`].
    pub async fn start() -> FakeSendGrid {
        let shared = Arc::new(Shared {
            key: API_KEY.to_owned(),
            inner: Mutex::new(Inner::default()),
        });
        let app = Router::new()
            .route("/v3/mail/send", post(mail_send))
            .fallback(not_found)
            .with_state(shared.clone());
        let server = Server::start("SendGrid", app).await;
        FakeSendGrid { server, shared }
    }

    /// The base URL to give the service as `SENDGRID_API_URL`: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// Answers the next request (after any already queued) with `status`, `headers` and
    /// `body`, whatever it holds; `Content-Type` is `application/json` when `body` is JSON,
    /// `text/html` otherwise, unless `headers` set it. A scripted 2xx records the mail too.
    pub fn respond_next(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        self.shared.lock().script.push_back(Scripted {
            status: StatusCode::from_u16(status).expect("a valid HTTP status"),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_owned(),
        });
    }

    /// The mails accepted, in order.
    pub fn mails(&self) -> Vec<AcceptedMail> {
        self.shared.lock().mails.clone()
    }

    /// Every request received, in order of arrival.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.shared.lock().attempts.clone()
    }

    /// Waits until `predicate` holds or `timeout` passes; true if it held.
    pub async fn wait_for<F>(&self, timeout: Duration, predicate: F) -> bool
    where
        F: Fn(&FakeSendGrid) -> bool,
    {
        super::server::wait_until(timeout, || predicate(self)).await
    }
}

/// SendGrid's error body for one error.
pub fn error_body(message: &str, field: Option<&str>, help: Option<&str>) -> Value {
    json!({"errors": [{"message": message, "field": field, "help": help}]})
}

async fn mail_send(State(shared): State<Arc<Shared>>, headers: HeaderMap, raw: Bytes) -> Response {
    let at = Instant::now();
    let text_header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = text_header(header::AUTHORIZATION);
    let content_type = text_header(header::CONTENT_TYPE);
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);

    let mut inner = shared.lock();
    let (status, response) = match inner.script.pop_front() {
        Some(scripted) => {
            let status = scripted.status;
            if status.is_success() {
                let message_id = scripted
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("x-message-id"))
                    .map(|(_, v)| v.clone());
                inner.mails.push(AcceptedMail {
                    message_id,
                    body: body.clone(),
                });
            }
            (status, scripted_response(scripted))
        }
        None => {
            let (status, response) = answer(&shared.key, authorization.as_deref(), &body);
            if let Some(message_id) = response.accepted {
                inner.mails.push(AcceptedMail {
                    message_id,
                    body: body.clone(),
                });
            }
            (status, response.response)
        }
    };
    inner.attempts.push(Attempt {
        at,
        authorization,
        content_type,
        body,
        status: status.as_u16(),
    });
    response
}

struct Answer {
    response: Response,
    /// `Some(message id)` when the mail was accepted.
    accepted: Option<Option<String>>,
}

/// SendGrid's own answer: 401, 400 or 202 (200 in sandbox mode).
fn answer(key: &str, authorization: Option<&str>, body: &Value) -> (StatusCode, Answer) {
    let rejected = |status: StatusCode, error: Value| {
        (
            status,
            Answer {
                response: (status, axum::Json(error)).into_response(),
                accepted: None,
            },
        )
    };
    let bearer = authorization.and_then(|a| a.strip_prefix("Bearer "));
    if bearer != Some(key) {
        return rejected(
            StatusCode::UNAUTHORIZED,
            error_body(
                "The provided authorization grant is invalid, expired, or revoked",
                None,
                None,
            ),
        );
    }
    if let Err((message, field)) = validate(body) {
        return rejected(
            StatusCode::BAD_REQUEST,
            error_body(&message, Some(field), None),
        );
    }
    if body["mail_settings"]["sandbox_mode"]["enable"] == true {
        return (
            StatusCode::OK,
            Answer {
                response: StatusCode::OK.into_response(),
                accepted: Some(None),
            },
        );
    }
    let id = message_id();
    let mut response = StatusCode::ACCEPTED.into_response();
    response.headers_mut().insert(
        "x-message-id",
        HeaderValue::from_str(&id).expect("an alphanumeric id is a header value"),
    );
    (
        StatusCode::ACCEPTED,
        Answer {
            response,
            accepted: Some(Some(id)),
        },
    )
}

/// SendGrid's validation of what Spendbot sends: the error message and field of the first
/// problem.
fn validate(body: &Value) -> Result<(), (String, &'static str)> {
    let fail = |message: &str, field: &'static str| Err((message.to_owned(), field));
    if !body.is_object() {
        return fail(
            "Bad Request: the request body must be a JSON object.",
            "(root)",
        );
    }
    let Some(personalizations) = body["personalizations"].as_array() else {
        return fail(
            "The personalizations field is required and must have at least one personalization.",
            "personalizations",
        );
    };
    if personalizations.is_empty() || personalizations.len() > 1000 {
        return fail(
            "The personalizations field is required and must have at least one personalization.",
            "personalizations",
        );
    }
    for p in personalizations {
        let to = p["to"].as_array().map(Vec::as_slice).unwrap_or_default();
        if to.is_empty() {
            return fail(
                "The to array is required for all personalization objects, and must have at least one email object with a valid email address.",
                "personalizations.0.to",
            );
        }
        if to.iter().any(|t| !is_address(&t["email"])) {
            return fail(
                "Does not contain a valid address.",
                "personalizations.0.to.0.email",
            );
        }
    }
    if !is_address(&body["from"]["email"]) {
        return fail(
            "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {\"email\" : \"example@example.com\"}  or {\"email\" : \"example@example.com\", \"name\" : \"Example Recipient\"}.",
            "from.email",
        );
    }
    if body["subject"].as_str().is_none_or(str::is_empty) {
        return fail(
            "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
            "subject",
        );
    }
    let content = body["content"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if content.is_empty() {
        return fail(
            "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.",
            "content",
        );
    }
    for c in content {
        if c["type"].as_str().is_none_or(str::is_empty) {
            return fail(
                "The content type cannot contain ';', or CRLF characters.",
                "content.0.type",
            );
        }
        if c["value"].as_str().is_none_or(str::is_empty) {
            return fail(
                "The content value must be a string at least one character in length.",
                "content.0.value",
            );
        }
    }
    let html = content.iter().position(|c| c["type"] == "text/html");
    let plain = content.iter().position(|c| c["type"] == "text/plain");
    if let (Some(html), Some(plain)) = (html, plain) {
        if plain > html {
            return fail(
                "If present, text/plain content must be first, followed by text/html, followed by any other content.",
                "content",
            );
        }
    }
    if let Some(categories) = body.get("categories") {
        let ok = categories.as_array().is_some_and(|c| {
            c.len() <= 10
                && c.iter()
                    .all(|c| c.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 255))
        });
        if !ok {
            return fail(
                "The categories parameter must be an array of at most 10 strings of at most 255 characters.",
                "categories",
            );
        }
    }
    if let Some(args) = body.get("custom_args") {
        if !args
            .as_object()
            .is_some_and(|a| a.values().all(Value::is_string))
        {
            return fail(
                "Invalid type. Expected: object, given: string.",
                "custom_args",
            );
        }
    }
    Ok(())
}

fn is_address(value: &Value) -> bool {
    value
        .as_str()
        .and_then(|s| s.split_once('@'))
        .is_some_and(|(local, domain)| {
            !local.is_empty() && (domain.contains('.') || domain == "localhost")
        })
}

/// A 22-character id like `W2UPnTZ0TNaOgyuKO4Qw8A`.
fn message_id() -> String {
    Alphanumeric.sample_string(&mut StdRng::from_os_rng(), 22)
}

fn scripted_response(scripted: Scripted) -> Response {
    let is_json = serde_json::from_str::<Value>(&scripted.body).is_ok();
    let mut response = (scripted.status, scripted.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if is_json {
            "application/json"
        } else {
            "text/html"
        }),
    );
    for (name, value) in scripted.headers {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_str(&value).expect("a valid header value"),
        );
    }
    response
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(error_body("Not found", None, None)),
    )
        .into_response()
}
