//! What the pages show: one askama template per page (in `templates/`, checked at compile
//! time, HTML-escaped by default) and the view models they read, already formatted, so that
//! templates hold no logic beyond loops and conditions.

use askama::Template;
use axum::response::Html;
use chrono::NaiveDate;

use super::auth::Flash;
use super::{Page, WebError};
use crate::domain::{Entry, EntryKind, LimitStatus, format_amount};

/// Renders a page; a template failure is a defect, answered 500.
pub fn render<T: Template>(page: &T) -> Html<String> {
    match page.render() {
        Ok(html) => Html(html),
        Err(e) => {
            tracing::error!(error = %e, "web: a template failed to render");
            Html("<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned())
        }
    }
}

/// [`render`] as a handler result.
pub fn page<T: Template>(page: &T) -> Page {
    page.render()
        .map(Html)
        .map_err(|e| WebError::Internal(format!("template: {e}")))
}

/// The top bar of a signed-in page.
#[derive(Debug, Clone)]
pub struct Nav {
    pub email: String,
    pub csrf: String,
    /// Which link is the current page: `dashboard`, `expenses`, `limits`, `settings`.
    pub active: &'static str,
}

/// A flash message as the page shows it.
#[derive(Debug, Clone)]
pub struct FlashView {
    pub kind: String,
    pub text: String,
    pub undo: Option<super::auth::UndoEntry>,
}

impl From<Flash> for FlashView {
    fn from(f: Flash) -> Self {
        Self {
            kind: f.kind,
            text: f.text,
            undo: f.undo,
        }
    }
}

/// One entry as lists show it.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub id: i64,
    /// `YYYY-MM-DD`, for date inputs.
    pub iso_date: String,
    pub day_label: String,
    pub income: bool,
    pub amount: String,
    /// The amount as typed into a form: `12.5`.
    pub plain_amount: String,
    pub currency: String,
    pub category: String,
    pub note: String,
}

impl EntryView {
    pub fn of(e: &Entry) -> Self {
        let currency = e.money.currency();
        Self {
            id: e.id.0,
            iso_date: e.occurred_on.format("%Y-%m-%d").to_string(),
            day_label: day_label(e.occurred_on),
            income: e.kind == EntryKind::Income,
            amount: format_amount(e.money.amount(), currency),
            plain_amount: e.money.amount().normalize().to_string(),
            currency: currency.code().to_owned(),
            category: e.category.as_str().to_owned(),
            note: e
                .note
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// `Tue 24 Nov`
pub fn day_label(day: NaiveDate) -> String {
    day.format("%a %-d %b").to_string()
}

/// A limit with where the current period stands.
#[derive(Debug, Clone)]
pub struct LimitView {
    pub id: i64,
    pub label: String,
    pub spent: String,
    pub amount: String,
    pub currency: String,
    pub percent: u32,
    /// The bar's width, 0–100.
    pub bar: u32,
    /// `4.20 a day left` or `0.90 over`.
    pub pace: String,
    /// `ok`, `warn` (80 % or more) or `over`.
    pub state: &'static str,
    pub range: String,
}

impl LimitView {
    pub fn of(s: &LimitStatus, today: NaiveDate) -> Self {
        let currency = s.currency();
        let percent = s.percent();
        let remaining = s.remaining();
        let pace = if remaining.is_sign_negative() || remaining.is_zero() {
            let over = -remaining;
            if over.is_zero() {
                "nothing left".to_owned()
            } else {
                format!("{} {} over", format_amount(over, currency), currency)
            }
        } else {
            format!(
                "{} {} a day left",
                format_amount(s.per_day_left(today), currency),
                currency
            )
        };
        let category = s
            .limit
            .category
            .as_ref()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default();
        let period = s.limit.period.as_str().to_owned();
        let label = if category.is_empty() {
            format!("{} · whole wallet", capitalise(&period))
        } else {
            format!("{} · {category}", capitalise(&period))
        };
        Self {
            id: s.limit.id.0,
            label,
            spent: format_amount(s.spent, currency),
            amount: format_amount(s.limit.money.amount(), currency),
            currency: currency.code().to_owned(),
            percent,
            bar: percent.min(100),
            pace,
            state: if percent >= 100 {
                "over"
            } else if percent >= 80 {
                "warn"
            } else {
                "ok"
            },
            range: s.range.to_string(),
        }
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A chat linked to the account.
#[derive(Debug, Clone)]
pub struct ChatView {
    pub id: i64,
    pub platform: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub nav: Option<Nav>,
    pub title: String,
    pub text: String,
    /// The id of the element holding the message, for tests and styles (`verified`, …).
    pub element_id: &'static str,
    pub link: Option<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub nav: Option<Nav>,
}

/// Which signed-out form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    Register,
    Login,
    Forgot,
    Reset,
}

#[derive(Template)]
#[template(path = "auth.html")]
pub struct AuthPage {
    pub nav: Option<Nav>,
    pub form: AuthForm,
    pub csrf: String,
    pub email: String,
    pub next: String,
    pub token: String,
    pub error: Option<String>,
    pub info: Option<String>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub nav: Option<Nav>,
    pub flash: Option<FlashView>,
    pub month: String,
    /// Spent this month, one line per currency: `100.90 USD`.
    pub spent: Vec<String>,
    pub income: Vec<String>,
    /// Income minus expenses in the account's currency, signed.
    pub balance: String,
    pub balance_negative: bool,
    /// Expenses in the account's currency per day so far this month.
    pub daily_average: String,
    pub expense_count: u64,
    pub limits: Vec<LimitView>,
    /// Inline SVG (desktop, phone), one per currency spent in.
    pub category_charts: Vec<(String, String)>,
    pub day_chart: (String, String),
    pub latest: Vec<EntryView>,
    pub nonce: String,
    pub verify_banner: bool,
    pub has_login: bool,
}

#[derive(Template)]
#[template(path = "expenses.html")]
pub struct ExpensesPage {
    pub nav: Option<Nav>,
    pub flash: Option<FlashView>,
    pub period: String,
    pub from: String,
    pub to: String,
    pub category: String,
    pub q: String,
    pub categories: Vec<String>,
    /// What the filter covers, in words, or the reason it could not be read.
    pub filter_label: String,
    pub filter_error: Option<String>,
    pub entries: Vec<EntryView>,
    pub page: u32,
    pub prev_link: Option<String>,
    pub next_link: Option<String>,
    pub export_link: String,
    pub nonce: String,
}

#[derive(Template)]
#[template(path = "entry.html")]
pub struct EntryPage {
    pub nav: Option<Nav>,
    pub entry: EntryView,
    pub categories: Vec<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "limits.html")]
pub struct LimitsPage {
    pub nav: Option<Nav>,
    pub flash: Option<FlashView>,
    pub limits: Vec<LimitView>,
    pub currency: String,
    pub categories: Vec<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub nav: Option<Nav>,
    pub flash: Option<FlashView>,
    pub currency: String,
    pub timezone: String,
    pub language: String,
    pub languages: Vec<(String, String)>,
    /// Where alerts go (the address `/email` or sign-up set).
    pub email: Option<String>,
    /// The address this account signs in with; the same once the alert address is proven.
    pub login_email: Option<String>,
    /// Whether the alert address is proven.
    pub verified: bool,
    pub alerts_on: bool,
    pub email_available: bool,
    pub has_login: bool,
    pub chats: Vec<ChatView>,
    pub link_code: Option<String>,
    pub deep_link: Option<String>,
    pub link_minutes: i64,
}

/// A column choice of the import mapping step.
#[derive(Debug, Clone)]
pub struct ColumnChoice {
    pub index: usize,
    pub name: String,
}

/// A row the import would add.
#[derive(Debug, Clone)]
pub struct ImportRowView {
    pub line: u64,
    pub date: String,
    pub kind: String,
    pub amount: String,
    pub currency: String,
    pub category: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub nav: Option<Nav>,
    pub flash: Option<FlashView>,
    /// Empty before an upload.
    pub csv: String,
    pub standard: bool,
    pub columns: Vec<ColumnChoice>,
    pub mapping: super::import::Mapping,
    pub rows: Vec<ImportRowView>,
    pub more_rows: usize,
    pub duplicates: usize,
    pub errors: Vec<(u64, String)>,
    pub nonce: String,
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Undoes [`url_encode`] (and `+` as a space); `None` when it is not valid UTF-8 after.
pub fn url_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_round_trips() {
        for text in ["", "a b&c=d", "/expenses?x=1", "ünï €", "100%"] {
            assert_eq!(url_decode(&url_encode(text)).as_deref(), Some(text));
        }
        assert_eq!(url_decode("%E2%82"), None);
    }
}
