//! The entries: the filtered, paged list; text typed as in chat; one entry's edit form; delete
//! and its Undo.

use std::str::FromStr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::auth::{self, Flash, UndoEntry};
use super::views::{self, EntryPage, EntryView, ExpensesPage, FlashView};
use super::{CsrfForm, Web, WebError, back, nav, span, storable, today, with_flash_cleared};
use crate::bot::{EventKey, Incoming, IncomingKind, ReplyStatus};
use crate::domain::{
    Category, ChatIdentity, Currency, DateRange, Entry, EntryId, EntryKind, Money, MoneyError,
    NewEntry, Note, Platform, format_amount,
};
use crate::ledger::{EntryQuery, Source, WebVisit};

type Shared = State<Arc<Web>>;

/// Entries on one page of `/expenses`.
const PER_PAGE: u32 = 50;
/// The last page a visitor can ask for (a million entries back).
const MAX_PAGE: u32 = 20_000;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Filter {
    period: String,
    from: String,
    to: String,
    category: String,
    q: String,
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
            .ok()
            .filter(|d| storable(*d))
            .map(Some)
            .ok_or_else(|| format!("The {which} date should look like 2026-11-24."))
    };
    let (from, to) = (date(&f.from, "from")?, date(&f.to, "to")?);
    if let Some(range) = span(from, to) {
        return Ok(Some(range));
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
                    // One more than a page tells whether an older page exists.
                    limit: PER_PAGE + 1,
                    offset: (page - 1) * PER_PAGE,
                },
            )
            .await?
    };
    let more = entries.len() > PER_PAGE as usize;
    let shown: Vec<EntryView> = entries
        .iter()
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TextForm {
    csrf_token: String,
    text: String,
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
    let event = super::form_nonce(&form.nonce).map(|n| EventKey(format!("web:{account}:{n}")));
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
        ReplyStatus::Done | ReplyStatus::Notice => Flash {
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
pub(super) fn entry_from_form(
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
        .ok()
        .filter(|d| storable(*d))
        .ok_or_else(|| "The date should look like 2026-11-24.".to_owned())?;
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

pub(super) async fn category_names(
    web: &Web,
    visit: &WebVisit,
    keep: &str,
) -> Result<Vec<String>, WebError> {
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EntryForm {
    csrf_token: String,
    amount: String,
    currency: String,
    category: String,
    note: String,
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RestoreForm {
    csrf_token: String,
    id: i64,
    kind: String,
    amount: String,
    currency: String,
    category: String,
    note: String,
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
        ..Source::default()
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
