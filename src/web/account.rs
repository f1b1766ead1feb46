//! Signed-out pages and the moves between signed out and signed in: the front page, sign-up,
//! sign-in (with the wait after ten failures), sign-out, the emailed links (verification,
//! password reset) and the chat's one-time sign-in link.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use super::auth::{self, SESSION_COOKIE, cookie, set_cookie};
use super::views::{self, AuthForm, AuthPage, HomePage, MessagePage};
use super::{Web, WebError};
use crate::ledger::{NewLogin, Registration};

type Shared = State<Arc<Web>>;

/// Where a sign-in may lead: a path of this site, never another site. Only plain path and
/// query characters pass; a tab or a backslash could turn `/\tevil.com` into `//evil.com` in
/// a browser's reading of `Location`.
fn safe_next(next: Option<&str>) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/_-.?=&%~+".contains(c);
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && n.chars().all(plain) => {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

/// A signed-out form page, with its CSRF cookie when the browser has none yet.
fn auth_page(
    web: &Web,
    headers: &HeaderMap,
    mut page: AuthPage,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (csrf, set) = web.signed_out_csrf(headers)?;
    page.csrf = csrf;
    let html = views::page(&page)?;
    let mut response = (status, html).into_response();
    if let Some((k, v)) = set.as_deref().and_then(set_cookie) {
        response.headers_mut().append(k, v);
    }
    Ok(response)
}

fn blank(form: AuthForm) -> AuthPage {
    AuthPage {
        nav: None,
        form,
        csrf: String::new(),
        email: String::new(),
        next: String::new(),
        token: String::new(),
        error: None,
        info: None,
    }
}

/// A redirect that sets cookies.
fn redirect_with(to: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(to).into_response();
    for c in cookies {
        if let Some((k, v)) = set_cookie(c) {
            response.headers_mut().append(k, v);
        }
    }
    response
}

pub async fn home(State(web): Shared, headers: HeaderMap) -> Result<Response, WebError> {
    if web.maybe_visitor(&headers).await?.is_some() {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    Ok(views::page(&HomePage { nav: None })?.into_response())
}

pub async fn register_page(State(web): Shared, headers: HeaderMap) -> Result<Response, WebError> {
    if web.maybe_visitor(&headers).await?.is_some() {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    auth_page(&web, &headers, blank(AuthForm::Register), StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Credentials {
    csrf_token: String,
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn register(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Result<Response, WebError> {
    web.check_signed_out_csrf(&headers, &form.csrf_token)?;
    let again = |error: String| {
        let mut page = blank(AuthForm::Register);
        page.email = form.email.trim().to_owned();
        page.error = Some(error);
        auth_page(&web, &headers, page, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let Ok(email) = crate::ledger::login_email(&form.email) else {
        return again("That does not look like an email address.".to_owned());
    };
    if let Some(problem) = auth::password_problem(&form.password, &email) {
        return again(problem);
    }
    let hash = auth::hash_password(form.password.clone()).await?;
    let language = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split([',', ';', '-']).next())
        .map(str::trim)
        .filter(|l| web.bot.languages().iter().any(|(code, _)| code == l))
        .map(str::to_owned);
    let prefix = web.emailed_link("/verify-email");
    match web
        .ledger
        .register(
            NewLogin {
                email: &email,
                password_hash: &hash,
            },
            language.as_deref(),
            prefix.as_deref(),
            Utc::now(),
        )
        .await?
    {
        Registration::Created(start) => {
            // A session this browser had (another account's) ends with the new one.
            if let Some(old) = cookie(&headers, SESSION_COOKIE) {
                web.ledger.sign_out(old).await?;
            }
            let mut cookies = vec![web.session_cookie(&start)];
            let welcome = if web.bot.emails_on() {
                "Welcome! Your wallet is ready. We emailed you a link to confirm your address."
            } else {
                "Welcome! Your wallet is ready: type your first expense below."
            };
            cookies.push(web.flash_cookie(&auth::Flash::info(welcome)));
            Ok(redirect_with("/dashboard", &cookies))
        }
        Registration::EmailTaken => again(
            "An account with this email exists already. Sign in, or use \"Forgot your password\"."
                .to_owned(),
        ),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(
    State(web): Shared,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    if web.maybe_visitor(&headers).await?.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let mut page = blank(AuthForm::Login);
    page.next = safe_next(q.next.as_deref());
    auth_page(&web, &headers, page, StatusCode::OK)
}

pub async fn login(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Result<Response, WebError> {
    web.check_signed_out_csrf(&headers, &form.csrf_token)?;
    let now = Utc::now();
    let next = safe_next(form.next.as_deref());
    let mut page = blank(AuthForm::Login);
    page.email = form.email.trim().to_owned();
    page.next = next.clone();
    if let Some(wait) = web.ledger.sign_in_wait(&form.email, now).await? {
        let minutes = (wait.num_seconds() + 59) / 60;
        page.error = Some(format!(
            "Too many wrong attempts for this email. Please wait {minutes} minute{} and try again, \
             or reset your password.",
            if minutes == 1 { "" } else { "s" }
        ));
        let mut response = auth_page(&web, &headers, page, StatusCode::TOO_MANY_REQUESTS)?;
        if let Ok(v) = wait.num_seconds().to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(response);
    }
    // Counted as failed before the password is checked, and forgotten if it was right: so
    // attempts sent all at once cannot slip past the limit while their hashes compute.
    web.ledger.sign_in_attempted(&form.email, now).await?;
    let candidate = web.ledger.sign_in_candidate(&form.email).await?;
    let stored = candidate.as_ref().and_then(|c| c.password_hash.clone());
    let good = auth::password_matches(form.password.clone(), stored).await?;
    match candidate.filter(|_| good) {
        Some(c) => {
            let start = web
                .ledger
                .signed_in(
                    c.account,
                    &form.email,
                    cookie(&headers, SESSION_COOKIE),
                    now,
                )
                .await?;
            Ok(redirect_with(&next, &[web.session_cookie(&start)]))
        }
        None => {
            page.error = Some("Wrong email or password.".to_owned());
            auth_page(&web, &headers, page, StatusCode::OK)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf_token: String,
}

pub async fn logout(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    let Some(visit) = web.maybe_visitor(&headers).await? else {
        return Ok(redirect_with("/", &[web.clear_session_cookie()]));
    };
    if !auth::same(&form.csrf_token, &visit.csrf) {
        return Err(WebError::Csrf);
    }
    if let Some(c) = cookie(&headers, SESSION_COOKIE) {
        web.ledger.sign_out(c).await?;
    }
    Ok(redirect_with("/", &[web.clear_session_cookie()]))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

fn message(
    title: &str,
    text: &str,
    element_id: &'static str,
    link: (&'static str, &'static str),
) -> Result<Response, WebError> {
    Ok(views::page(&MessagePage {
        nav: None,
        title: title.to_owned(),
        text: text.to_owned(),
        element_id,
        link: Some(link),
    })?
    .into_response())
}

/// The page of a link that is wrong, expired or used: 400, with where to go instead.
fn dead_link(
    title: &str,
    text: &str,
    link: (&'static str, &'static str),
) -> Result<Response, WebError> {
    let mut response = message(title, text, "link-invalid", link)?;
    *response.status_mut() = StatusCode::BAD_REQUEST;
    Ok(response)
}

pub async fn verify_email(
    State(web): Shared,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    match web
        .ledger
        .verify_email_link(q.token.trim(), Utc::now())
        .await?
    {
        Some(email) => message(
            "Email confirmed",
            &format!(
                "Your email {email} is verified. Spendbot will email you when you pass a limit."
            ),
            "verified",
            ("/dashboard", "Open your dashboard"),
        ),
        None => dead_link(
            "This link does not work",
            "It is wrong, expired or already used. Nothing changed. You can get a new one in Settings.",
            ("/settings", "Go to settings"),
        ),
    }
}

pub async fn forgot_page(State(web): Shared, headers: HeaderMap) -> Result<Response, WebError> {
    let mut page = blank(AuthForm::Forgot);
    if !web.bot.emails_on() {
        page.info = Some(no_email_reset().to_owned());
    }
    auth_page(&web, &headers, page, StatusCode::OK)
}

/// What a reset means on a Spendbot that sends no email.
fn no_email_reset() -> &'static str {
    "This Spendbot sends no email (its operator has not set up SendGrid), so it cannot send a \
     reset link. If you use Spendbot in a chat, send /web there: its link signs you in."
}

pub async fn forgot(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Result<Response, WebError> {
    web.check_signed_out_csrf(&headers, &form.csrf_token)?;
    let prefix = web.emailed_link("/reset-password");
    web.ledger
        .request_password_reset(&form.email, prefix.as_deref(), Utc::now())
        .await?;
    let mut page = blank(AuthForm::Forgot);
    page.email = form.email.trim().to_owned();
    page.info = Some(if web.bot.emails_on() {
        "If an account uses this email, a link to choose a new password is on its way. It works \
         once, within an hour."
            .to_owned()
    } else {
        no_email_reset().to_owned()
    });
    auth_page(&web, &headers, page, StatusCode::OK)
}

pub async fn reset_page(
    State(web): Shared,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    if !web
        .ledger
        .reset_token_valid(q.token.trim(), Utc::now())
        .await?
    {
        return dead_link(
            "This link does not work",
            "It is wrong, expired or already used. Nothing changed. Ask for a new one.",
            ("/forgot-password", "Email me a new link"),
        );
    }
    let mut page = blank(AuthForm::Reset);
    page.token = q.token.trim().to_owned();
    auth_page(&web, &headers, page, StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    csrf_token: String,
    token: String,
    password: String,
}

pub async fn reset(
    State(web): Shared,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Result<Response, WebError> {
    web.check_signed_out_csrf(&headers, &form.csrf_token)?;
    if let Some(problem) = auth::password_problem(&form.password, "") {
        let mut page = blank(AuthForm::Reset);
        page.token = form.token.trim().to_owned();
        page.error = Some(problem);
        return auth_page(&web, &headers, page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let hash = auth::hash_password(form.password.clone()).await?;
    if !web
        .ledger
        .reset_password(form.token.trim(), &hash, Utc::now())
        .await?
    {
        return dead_link(
            "This link does not work",
            "It is wrong, expired or already used. Nothing changed. Ask for a new one.",
            ("/forgot-password", "Email me a new link"),
        );
    }
    let mut page = blank(AuthForm::Login);
    page.next = "/dashboard".to_owned();
    page.info = Some(
        "Your password is changed, and every session is signed out. Sign in with the new one."
            .to_owned(),
    );
    let mut response = auth_page(&web, &headers, page, StatusCode::OK)?;
    if let Some((k, v)) = set_cookie(&web.clear_session_cookie()) {
        response.headers_mut().append(k, v);
    }
    Ok(response)
}

pub async fn chat_login(
    State(web): Shared,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Response, WebError> {
    let previous = cookie(&headers, SESSION_COOKIE);
    match web
        .ledger
        .chat_login(q.token.trim(), previous, Utc::now())
        .await?
    {
        Some(start) => Ok(redirect_with("/dashboard", &[web.session_cookie(&start)])),
        None => dead_link(
            "This sign-in link does not work",
            "It is wrong, expired (links last 15 minutes) or already used. Send /web to the bot for a new one.",
            ("/login", "Sign in with email"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_never_leads_off_the_site() {
        assert_eq!(safe_next(Some("/limits?x=1")), "/limits?x=1");
        for evil in [
            "//evil.com",
            "/\tevil.com",
            "/\t/evil.com",
            "https://evil.com",
            "/\\evil.com",
            "/ /x",
        ] {
            assert_eq!(safe_next(Some(evil)), "/dashboard", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/dashboard");
    }
}
