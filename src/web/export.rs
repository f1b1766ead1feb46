//! `/export.csv`: the entries of a period (all by default) in the CSV of docs/contract.md,
//! `date,kind,amount,currency,category,note`, oldest first, as a download.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Web, WebError, span};
use crate::ledger::EntryQuery;

type Shared = State<Arc<Web>>;

/// The header of Spendbot's own CSV.
pub(super) const HEADER: [&str; 6] = ["date", "kind", "amount", "currency", "category", "note"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    from: String,
    to: String,
}

pub async fn export(
    State(web): Shared,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, "/export.csv").await?;
    let date = |t: &str| NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok();
    let range = span(date(&q.from), date(&q.to));
    let mut entries = web
        .ledger
        .entries(
            &visit.session,
            &EntryQuery {
                range,
                limit: u32::MAX,
                ..EntryQuery::default()
            },
        )
        .await?;
    // Oldest first, as a ledger reads.
    entries.reverse();
    let mut out = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| WebError::Internal(format!("csv: {e}"));
    out.write_record(HEADER).map_err(io)?;
    for e in &entries {
        let currency = e.money.currency();
        let digits = usize::try_from(currency.minor_digits()).unwrap_or(2);
        out.write_record([
            e.occurred_on.format("%Y-%m-%d").to_string(),
            e.kind.as_str().to_owned(),
            format!("{:.*}", digits, e.money.amount()),
            currency.code().to_owned(),
            e.category.as_str().to_owned(),
            e.note
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
        ])
        .map_err(io)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| WebError::Internal(format!("csv: {e}")))?;
    let name = match range {
        Some(r) => format!("spendbot-{}-to-{}.csv", r.from, r.to),
        None => "spendbot.csv".to_owned(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
