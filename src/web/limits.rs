//! Limits: where each stands in its current period; set, change and remove.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::auth::Flash;
use super::entries::{category_names, entry_from_form};
use super::views::{self, FlashView, LimitView, LimitsPage};
use super::{CsrfForm, Web, WebError, back, nav, today, with_flash_cleared};
use crate::domain::{EntryKind, LimitId, LimitPeriod, NewLimit};

type Shared = State<Arc<Web>>;

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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LimitForm {
    csrf_token: String,
    amount: String,
    period: String,
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
