//! The signed-in pages: the dashboard, the entries (typed text, edit, delete and its undo),
//! limits and settings (linked chats, link codes, the sign-in of a chat-first account).

use std::str::FromStr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::auth::{self, Flash, UndoEntry, set_cookie};
use super::views::{
    self, ChatView, DashboardPage, EntryPage, EntryView, ExpensesPage, FlashView, LimitView,
    LimitsPage, Nav, SettingsPage,
};
use super::{Web, WebError};
use crate::bot::{EventKey, Incoming, IncomingKind, ReplyStatus};
use crate::chart::{Bar, Chart, ChartKind, Palette};
use crate::domain::{
    Category, ChatIdentity, Currency, DateRange, Entry, EntryId, EntryKind, IdentityId, LimitId,
    LimitPeriod, Money, MoneyError, NewEntry, NewLimit, Note, Platform, format_amount,
};
use crate::ledger::{EntryQuery, LINK_CODE_TTL, Source, WebVisit};

type Shared = State<Arc<Web>>;

/// Entries on one page of `/expenses`.
const PER_PAGE: u32 = 50;
/// The last page a visitor can ask for.
const MAX_PAGE: u32 = 2_000;
/// The latest entries on the dashboard.
const LATEST: u32 = 8;
/// The widths of charts drawn for a desktop column and for phones, in SVG units (about CSS
/// pixels where they are shown).
const WIDE_CHART: u32 = 500;
const NARROW_CHART: u32 = 340;

/// Today in the visitor's time zone.
fn today(visit: &WebVisit) -> NaiveDate {
    Utc::now()
        .with_timezone(&visit.session.account.timezone)
        .date_naive()
}

fn nav(visit: &WebVisit, active: &'static str) -> Option<Nav> {
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
fn with_flash_cleared(html: axum::response::Html<String>, clear: Option<String>) -> Response {
    let mut response = html.into_response();
    if let Some((k, v)) = clear.as_deref().and_then(set_cookie) {
        response.headers_mut().append(k, v);
    }
    response
}

/// 303 to `to`, carrying a flash message.
fn back(web: &Web, to: &str, flash: &Flash) -> Response {
    let mut response = axum::response::Redirect::to(to).into_response();
    if let Some((k, v)) = set_cookie(&web.flash_cookie(flash)) {
        response.headers_mut().append(k, v);
    }
    response
}

pub async fn dashboard(State(web): Shared, headers: HeaderMap) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, "/dashboard").await?;
    let s = &visit.session;
    let today = today(&visit);
    let month = DateRange::month_of(today);
    let summary = web.ledger.summary(s, month, None).await?;
    let statuses = web.ledger.limit_statuses(s, today).await?;
    let currency = s.account.currency;
    let days = web
        .ledger
        .daily_spent(s, currency, DateRange::last_days(today, 30))
        .await?;
    let latest = web
        .ledger
        .entries(
            s,
            &EntryQuery {
                limit: LATEST,
                ..EntryQuery::default()
            },
        )
        .await?;
    let email = web.ledger.email_status(s).await?;
    let spent = summary.spent();
    let money = |(c, a): &(Currency, Decimal)| format!("{} {}", format_amount(*a, *c), c);
    let income_here = summary
        .income
        .iter()
        .find(|(c, _)| *c == currency)
        .map_or(Decimal::ZERO, |(_, a)| *a);
    let balance = income_here - summary.spent_in(currency, None);
    let mut charts: Vec<(String, String)> = Vec::new();
    let mut spent_currencies: Vec<Currency> = spent.iter().map(|(c, _)| *c).collect();
    if spent_currencies.is_empty() {
        spent_currencies.push(currency);
    }
    for (i, c) in spent_currencies.iter().enumerate() {
        let bars = summary
            .by_category
            .iter()
            .filter(|t| t.currency == *c)
            .map(|t| Bar {
                label: t.category.as_str().to_owned(),
                value: t.total,
                shown: format!("{} {}", format_amount(t.total, *c), c),
            })
            .collect();
        let chart = Chart {
            id: if i == 0 {
                "chart-categories".to_owned()
            } else {
                format!("chart-categories-{}", c.code().to_lowercase())
            },
            title: format!("By category, {} ({c})", today.format("%B")),
            kind: ChartKind::ByCategory,
            bars,
            empty_text: "Nothing spent this month yet".to_owned(),
        };
        charts.push(both_widths(&chart));
    }
    let day_chart = both_widths(&Chart {
        id: "chart-days".to_owned(),
        title: format!("Per day, last 30 days ({currency})"),
        kind: ChartKind::PerDay,
        bars: days
            .iter()
            .map(|(d, a)| Bar {
                label: d.format("%-d %b").to_string(),
                value: *a,
                shown: format!("{} {}", format_amount(*a, currency), currency),
            })
            .collect(),
        empty_text: "Nothing spent in the last 30 days".to_owned(),
    });
    let (flash, clear) = web.take_flash(&headers);
    let page = DashboardPage {
        nav: nav(&visit, "dashboard"),
        flash: flash.map(FlashView::from),
        month: today.format("%B %Y").to_string(),
        spent: spent.iter().map(money).collect(),
        income: summary.income.iter().map(money).collect(),
        balance: format!("{} {}", format_amount(balance, currency), currency),
        balance_negative: balance.is_sign_negative() && !balance.is_zero(),
        daily_average: {
            let days = Decimal::from((today - month.from).num_days() + 1);
            let average = summary.spent_in(currency, None) / days;
            format!("{} {}", format_amount(average, currency), currency)
        },
        expense_count: summary.expense_count(),
        limits: statuses.iter().map(|st| LimitView::of(st, today)).collect(),
        category_charts: charts,
        day_chart,
        latest: latest.iter().map(EntryView::of).collect(),
        nonce: auth::random_hex()?,
        // Only when a link was really emailed: with email off there is nothing to check.
        verify_banner: web.bot.emails_on()
            && visit.login.is_some()
            && email.as_ref().is_some_and(|(_, v, _)| !v),
        has_login: visit.login.is_some(),
    };
    Ok(with_flash_cleared(views::page(&page)?, clear))
}

/// A chart drawn for a desktop column and for a phone (id `<id>-narrow`); the stylesheet
/// shows one of them, so the text keeps its size instead of shrinking with the drawing.
fn both_widths(chart: &Chart) -> (String, String) {
    let narrow = Chart {
        id: format!("{}-narrow", chart.id),
        ..chart.clone()
    };
    (
        chart.to_svg_width(&Palette::LIGHT, WIDE_CHART),
        narrow.to_svg_width(&Palette::LIGHT, NARROW_CHART),
    )
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    period: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u32>,
}

/// The range a filter names: from/to dates, else period words; the error says why not.
fn filter_range(web: &Web, visit: &WebVisit, f: &Filter) -> Result<Option<DateRange>, String> {
    let date = |text: &str, which: &str| -> Result<Option<NaiveDate>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("The {which} date should look like 2026-11-24."))
    };
    let (from, to) = (date(&f.from, "from")?, date(&f.to, "to")?);
    if from.is_some() || to.is_some() {
        let far_past = NaiveDate::from_ymd_opt(1000, 1, 1).unwrap_or(NaiveDate::MIN);
        let far_future = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
        return Ok(Some(DateRange::new(
            from.unwrap_or(far_past),
            to.unwrap_or(far_future),
        )));
    }
    if f.period.trim().is_empty() {
        return Ok(None);
    }
    let lang = visit.session.account.language.as_str();
    web.bot
        .period_of(lang, &f.period, today(visit))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "\"{}\" is not a period Spendbot knows. Try \"this month\", \"last week\" or \"october\".",
                f.period.trim()
            )
        })
}

fn expenses_link(f: &Filter, page: u32) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("period", &f.period),
        ("from", &f.from),
        ("to", &f.to),
        ("category", &f.category),
        ("q", &f.q),
    ] {
        if !v.trim().is_empty() {
            parts.push(format!("{k}={}", views::url_encode(v.trim())));
        }
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/expenses".to_owned()
    } else {
        format!("/expenses?{}", parts.join("&"))
    }
}

pub async fn expenses(
    State(web): Shared,
    headers: HeaderMap,
    Query(f): Query<Filter>,
) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, "/expenses").await?;
    let s = &visit.session;
    let page = f.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let (range, filter_error) = match filter_range(&web, &visit, &f) {
        Ok(r) => (r, None),
        Err(e) => (None, Some(e)),
    };
    let category = Category::parse(&f.category).filter(|_| !f.category.trim().is_empty());
    let text = Some(f.q.trim().to_owned()).filter(|t| !t.is_empty());
    let entries = if filter_error.is_some() {
        Vec::new()
    } else {
        web.ledger
            .entries(
                s,
                &EntryQuery {
                    range,
                    category: category.clone(),
                    text,
                    kind: None,
                    limit: page * PER_PAGE + 1,
                },
            )
            .await?
    };
    let skip = usize::try_from((page - 1) * PER_PAGE).unwrap_or(usize::MAX);
    let more = entries.len() > skip + PER_PAGE as usize;
    let shown: Vec<EntryView> = entries
        .iter()
        .skip(skip)
        .take(PER_PAGE as usize)
        .map(EntryView::of)
        .collect();
    let filter_label = match range {
        Some(r) => format!("{r}"),
        None => "All time, newest first".to_owned(),
    };
    let export_link = match range {
        Some(r) => format!("/export.csv?from={}&to={}", r.from, r.to),
        None => "/export.csv".to_owned(),
    };
    let categories = web
        .ledger
        .categories(s)
        .await?
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    let (flash, clear) = web.take_flash(&headers);
    let view = ExpensesPage {
        nav: nav(&visit, "expenses"),
        flash: flash.map(FlashView::from),
        period: f.period.trim().to_owned(),
        from: f.from.trim().to_owned(),
        to: f.to.trim().to_owned(),
        category: category.map(|c| c.as_str().to_owned()).unwrap_or_default(),
        q: f.q.trim().to_owned(),
        categories,
        filter_label,
        filter_error,
        entries: shown,
        page,
        prev_link: (page > 1).then(|| expenses_link(&f, page - 1)),
        next_link: more.then(|| expenses_link(&f, page + 1)),
        export_link,
        nonce: auth::random_hex()?,
    };
    Ok(with_flash_cleared(views::page(&view)?, clear))
}

#[derive(Deserialize)]
pub struct TextForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    nonce: String,
}

/// `POST /expenses`: the text goes to the bot exactly as a chat message would; its reply
/// comes back on the page it was typed on.
pub async fn add_text(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<TextForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/dashboard").await?;
    let to = match headers
        .get(axum::http::header::REFERER)
        .and_then(|r| r.to_str().ok())
    {
        Some(r) if r.contains("/expenses") => "/expenses",
        _ => "/dashboard",
    };
    let text = form.text.trim();
    if text.is_empty() {
        return Ok(back(
            &web,
            to,
            &Flash::error("Type what you spent, e.g. \"coffee 3.50\"."),
        ));
    }
    let account = visit.session.account.id;
    let identity = ChatIdentity::new(Platform::Web, &account.0.to_string())
        .map_err(|e| WebError::Internal(e.to_string()))?;
    // The form's one-time value keys the event, so a double submit records once.
    let nonce: String = form
        .nonce
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(64)
        .collect();
    let event = (!nonce.is_empty()).then(|| EventKey(format!("web:{account}:{nonce}")));
    let reply = web
        .bot
        .handle(Incoming {
            identity,
            kind: IncomingKind::Text(text.to_owned()),
            at: Utc::now(),
            event,
            hints: Default::default(),
            message: None,
        })
        .await;
    let flash = match reply.status {
        ReplyStatus::Done => Flash {
            kind: "bot".into(),
            text: reply.text,
            undo: None,
        },
        ReplyStatus::Duplicate => Flash::info("That was added already."),
        ReplyStatus::RetryLater => Flash::error(reply.text),
    };
    Ok(back(&web, to, &flash))
}

/// An entry as a form gives it, or what is wrong with it.
fn entry_from_form(
    kind: EntryKind,
    amount: &str,
    currency: &str,
    category: &str,
    note: &str,
    date: &str,
) -> Result<NewEntry, String> {
    let currency = Currency::parse(&currency.trim().to_uppercase()).ok_or_else(|| {
        format!(
            "\"{}\" is not a currency code like USD or EUR.",
            currency.trim()
        )
    })?;
    let amount_text = amount.trim().replace([' ', '\u{a0}'], "");
    let amount_text = if amount_text.contains('.') {
        amount_text.replace(',', "")
    } else {
        amount_text.replace(',', ".")
    };
    let amount = Decimal::from_str(&amount_text)
        .map_err(|_| format!("\"{}\" is not an amount like 12.50.", amount.trim()))?;
    let money = Money::new(amount, currency).map_err(|e| match e {
        MoneyError::NotPositive => "The amount must be more than zero.".to_owned(),
        other => format!("That amount does not work: {other}."),
    })?;
    let category = if category.trim().is_empty() {
        Category::other()
    } else {
        Category::parse(category).ok_or_else(|| {
            "A category is one word of letters, digits, - or _ (at most 32).".to_owned()
        })?
    };
    let occurred_on = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| "The date should look like 2026-11-24.".to_owned())?;
    Ok(NewEntry {
        kind,
        money,
        category,
        note: Note::new(note),
        occurred_on,
    })
}

async fn owned_entry(web: &Web, visit: &WebVisit, id: i64) -> Result<Entry, WebError> {
    web.ledger
        .entry(&visit.session, EntryId(id))
        .await?
        .ok_or(WebError::NotFound)
}

async fn category_names(web: &Web, visit: &WebVisit, keep: &str) -> Result<Vec<String>, WebError> {
    let mut names: Vec<String> = web
        .ledger
        .categories(&visit.session)
        .await?
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    if !keep.is_empty() && !names.iter().any(|n| n == keep) {
        names.push(keep.to_owned());
    }
    Ok(names)
}

pub async fn entry_page(
    State(web): Shared,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, &format!("/expenses/{id}")).await?;
    let entry = owned_entry(&web, &visit, id).await?;
    let view = EntryView::of(&entry);
    let page = EntryPage {
        nav: nav(&visit, "expenses"),
        categories: category_names(&web, &visit, &view.category).await?,
        entry: view,
        error: None,
    };
    Ok(views::page(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    date: String,
}

pub async fn edit_entry(
    State(web): Shared,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<EntryForm>,
) -> Result<Response, WebError> {
    let visit = web
        .poster(&headers, &form.csrf_token, &format!("/expenses/{id}"))
        .await?;
    let entry = owned_entry(&web, &visit, id).await?;
    let changed = entry_from_form(
        entry.kind,
        &form.amount,
        &form.currency,
        &form.category,
        &form.note,
        &form.date,
    );
    let changed = match changed {
        Ok(c) => c,
        Err(error) => {
            let mut view = EntryView::of(&entry);
            view.plain_amount = form.amount.trim().to_owned();
            view.currency = form.currency.trim().to_owned();
            view.note = form.note.trim().to_owned();
            let page = EntryPage {
                nav: nav(&visit, "expenses"),
                categories: category_names(&web, &visit, &view.category).await?,
                entry: view,
                error: Some(error),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, views::page(&page)?).into_response());
        }
    };
    let edited = web
        .ledger
        .edit_entry(&visit.session, EntryId(id), &changed, None, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let mut text = format!(
        "Saved {} {} · {}.",
        format_amount(edited.after.money.amount(), edited.after.money.currency()),
        edited.after.money.currency(),
        edited.after.category
    );
    if !edited.crossings.is_empty() {
        text.push_str(" This puts you past a limit: see the dashboard.");
    }
    Ok(back(&web, "/expenses", &Flash::info(text)))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

pub async fn delete_entry(
    State(web): Shared,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/expenses").await?;
    let deleted = web
        .ledger
        .delete(&visit.session, EntryId(id), None)
        .await?
        .ok_or(WebError::NotFound)?;
    let view = EntryView::of(&deleted);
    let text = format!(
        "Deleted {} {} · {}{}.",
        view.amount,
        view.currency,
        view.category,
        if view.note.is_empty() {
            String::new()
        } else {
            format!(" · {}", view.note)
        }
    );
    let flash = Flash {
        kind: "info".into(),
        text,
        undo: Some(UndoEntry {
            id: deleted.id.0,
            kind: deleted.kind.as_str().to_owned(),
            amount: view.plain_amount,
            currency: view.currency,
            category: view.category,
            note: view.note,
            date: view.iso_date,
        }),
    };
    Ok(back(&web, "/expenses", &flash))
}

#[derive(Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    id: i64,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    date: String,
}

/// The Undo of a delete: records the deleted entry again (once, however often it is pressed).
pub async fn restore(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<RestoreForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/expenses").await?;
    let kind = EntryKind::parse(&form.kind).unwrap_or(EntryKind::Expense);
    let entry = entry_from_form(
        kind,
        &form.amount,
        &form.currency,
        &form.category,
        &form.note,
        &form.date,
    )
    .map_err(WebError::BadRequest)?;
    let account = visit.session.account.id;
    let source = Source {
        event: Some(EventKey(format!("web-restore:{account}:{}", form.id))),
        message: None,
    };
    let now = Utc::now();
    match web
        .ledger
        .record(&visit.session, &source, &[entry], today(&visit), now)
        .await
    {
        Ok(_) => Ok(back(&web, "/expenses", &Flash::info("Put back."))),
        Err(crate::ledger::LedgerError::Duplicate) => {
            Ok(back(&web, "/expenses", &Flash::info("It is back already.")))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn limits(State(web): Shared, headers: HeaderMap) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, "/limits").await?;
    let today = today(&visit);
    let statuses = web.ledger.limit_statuses(&visit.session, today).await?;
    let (flash, clear) = web.take_flash(&headers);
    let page = LimitsPage {
        nav: nav(&visit, "limits"),
        flash: flash.map(FlashView::from),
        limits: statuses.iter().map(|s| LimitView::of(s, today)).collect(),
        currency: visit.session.account.currency.code().to_owned(),
        categories: category_names(&web, &visit, "").await?,
    };
    Ok(with_flash_cleared(views::page(&page)?, clear))
}

#[derive(Deserialize)]
pub struct LimitForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    category: String,
}

pub async fn set_limit(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<LimitForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/limits").await?;
    let currency = visit.session.account.currency;
    let parsed = entry_from_form(
        EntryKind::Expense,
        &form.amount,
        currency.code(),
        &form.category,
        "",
        &today(&visit).to_string(),
    );
    let Some(period) = LimitPeriod::parse(form.period.trim()) else {
        return Ok(back(
            &web,
            "/limits",
            &Flash::error("Choose daily, weekly, monthly or yearly."),
        ));
    };
    let entry = match parsed {
        Ok(e) => e,
        Err(why) => return Ok(back(&web, "/limits", &Flash::error(why))),
    };
    let limit = NewLimit {
        money: entry.money,
        period,
        category: (!form.category.trim().is_empty()).then_some(entry.category),
    };
    let saved = web.ledger.set_limit(&visit.session, &limit, None).await?;
    Ok(back(
        &web,
        "/limits",
        &Flash::info(format!(
            "Your {} limit is now {}.",
            saved.period, saved.money
        )),
    ))
}

pub async fn delete_limit(
    State(web): Shared,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/limits").await?;
    let limit = web
        .ledger
        .limits(&visit.session)
        .await?
        .into_iter()
        .find(|l| l.id == LimitId(id))
        .ok_or(WebError::NotFound)?;
    web.ledger
        .remove_limit(&visit.session, limit.period, limit.category.as_ref(), None)
        .await?;
    Ok(back(&web, "/limits", &Flash::info("Limit removed.")))
}

pub async fn settings(State(web): Shared, headers: HeaderMap) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, "/settings").await?;
    let s = &visit.session;
    let email = web.ledger.email_status(s).await?;
    let chats = web.ledger.linked_chats(s).await?;
    let (flash, clear) = web.take_flash(&headers);
    // A fresh link code travels in the flash, shown in its own box.
    let (flash, link_code) = match flash {
        Some(f) if f.kind == "code" => (None, Some(f.text)),
        other => (other, None),
    };
    let deep_link = link_code.as_ref().and_then(|code| {
        (web.telegram_username)().map(|u| format!("https://t.me/{u}?start=link-{code}"))
    });
    let page = SettingsPage {
        nav: nav(&visit, "settings"),
        flash: flash.map(FlashView::from),
        currency: s.account.currency.code().to_owned(),
        timezone: s.account.timezone.name().to_owned(),
        language: s.account.language.clone(),
        languages: web.bot.languages(),
        email: email.as_ref().map(|(e, _, _)| e.clone()),
        verified: email.as_ref().is_some_and(|(_, v, _)| *v),
        alerts_on: email.as_ref().is_some_and(|(_, _, on)| *on),
        email_available: web.bot.emails_on(),
        has_login: visit.login.is_some(),
        chats: chats
            .into_iter()
            .map(|c| ChatView {
                id: c.id.0,
                platform: platform_name(c.platform).to_owned(),
                name: c.name,
            })
            .collect(),
        link_code,
        deep_link,
        link_minutes: LINK_CODE_TTL.num_minutes(),
    };
    Ok(with_flash_cleared(views::page(&page)?, clear))
}

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Telegram => "Telegram",
        Platform::Discord => "Discord",
        Platform::Console => "Terminal",
        Platform::Web => "Web",
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    email_alerts: Option<String>,
}

pub async fn save_settings(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/settings").await?;
    let s = &visit.session;
    let currency = form.currency.trim().to_uppercase();
    let Some(currency) = Currency::parse(&currency) else {
        return Ok(back(
            &web,
            "/settings",
            &Flash::error(format!(
                "\"{currency}\" is not a currency code like USD or EUR."
            )),
        ));
    };
    let Ok(zone) = chrono_tz::Tz::from_str(form.timezone.trim()) else {
        return Ok(back(
            &web,
            "/settings",
            &Flash::error(format!(
                "\"{}\" is not a time zone like Europe/Madrid or America/New_York.",
                form.timezone.trim()
            )),
        ));
    };
    if !web
        .bot
        .languages()
        .iter()
        .any(|(code, _)| *code == form.language)
    {
        return Ok(back(
            &web,
            "/settings",
            &Flash::error("Choose one of the languages listed."),
        ));
    }
    if currency != s.account.currency {
        web.ledger.set_currency(s, currency).await?;
    }
    if zone != s.account.timezone {
        web.ledger.set_timezone(s, zone).await?;
    }
    if form.language != s.account.language {
        web.ledger.set_language(s, &form.language).await?;
    }
    match form.email_alerts.as_deref() {
        Some("on") => {
            web.ledger.email_on(s).await?;
        }
        _ => {
            web.ledger.email_off(s).await?;
        }
    }
    Ok(back(&web, "/settings", &Flash::info("Settings saved.")))
}

pub async fn link_code(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/settings").await?;
    let code = web
        .ledger
        .create_link_code(&visit.session, Utc::now())
        .await?;
    let flash = Flash {
        kind: "code".into(),
        text: code.code,
        undo: None,
    };
    Ok(back(&web, "/settings#chats", &flash))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn add_login(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/settings").await?;
    let Ok(email) = crate::ledger::login_email(&form.email) else {
        return Ok(back(
            &web,
            "/settings#account",
            &Flash::error("That does not look like an email address."),
        ));
    };
    if let Some(problem) = auth::password_problem(&form.password, &email) {
        return Ok(back(&web, "/settings#account", &Flash::error(problem)));
    }
    let hash = auth::hash_password(form.password.clone()).await?;
    let prefix = format!("{}/verify-email?token=", web.public_url);
    let done = web
        .ledger
        .add_web_login(&visit.session, &email, &hash, &prefix, Utc::now())
        .await?;
    let flash = if done {
        Flash::info(format!(
            "You can now sign in as {email}. We emailed you a link to confirm the address."
        ))
    } else {
        Flash::error("Another account signs in with this email already.")
    };
    Ok(back(&web, "/settings#account", &flash))
}

pub async fn resend_verification(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/settings").await?;
    let prefix = format!("{}/verify-email?token=", web.public_url);
    let sent = web
        .ledger
        .resend_verification(&visit.session, &prefix, Utc::now())
        .await?;
    let flash = if sent {
        Flash::info("A new confirmation link is on its way.")
    } else {
        Flash::info("Your address is confirmed already.")
    };
    Ok(back(&web, "/settings#account", &flash))
}

pub async fn unlink(
    State(web): Shared,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/settings").await?;
    if !web
        .ledger
        .unlink_chat(&visit.session, IdentityId(id))
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(back(
        &web,
        "/settings#chats",
        &Flash::info("Unlinked. What that chat recorded stays in this wallet."),
    ))
}
