//! `/import`: reads Spendbot's own CSV, or a bank or Splitwise style export through a column
//! mapping, shows a preview (new rows, rows already recorded, bad rows with their line), and
//! adds the new rows in one transaction on confirmation: all of them or, when any row is bad,
//! none. Confirming twice adds them once.

use std::str::FromStr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::auth::{Flash, random_hex};
use super::export::HEADER;
use super::views::{self, ColumnChoice, FlashView, ImportPage, ImportRowView};
use super::{UPLOAD_MAX_BYTES, Web, WebError, back, nav, storable};
use crate::bot::EventKey;
use crate::domain::{
    Category, Currency, DEFAULT_CATEGORIES, EntryKind, Money, NewEntry, Note, format_amount,
};
use crate::ledger::{LedgerError, Source, Unrecorded, WebVisit};

mod read;

use read::*;

type Shared = State<Arc<Web>>;

/// Rows shown in the preview; the rest are counted.
const PREVIEW_ROWS: usize = 50;
/// The most rows one import adds.
const MAX_ROWS: usize = 50_000;

/// Which column holds what, for files that are not Spendbot's own CSV.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub date_col: usize,
    /// `ymd`, `dmy` or `mdy`.
    pub date_format: String,
    pub amount_col: usize,
    /// `positive`: expenses are positive amounts (Splitwise); `negative`: expenses are
    /// negative and positive amounts are income (banks).
    pub signs: String,
    pub note_col: Option<usize>,
    pub category_col: Option<usize>,
    pub currency_col: Option<usize>,
}

/// The mapping fields as a form sends them (all text; empty means none).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MappingForm {
    #[serde(default)]
    date_col: String,
    #[serde(default)]
    date_format: String,
    #[serde(default)]
    amount_col: String,
    #[serde(default)]
    signs: String,
    #[serde(default)]
    note_col: String,
    #[serde(default)]
    category_col: String,
    #[serde(default)]
    currency_col: String,
}

impl MappingForm {
    /// The mapping chosen, or `None` when the form carries none (the file's own format).
    fn mapping(&self) -> Option<Mapping> {
        let index = |t: &str| t.trim().parse::<usize>().ok();
        Some(Mapping {
            date_col: index(&self.date_col)?,
            date_format: match self.date_format.as_str() {
                f @ ("ymd" | "dmy" | "mdy") => f.to_owned(),
                _ => "ymd".to_owned(),
            },
            amount_col: index(&self.amount_col)?,
            signs: if self.signs == "positive" {
                "positive"
            } else {
                "negative"
            }
            .to_owned(),
            note_col: index(&self.note_col),
            category_col: index(&self.category_col),
            currency_col: index(&self.currency_col),
        })
    }
}

pub async fn import_page(State(web): Shared, headers: HeaderMap) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, "/import").await?;
    let (flash, clear) = web.take_flash(&headers);
    let page = ImportPage {
        nav: nav(&visit, "expenses"),
        flash: flash.map(FlashView::from),
        csv: String::new(),
        standard: true,
        columns: Vec::new(),
        mapping: Mapping::guess(&[]),
        rows: Vec::new(),
        more_rows: 0,
        duplicates: 0,
        errors: Vec::new(),
        nonce: String::new(),
    };
    let mut response = views::page(&page)?.into_response();
    if let Some((k, v)) = clear.as_deref().and_then(super::auth::set_cookie) {
        response.headers_mut().append(k, v);
    }
    Ok(response)
}

/// The preview of a file: what it would add, what is recorded already, what is wrong.
async fn preview(
    web: &Web,
    visit: &WebVisit,
    text: String,
    mapping: Option<Mapping>,
) -> Result<Response, WebError> {
    let reading = match read_csv(web, visit, &text, mapping) {
        Ok(r) => r,
        Err(why) => return Err(WebError::BadRequest(why)),
    };
    let lines: Vec<u64> = reading.rows.iter().map(|(l, _)| *l).collect();
    let entries: Vec<NewEntry> = reading.rows.into_iter().map(|(_, e)| e).collect();
    let Unrecorded { fresh, duplicates } = web
        .ledger
        .not_yet_recorded(&visit.session, entries.clone())
        .await?;
    // Which lines are the new ones: walk the file in order, matching the fresh entries.
    let mut shown = Vec::new();
    let mut fresh_iter = fresh.iter().peekable();
    for (line, e) in lines.iter().zip(&entries) {
        if fresh_iter.peek().is_some_and(|f| *f == e) {
            fresh_iter.next();
            if shown.len() < PREVIEW_ROWS {
                let c = e.money.currency();
                shown.push(ImportRowView {
                    line: *line,
                    date: e.occurred_on.to_string(),
                    kind: e.kind.as_str().to_owned(),
                    amount: format_amount(e.money.amount(), c),
                    currency: c.code().to_owned(),
                    category: e.category.as_str().to_owned(),
                    note: e
                        .note
                        .as_ref()
                        .map(|n| n.as_str().to_owned())
                        .unwrap_or_default(),
                });
            }
        }
    }
    let page = ImportPage {
        nav: nav(visit, "expenses"),
        flash: None,
        csv: text,
        standard: reading.standard,
        columns: reading
            .header
            .iter()
            .enumerate()
            .map(|(index, name)| ColumnChoice {
                index,
                name: if name.is_empty() {
                    format!("column {}", index + 1)
                } else {
                    name.clone()
                },
            })
            .collect(),
        mapping: reading.mapping,
        more_rows: fresh.len().saturating_sub(shown.len()),
        rows: shown,
        duplicates,
        errors: reading.errors,
        nonce: random_hex()?,
    };
    Ok(views::page(&page)?.into_response())
}

pub async fn import_upload(
    State(web): Shared,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, "/import").await?;
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    while let Some(mut part) = multipart
        .next_field()
        .await
        .map_err(|e| WebError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        match part.name() {
            Some("csrf_token") => {
                csrf = part.text().await.map_err(|e| {
                    WebError::BadRequest(format!("The form could not be read: {e}"))
                })?;
            }
            Some("file") => {
                let mut bytes = Vec::new();
                while let Some(chunk) = part.chunk().await.map_err(|e| {
                    WebError::BadRequest(format!("The upload could not be read: {e}"))
                })? {
                    if bytes.len() + chunk.len() > UPLOAD_MAX_BYTES {
                        return Err(WebError::BadRequest(
                            "The file is larger than 5 MB. Export a shorter period, or split it."
                                .to_owned(),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(bytes);
            }
            _ => {}
        }
    }
    if !super::auth::same(&csrf, &visit.csrf) {
        return Err(WebError::Csrf);
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return Ok(back(
            &web,
            "/import",
            &Flash::error("Choose a CSV file to import."),
        ));
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(WebError::BadRequest(
            "The file is not UTF-8 text. Save it as CSV (UTF-8) and try again.".to_owned(),
        ));
    };
    preview(&web, &visit, text, None).await
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    csv: String,
    #[serde(default)]
    nonce: String,
    #[serde(flatten)]
    mapping: MappingForm,
}

pub async fn import_preview(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<ImportForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/import").await?;
    check_size(&form.csv)?;
    preview(&web, &visit, form.csv, form.mapping.mapping()).await
}

fn check_size(csv: &str) -> Result<(), WebError> {
    if csv.len() > UPLOAD_MAX_BYTES {
        return Err(WebError::BadRequest(
            "The file is larger than 5 MB.".to_owned(),
        ));
    }
    Ok(())
}

pub async fn import_confirm(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<ImportForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/import").await?;
    check_size(&form.csv)?;
    let reading =
        read_csv(&web, &visit, &form.csv, form.mapping.mapping()).map_err(WebError::BadRequest)?;
    if let Some((line, why)) = reading.errors.first() {
        return Err(WebError::BadRequest(format!(
            "Nothing was imported: line {line}: {why}."
        )));
    }
    let entries: Vec<NewEntry> = reading.rows.into_iter().map(|(_, e)| e).collect();
    let fresh = web
        .ledger
        .not_yet_recorded(&visit.session, entries)
        .await?
        .fresh;
    if fresh.is_empty() {
        return Ok(back(
            &web,
            "/expenses",
            &Flash::info("Nothing new to add: every row is recorded already."),
        ));
    }
    // The preview's one-time value keys the import: confirming the same preview twice adds
    // the rows once, while a new preview of the same file (after deleting its rows, or with
    // another mapping) is a new import. Without one, the rows themselves are the key.
    let key = super::form_nonce(&form.nonce).unwrap_or_else(|| {
        let rows: String = fresh.iter().map(|e| format!("{e:?}\n")).collect();
        Sha256::digest(rows.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    });
    let account = visit.session.account.id;
    let source = Source {
        event: Some(EventKey(format!("web-import:{account}:{key}"))),
        message: None,
        ..Source::default()
    };
    let today = Utc::now()
        .with_timezone(&visit.session.account.timezone)
        .date_naive();
    match web
        .ledger
        .record(&visit.session, &source, &fresh, today, Utc::now())
        .await
    {
        Ok(done) => Ok(back(
            &web,
            "/expenses",
            &Flash::info(format!(
                "Imported {} row{}.",
                done.entries.len(),
                if done.entries.len() == 1 { "" } else { "s" }
            )),
        )),
        Err(LedgerError::Duplicate) => Ok(back(
            &web,
            "/expenses",
            &Flash::info("This file was imported already."),
        )),
        Err(e) => Err(e.into()),
    }
}
