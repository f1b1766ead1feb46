//! Settings: currency, time zone, language, email alerts; the sign-in of an account that came
//! from a chat; linked chats, link codes and the Telegram deep link.

use std::str::FromStr;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;

use super::auth::{self, Flash};
use super::views::{self, ChatView, FlashView, SettingsPage};
use super::{CsrfForm, Web, WebError, back, nav, with_flash_cleared};
use crate::domain::{Currency, IdentityId, Platform};
use crate::ledger::{LINK_CODE_TTL, LedgerError, NewLogin};

type Shared = State<Arc<Web>>;

pub async fn settings(State(web): Shared, headers: HeaderMap) -> Result<Response, WebError> {
    let visit = web.visitor(&headers, "/settings").await?;
    let s = &visit.session;
    let email = web.ledger.email_settings(s).await?;
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
        email: email.as_ref().map(|e| e.email.clone()),
        login_email: visit.login.as_ref().map(|l| l.email.clone()),
        verified: email.as_ref().is_some_and(|e| e.verified),
        alerts_on: email.as_ref().is_some_and(|e| e.alerts_on),
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SettingsForm {
    csrf_token: String,
    currency: String,
    timezone: String,
    language: String,
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
        .create_link_code(&visit.session, None, Utc::now())
        .await?;
    let flash = Flash {
        kind: "code".into(),
        text: code.code,
        undo: None,
    };
    Ok(back(&web, "/settings#chats", &flash))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    csrf_token: String,
    email: String,
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
    let prefix = web.emailed_link("/verify-email");
    let done = web
        .ledger
        .add_web_login(
            &visit.session,
            NewLogin {
                email: &email,
                password_hash: &hash,
            },
            prefix.as_deref(),
            Utc::now(),
        )
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    csrf_token: String,
    current_password: String,
    password: String,
}

/// A new password, given the current one; every other session ends.
pub async fn change_password(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/settings").await?;
    let Some(login) = visit.login.as_ref() else {
        return Err(WebError::NotFound);
    };
    let stored = web
        .ledger
        .sign_in_candidate(&login.email)
        .await?
        .and_then(|c| c.password_hash);
    if !auth::password_matches(form.current_password.clone(), stored).await? {
        return Ok(back(
            &web,
            "/settings#account",
            &Flash::error("Your current password is not right, so nothing changed."),
        ));
    }
    if let Some(problem) = auth::password_problem(&form.password, &login.email) {
        return Ok(back(&web, "/settings#account", &Flash::error(problem)));
    }
    let hash = auth::hash_password(form.password.clone()).await?;
    let cookie = super::auth::cookie(&headers, super::SESSION_COOKIE).unwrap_or_default();
    web.ledger
        .change_password(&visit.session, &hash, cookie)
        .await?;
    Ok(back(
        &web,
        "/settings#account",
        &Flash::info("Password changed. Every other session is signed out."),
    ))
}

pub async fn resend_verification(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let visit = web.poster(&headers, &form.csrf_token, "/settings").await?;
    let prefix = web.emailed_link("/verify-email");
    let sent = web
        .ledger
        .resend_verification(&visit.session, prefix.as_deref(), Utc::now())
        .await;
    let flash = match sent {
        Ok(true) => Flash::info("A new confirmation link is on its way."),
        Ok(false) => Flash::info("There is no address waiting to be confirmed."),
        Err(LedgerError::TooMany) => Flash::error(
            "You asked for several links in the last hour. Check your inbox (and spam folder), \
             or try again later.",
        ),
        Err(e) => return Err(e.into()),
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
