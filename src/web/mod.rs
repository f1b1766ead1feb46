//! The web side of `serve`: sign-up and sign-in, the wallet dashboard with charts, the list of
//! entries to search and correct, limits, settings with linked chats, and CSV export and
//! import. Server-rendered HTML (askama templates, checked at compile time) that works without
//! JavaScript; one stylesheet, embedded in the binary.
//!
//! Like every adapter it only translates: HTTP requests become ledger and bot calls, their
//! answers become pages. Sessions, CSRF tokens and password hashes are its own concern (their
//! rows live in the store, reached through the ledger). Every error becomes a page or a status
//! in one place, [`WebError::into_response`]. It never runs SQL and never decides a business
//! rule: what an expense means, when a limit alerts, whose data is whose.

mod account;
mod auth;
mod dashboard;
mod entries;
mod export;
mod import;
mod limits;
mod settings;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use chrono::{NaiveDate, Utc};

use crate::bot::Bot;
use crate::domain::DateRange;
use crate::ledger::{Ledger, LedgerError, WebVisit};
use auth::{Flash, set_cookie};
use views::Nav;

pub use auth::{CSRF_COOKIE, SESSION_COOKIE};

/// The largest upload accepted by `/import` (docs/contract.md).
pub const UPLOAD_MAX_BYTES: usize = 5 * 1024 * 1024;

/// What the web pages need. Cheap to share.
pub struct Web {
    ledger: Ledger,
    bot: Bot,
    /// `SPENDBOT_PUBLIC_URL` without a trailing slash.
    public_url: String,
    /// Cookies get `Secure` when the public URL is https.
    secure: bool,
    /// The Telegram bot's username, for the `t.me` deep link, when Telegram is on.
    telegram_username: Box<dyn Fn() -> Option<String> + Send + Sync>,
}

impl Web {
    pub fn new(
        ledger: Ledger,
        bot: Bot,
        public_url: &str,
        telegram_username: Box<dyn Fn() -> Option<String> + Send + Sync>,
    ) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Self {
            secure: public_url.starts_with("https://"),
            ledger,
            bot,
            public_url,
            telegram_username,
        }
    }
}

impl Web {
    /// The start of an emailed link to `path` (`{public url}{path}?token=`), or `None` when
    /// the service sends no email: then no link is made at all.
    fn emailed_link(&self, path: &str) -> Option<String> {
        self.bot
            .emails_on()
            .then(|| format!("{}{path}?token=", self.public_url))
    }
}

/// Every route of the web side, with its security headers.
pub fn routes<S: Clone + Send + Sync + 'static>(web: Arc<Web>) -> Router<S> {
    // Room for a 5 MB file in a multipart body, and for the same file carried back (URL
    // encoded, which can triple it) by the import preview's form.
    let upload_limit = DefaultBodyLimit::max(UPLOAD_MAX_BYTES * 3 + 64 * 1024);
    Router::new()
        .route("/", get(account::home))
        .route(
            "/register",
            get(account::register_page).post(account::register),
        )
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route("/verify-email", get(account::verify_email))
        .route(
            "/forgot-password",
            get(account::forgot_page).post(account::forgot),
        )
        .route(
            "/reset-password",
            get(account::reset_page).post(account::reset),
        )
        .route("/login/chat", get(account::chat_login))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/expenses", get(entries::expenses).post(entries::add_text))
        .route("/expenses/restore", post(entries::restore))
        .route(
            "/expenses/{id}",
            get(entries::entry_page).post(entries::edit_entry),
        )
        .route("/expenses/{id}/delete", post(entries::delete_entry))
        .route("/limits", get(limits::limits).post(limits::set_limit))
        .route("/limits/{id}/delete", post(limits::delete_limit))
        .route(
            "/settings",
            get(settings::settings).post(settings::save_settings),
        )
        .route("/settings/link-code", post(settings::link_code))
        .route("/settings/login", post(settings::add_login))
        .route("/settings/password", post(settings::change_password))
        .route(
            "/settings/resend-verification",
            post(settings::resend_verification),
        )
        .route("/settings/identities/{id}/unlink", post(settings::unlink))
        .route("/export.csv", get(export::export))
        .route(
            "/import",
            get(import::import_page).post(import::import_upload),
        )
        .route("/import/preview", post(import::import_preview))
        .route("/import/confirm", post(import::import_confirm))
        .route("/static/style.css", get(style))
        .route("/static/app.js", get(script))
        .layer(upload_limit)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(web)
}

/// The headers every page carries: no inline script, no framing, no sniffing, no referrer
/// beyond this site.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

const STYLE: &str = include_str!("static/style.css");
const SCRIPT: &str = include_str!("static/app.js");

async fn style() -> Response {
    static_file("text/css; charset=utf-8", STYLE)
}

async fn script() -> Response {
    static_file("text/javascript; charset=utf-8", SCRIPT)
}

fn static_file(mime: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Why a request could not be served, each answered in [`WebError::into_response`].
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: 303 to the sign-in page, coming back to `next` afterwards.
    SignIn { next: String },
    /// A state-changing request without the right `csrf_token`: 403, nothing changed.
    Csrf,
    /// No such page, or not this account's: 404.
    NotFound,
    /// A request the page cannot use (a malformed form or upload): 400 with the reason.
    BadRequest(String),
    /// The database is down: 503, nothing changed.
    Unavailable,
    /// Anything else: 500, logged.
    Internal(String),
}

impl From<LedgerError> for WebError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Unavailable(err) => {
                tracing::warn!(error = %err, "web: database unavailable");
                WebError::Unavailable
            }
            LedgerError::NotFound => WebError::NotFound,
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self {
            WebError::SignIn { next } => {
                let to = format!("/login?next={}", views::url_encode(&next));
                return Redirect::to(&to).into_response();
            }
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Nothing was changed. Go back, reload the page and try again.".to_owned(),
            ),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "Nothing here: no such page or entry (it may have been deleted).".to_owned(),
            ),
            WebError::BadRequest(why) => (StatusCode::BAD_REQUEST, "That did not work", why),
            WebError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Spendbot is unavailable",
                "The database does not answer right now, so nothing was changed. Please try \
                 again in a minute."
                    .to_owned(),
            ),
            WebError::Internal(why) => {
                tracing::error!(error = %why, "web: request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Nothing was changed. Please try again.".to_owned(),
                )
            }
        };
        let page = views::MessagePage {
            nav: None,
            title: title.to_owned(),
            text,
            element_id: "problem",
            link: Some(("/", "Back to Spendbot")),
        };
        (status, views::render(&page)).into_response()
    }
}

/// A form that carries nothing but its CSRF token.
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// Today in the visitor's time zone.
pub(crate) fn today(visit: &WebVisit) -> NaiveDate {
    Utc::now()
        .with_timezone(&visit.session.account.timezone)
        .date_naive()
}

pub(crate) fn nav(visit: &WebVisit, active: &'static str) -> Option<Nav> {
    Some(Nav {
        email: visit
            .login
            .as_ref()
            .map(|l| l.email.clone())
            .unwrap_or_default(),
        csrf: visit.csrf.clone(),
        active,
    })
}

/// A page with the `Set-Cookie` that consumed its flash message.
pub(crate) fn with_flash_cleared(
    html: axum::response::Html<String>,
    clear: Option<String>,
) -> Response {
    let mut response = html.into_response();
    if let Some((k, v)) = clear.as_deref().and_then(set_cookie) {
        response.headers_mut().append(k, v);
    }
    response
}

/// 303 to `to`, carrying a flash message.
pub(crate) fn back(web: &Web, to: &str, flash: &Flash) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    if let Some((k, v)) = set_cookie(&web.flash_cookie(flash)) {
        response.headers_mut().append(k, v);
    }
    response
}

/// The hex digits of a form's one-time value (at most 64), or `None` when it has none: what
/// keys a form's effect, so that submitting it twice has it once.
pub(crate) fn form_nonce(text: &str) -> Option<String> {
    let nonce: String = text
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(64)
        .collect();
    (!nonce.is_empty()).then_some(nonce)
}

/// Whether every engine can store the day (years 1000 to 9999).
pub(crate) fn storable(day: NaiveDate) -> bool {
    use chrono::Datelike;
    (1000..=9999).contains(&day.year())
}

/// The days from `from` to `to`, either open-ended (up to the dates every engine stores);
/// `None` when neither is given.
pub(crate) fn span(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Option<DateRange> {
    if from.is_none() && to.is_none() {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(1000, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    Some(DateRange::new(from.unwrap_or(first), to.unwrap_or(last)))
}

/// A rendered page, or a failure of rendering (a defect: logged, answered 500).
pub(crate) type Page = Result<Html<String>, WebError>;
