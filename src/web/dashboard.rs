//! The dashboard: this month against the limits, spending by category and per day (charts
//! drawn for a desktop column and for a phone), the latest entries, and the box to type in.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use rust_decimal::Decimal;

use super::auth::{self};
use super::views::{self, DashboardPage, EntryView, FlashView, LimitView};
use super::{Web, WebError, nav, today, with_flash_cleared};
use crate::chart::{Bar, Chart, ChartKind, Palette};
use crate::domain::{Currency, DateRange, format_amount};
use crate::ledger::EntryQuery;

type Shared = State<Arc<Web>>;

/// The latest entries on the dashboard.
const LATEST: u32 = 8;
/// The widths of charts drawn for a desktop column and for phones, in SVG units (about CSS
/// pixels where they are shown).
const WIDE_CHART: u32 = 500;
const NARROW_CHART: u32 = 340;

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
    let email = web.ledger.email_settings(s).await?;
    let spent = summary.spent();
    let money = |(c, a): &(Currency, Decimal)| format!("{} {}", format_amount(*a, *c), c);
    let income_here = summary
        .income
        .iter()
        .find(|(c, _)| *c == currency)
        .map_or(Decimal::ZERO, |(_, a)| *a);
    let balance = income_here - summary.spent_in(currency, None);
    let charts = category_charts(&summary, currency, today);
    let day_chart = day_chart(&days, currency);
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
            && email.as_ref().is_some_and(|e| !e.verified),
        has_login: visit.login.is_some(),
    };
    Ok(with_flash_cleared(views::page(&page)?, clear))
}

/// Spending by category this month, one chart per currency spent in (the account's own when
/// nothing was).
fn category_charts(
    summary: &crate::domain::Summary,
    currency: Currency,
    today: chrono::NaiveDate,
) -> Vec<(String, String)> {
    let mut currencies: Vec<Currency> = summary.spent().iter().map(|(c, _)| *c).collect();
    if currencies.is_empty() {
        currencies.push(currency);
    }
    currencies
        .iter()
        .enumerate()
        .map(|(i, c)| {
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
            both_widths(&Chart {
                id: if i == 0 {
                    "chart-categories".to_owned()
                } else {
                    format!("chart-categories-{}", c.code().to_lowercase())
                },
                title: format!("By category, {} ({c})", today.format("%B")),
                kind: ChartKind::ByCategory,
                bars,
                empty_text: "Nothing spent this month yet".to_owned(),
            })
        })
        .collect()
}

/// Spending per day over the last 30 days, in the account's currency.
fn day_chart(days: &[(chrono::NaiveDate, Decimal)], currency: Currency) -> (String, String) {
    both_widths(&Chart {
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
    })
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
