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

impl Mapping {
    /// A first guess from the header's names.
    fn guess(header: &[String]) -> Mapping {
        let find = |names: &[&str]| {
            header.iter().position(|h| {
                let h = h.trim().to_lowercase();
                names.iter().any(|n| h == *n || h.contains(n))
            })
        };
        let amount_col = find(&["amount", "cost", "debit", "importe", "value", "sum"]).unwrap_or(1);
        Mapping {
            date_col: find(&["date", "fecha", "day", "booked"]).unwrap_or(0),
            date_format: "ymd".to_owned(),
            signs: if find(&["cost"]).is_some() {
                "positive"
            } else {
                "negative"
            }
            .to_owned(),
            amount_col,
            note_col: find(&[
                "description",
                "note",
                "memo",
                "payee",
                "details",
                "concepto",
                "name",
            ]),
            category_col: find(&["category", "categoría", "categoria"]),
            currency_col: find(&["currency", "moneda"]),
        }
    }
}

/// A file read: the rows it would add (with their line numbers) and the bad ones.
struct Reading {
    standard: bool,
    header: Vec<String>,
    mapping: Mapping,
    rows: Vec<(u64, NewEntry)>,
    errors: Vec<(u64, String)>,
}

fn read_csv(
    web: &Web,
    visit: &WebVisit,
    text: &str,
    mapping: Option<Mapping>,
) -> Result<Reading, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The file is not CSV: {e}"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let standard = header.len() == HEADER.len()
        && header
            .iter()
            .zip(HEADER)
            .all(|(h, want)| h.eq_ignore_ascii_case(want));
    let mapping = mapping.unwrap_or_else(|| {
        let mut m = Mapping::guess(&header);
        m.date_format = guess_date_format(text, m.date_col);
        m
    });
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 2, |p| p.line());
        let parsed = match record {
            Err(e) => Err(format!("not readable as CSV ({e})")),
            Ok(r) if r.iter().all(str::is_empty) => continue,
            Ok(r) if standard => standard_row(&r),
            Ok(r) => mapped_row(web, visit, &r, &mapping),
        };
        match parsed {
            Ok(entry) => rows.push((line, entry)),
            Err(why) => errors.push((line, why)),
        }
        if rows.len() + errors.len() > MAX_ROWS {
            return Err(format!(
                "The file has more than {MAX_ROWS} rows; split it into smaller files."
            ));
        }
    }
    Ok(Reading {
        standard,
        header,
        mapping,
        rows,
        errors,
    })
}

fn field(r: &csv::StringRecord, i: usize) -> &str {
    r.get(i).unwrap_or_default()
}

fn standard_row(r: &csv::StringRecord) -> Result<NewEntry, String> {
    if r.len() != HEADER.len() {
        return Err(format!("it has {} fields, not 6", r.len()));
    }
    let date = NaiveDate::parse_from_str(field(r, 0), "%Y-%m-%d")
        .ok()
        .filter(|d| storable(*d))
        .ok_or_else(|| format!("the date \"{}\" is not YYYY-MM-DD", field(r, 0)))?;
    let kind = EntryKind::parse(field(r, 1))
        .ok_or_else(|| format!("the kind \"{}\" is neither expense nor income", field(r, 1)))?;
    let currency = Currency::parse(&field(r, 3).to_uppercase())
        .ok_or_else(|| format!("\"{}\" is not a currency code", field(r, 3)))?;
    let amount = Decimal::from_str(field(r, 2))
        .map_err(|_| format!("the amount \"{}\" is not a number like 14.00", field(r, 2)))?;
    let money = money(amount, currency)?;
    let category = Category::parse(field(r, 4))
        .ok_or_else(|| format!("the category \"{}\" is not one word", field(r, 4)))?;
    Ok(NewEntry {
        kind,
        money,
        category,
        note: Note::new(field(r, 5)),
        occurred_on: date,
    })
}

fn money(amount: Decimal, currency: Currency) -> Result<Money, String> {
    Money::new(amount, currency).map_err(|e| format!("the amount {amount} does not work: {e}"))
}

fn mapped_row(
    web: &Web,
    visit: &WebVisit,
    r: &csv::StringRecord,
    m: &Mapping,
) -> Result<NewEntry, String> {
    let date_text = field(r, m.date_col);
    let date = loose_date(date_text, &m.date_format)
        .ok_or_else(|| format!("the date \"{date_text}\" does not match the date format chosen"))?;
    let amount_text = field(r, m.amount_col);
    let amount = loose_amount(amount_text)
        .ok_or_else(|| format!("the amount \"{amount_text}\" is not a number"))?;
    let expense_negative = m.signs == "negative";
    let kind = match (amount.is_sign_negative(), expense_negative) {
        (true, true) | (false, false) => EntryKind::Expense,
        _ => EntryKind::Income,
    };
    let currency = match m
        .currency_col
        .map(|i| field(r, i))
        .filter(|c| !c.is_empty())
    {
        Some(code) => Currency::parse(&code.to_uppercase())
            .ok_or_else(|| format!("\"{code}\" is not a currency code"))?,
        None => visit.session.account.currency,
    };
    let note = m.note_col.map(|i| field(r, i)).unwrap_or_default();
    let lang = visit.session.account.language.as_str();
    let today = Utc::now().date_naive();
    let named = m.category_col.map(|i| field(r, i)).unwrap_or_default();
    let category = match kind {
        EntryKind::Income => Category::parse("income"),
        EntryKind::Expense => Category::parse(named)
            .filter(|c| DEFAULT_CATEGORIES.contains(&c.as_str()))
            .or_else(|| web.bot.category_for(lang, named, today))
            .or_else(|| web.bot.category_for(lang, note, today)),
    }
    .unwrap_or_else(Category::other);
    Ok(NewEntry {
        kind,
        money: money(amount.abs(), currency)?,
        category,
        note: Note::new(note),
        occurred_on: date,
    })
}

/// The day/month order of a file's dates: `dmy` when a first number is above 12, `mdy` when
/// a second is, ISO otherwise.
fn guess_date_format(text: &str, column: usize) -> String {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    for record in reader.records().take(200).flatten() {
        let parts: Vec<u32> = field(&record, column)
            .split(['/', '.', '-'])
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        if let [a, b, _] = parts.as_slice() {
            if *a > 31 {
                return "ymd".to_owned();
            }
            if *a > 12 {
                return "dmy".to_owned();
            }
            if *b > 12 {
                return "mdy".to_owned();
            }
        }
    }
    "dmy".to_owned()
}

/// A date in ISO form, or with `/`, `.` or `-` in the chosen day/month order.
fn loose_date(text: &str, format: &str) -> Option<NaiveDate> {
    let text = text.split([' ', 'T']).next()?.trim();
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return storable(d).then_some(d);
    }
    let parts: Vec<&str> = text.split(['/', '.', '-']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (d, m, y) = match format {
        "mdy" => (b, a, c),
        "ymd" => (c, b, a),
        _ => (a, b, c),
    };
    let mut year: i32 = y.parse().ok()?;
    if year < 100 {
        year += 2000;
    }
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?).filter(|d| storable(*d))
}

/// `1,234.50`, `1.234,50`, `-12.00`, `(12.00)`, `$ 12`, `12,5` as a decimal.
fn loose_amount(text: &str) -> Option<Decimal> {
    let negative = text.contains('-') || (text.contains('(') && text.contains(')'));
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    let normal = match (digits.rfind('.'), digits.rfind(',')) {
        (Some(dot), Some(comma)) if comma > dot => digits.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => digits.replace(',', ""),
        (None, Some(comma)) if digits.len() - comma - 1 != 3 => digits.replace(',', "."),
        (None, Some(_)) => digits.replace(',', ""),
        _ => digits,
    };
    let value = Decimal::from_str(&normal).ok()?;
    Some(if negative { -value } else { value })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_amounts_read_common_shapes() {
        let d = |s: &str| Decimal::from_str(s).expect("decimal");
        assert_eq!(loose_amount("1,234.50"), Some(d("1234.50")));
        assert_eq!(loose_amount("1.234,50"), Some(d("1234.50")));
        assert_eq!(loose_amount("-12.00"), Some(d("-12.00")));
        assert_eq!(loose_amount("(12.00)"), Some(d("-12.00")));
        assert_eq!(loose_amount("12,5"), Some(d("12.5")));
        assert_eq!(loose_amount("$ 1,200"), Some(d("1200")));
        assert_eq!(loose_amount("abc"), None);
    }

    #[test]
    fn loose_dates_follow_the_chosen_order() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(loose_date("2026-11-24", "dmy"), d(2026, 11, 24));
        assert_eq!(loose_date("24/11/2026", "dmy"), d(2026, 11, 24));
        assert_eq!(loose_date("11/24/2026", "mdy"), d(2026, 11, 24));
        assert_eq!(loose_date("24.11.26", "dmy"), d(2026, 11, 24));
        assert_eq!(loose_date("2026-11-24T10:00:00", "dmy"), d(2026, 11, 24));
        assert_eq!(loose_date("31/02/2026", "dmy"), None);
        assert_eq!(
            loose_date("0500-01-01", "dmy"),
            None,
            "years every engine stores"
        );
        assert_eq!(loose_date("01/01/10000", "dmy"), None);
    }

    #[test]
    fn mappings_are_guessed_from_header_names() {
        let header: Vec<String> = ["Date", "Description", "Category", "Cost", "Currency"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let m = Mapping::guess(&header);
        assert_eq!((m.date_col, m.amount_col), (0, 3));
        assert_eq!(
            (m.note_col, m.category_col, m.currency_col),
            (Some(1), Some(2), Some(4))
        );
        assert_eq!(m.signs, "positive");
    }
}
