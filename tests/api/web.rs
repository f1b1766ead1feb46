//! The web side over HTTP, on every engine: sign-up and the emailed links, sign-in and its
//! limits, CSRF, entries typed, edited and deleted, other people's ids, limits and the alert an
//! edit can cause, export and import, and linking chats in both directions (fake Telegram).
//!
//! A small client keeps cookies and reads each form's `csrf_token` from the page, the way a
//! browser does; the real-browser story is `browser.rs`.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};

use crate::fakes::sendgrid::{API_KEY, FakeSendGrid};
use crate::fakes::telegram::{self as tg, FakeTelegram};
use crate::helpers::{TestApp, spawn_app_at};

const WAIT: Duration = Duration::from_secs(10);
const PASSWORD: &str = "correct horse battery 42";
const TG_TOKEN: &str = "123456:TEST-token";

crate::each_engine!(
    signing_up_signs_in_and_the_emailed_link_verifies_the_address,
    sign_in_answers_wrong_email_and_password_alike_and_waits_after_ten_failures,
    a_password_reset_link_works_once_and_ends_every_session,
    typed_edited_and_deleted_entries_stay_in_their_own_wallet,
    requests_without_the_right_csrf_token_change_nothing,
    an_edit_that_passes_a_limit_emails_one_overspend_alert,
    imports_preview_add_new_rows_once_and_refuse_bad_files,
    chats_link_to_the_web_account_and_web_links_sign_chats_in,
);

/// A browser-like client: cookies kept, redirects not followed (stories check them).
struct Client {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The first form's `csrf_token` on the page.
    fn csrf(&self) -> String {
        let key = "name=\"csrf_token\" value=\"";
        let at = self
            .body
            .find(key)
            .unwrap_or_else(|| panic!("a csrf_token field on the page: {}", self.body));
        let rest = &self.body[at + key.len()..];
        rest[..rest.find('"').expect("a closing quote")].to_owned()
    }
}

impl Client {
    fn new(app: &TestApp) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            base: app.address.clone(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Answer {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().expect("an ASCII cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("a body"),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let response = self
            .http
            .get(url)
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("the app answers");
        self.keep(response).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("the app answers");
        self.keep(response).await
    }

    /// GETs `page` for its CSRF token, then POSTs `form` with it to `path`.
    async fn submit(&mut self, page: &str, path: &str, form: &[(&str, &str)]) -> Answer {
        let csrf = self.get(page).await.csrf();
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(form);
        self.post(path, &all).await
    }

    /// POSTs the edit form of entry `id`: amount, currency, category, note, date.
    async fn edit(&mut self, id: i64, csrf: &str, fields: [&str; 5]) -> Answer {
        let [amount, currency, category, note, date] = fields;
        self.post(
            &format!("/expenses/{id}"),
            &[
                ("csrf_token", csrf),
                ("amount", amount),
                ("currency", currency),
                ("category", category),
                ("note", note),
                ("date", date),
            ],
        )
        .await
    }

    async fn register(&mut self, email: &str) -> Answer {
        self.submit(
            "/register",
            "/register",
            &[("email", email), ("password", PASSWORD)],
        )
        .await
    }

    /// Types `text` into the dashboard's box and returns the page the bot's reply is on.
    async fn type_text(&mut self, text: &str) -> Answer {
        let page = self.get("/dashboard").await;
        let nonce = field_value(&page.body, "nonce");
        let answer = self
            .post(
                "/expenses",
                &[
                    ("csrf_token", &page.csrf()),
                    ("text", text),
                    ("nonce", &nonce),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        self.get("/dashboard").await
    }
}

/// The value of the first field named `name` on a page (an input's `value`, a textarea's text).
fn field_value(body: &str, name: &str) -> String {
    let key = format!("name=\"{name}\"");
    let at = body
        .find(&key)
        .unwrap_or_else(|| panic!("a {name} field: {body}"));
    let start = body[..at].rfind('<').expect("a tag");
    let end = at + body[at..].find('>').expect("a tag end");
    let tag = &body[start..end];
    match tag.find("value=\"") {
        Some(v) => {
            let rest = &tag[v + 7..];
            rest[..rest.find('"').expect("a closing quote")].to_owned()
        }
        None => String::new(),
    }
}

/// The dashboard's list of latest entries.
fn latest(body: &str) -> &str {
    let at = body.find("id=\"latest\"").unwrap_or(body.len());
    &body[at..]
}

/// The entry ids listed on `/expenses`.
fn entry_ids(body: &str) -> Vec<i64> {
    body.match_indices("data-id=\"")
        .filter_map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

/// The link in the text of the newest mail to `to` that contains `marker`.
async fn mailed_link(fake: &FakeSendGrid, to: &str, marker: &str) -> String {
    let arrived = fake
        .wait_for(WAIT, |f| {
            f.mails().iter().any(|m| {
                m.to().iter().any(|t| t == to)
                    && m.content("text/plain").is_some_and(|t| t.contains(marker))
            })
        })
        .await;
    assert!(arrived, "a mail with {marker} to {to}: {:?}", fake.mails());
    let mail = fake
        .mails()
        .into_iter()
        .rev()
        .find(|m| m.content("text/plain").is_some_and(|t| t.contains(marker)))
        .expect("the mail");
    let text = mail.content("text/plain").expect("a text part").to_owned();
    let at = text.find("http").expect("a link");
    text[at..]
        .split_whitespace()
        .next()
        .expect("a link")
        .to_owned()
}

async fn app_with_email(db: &str) -> (TestApp, FakeSendGrid) {
    let fake = FakeSendGrid::start().await;
    let url = fake.url();
    let app = spawn_app_at(
        &[("SENDGRID_API_KEY", API_KEY), ("SENDGRID_API_URL", &url)],
        Some(db),
    )
    .await;
    (app, fake)
}

async fn signing_up_signs_in_and_the_emailed_link_verifies_the_address(db: String) {
    let (app, mail) = app_with_email(&db).await;
    let mut ana = Client::new(&app);
    assert_eq!(
        ana.get("/dashboard").await.location(),
        "/login?next=%2Fdashboard"
    );

    let weak = ana
        .submit(
            "/register",
            "/register",
            &[("email", "ana@example.com"), ("password", "password123")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("too easy to guess"), "{}", weak.body);
    let short = ana
        .submit(
            "/register",
            "/register",
            &[("email", "ana@example.com"), ("password", "short")],
        )
        .await;
    assert!(
        short.body.contains("at least 10 characters"),
        "{}",
        short.body
    );

    let created = ana.register("Ana@Example.com").await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(created.location(), "/dashboard");
    let session = created
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("spendbot_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(
        !session.contains("Secure"),
        "plain http: no Secure flag: {session}"
    );
    let dashboard = ana.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("ana@example.com"));
    assert!(dashboard.body.contains("id=\"verify-banner\""));
    let csp = dashboard
        .headers
        .get("content-security-policy")
        .expect("a CSP");
    assert!(
        csp.to_str()
            .expect("ascii")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(
        dashboard
            .headers
            .get("x-content-type-options")
            .expect("nosniff"),
        "nosniff"
    );
    assert_eq!(
        dashboard.headers.get("referrer-policy").expect("a policy"),
        "same-origin"
    );

    let again = Client::new(&app).register("ana@example.com").await;
    assert!(
        again.body.contains("exists already"),
        "one account per address: {}",
        again.body
    );

    let link = mailed_link(&mail, "ana@example.com", "/verify-email?token=").await;
    assert!(link.starts_with(&app.address), "{link}");
    let verified = ana.get(&link).await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
    assert!(verified.body.contains("id=\"verified\""));
    let replayed = ana.get(&link).await;
    assert_eq!(replayed.status, StatusCode::BAD_REQUEST, "single use");
    let settings = ana.get("/settings").await;
    assert!(
        settings.body.contains("tag ok\">confirmed"),
        "{}",
        settings.body
    );
    assert!(!ana.get("/dashboard").await.body.contains("verify-banner"));

    let forged = ana.get("/verify-email?token=0000").await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
}

async fn sign_in_answers_wrong_email_and_password_alike_and_waits_after_ten_failures(db: String) {
    let app = spawn_app_at(&[], Some(&db)).await;
    let mut ana = Client::new(&app);
    ana.register("ana@example.com").await;
    let mut guest = Client::new(&app);
    let wrong_password = guest
        .submit(
            "/login",
            "/login",
            &[
                ("email", "ana@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    let wrong_email = guest
        .submit(
            "/login",
            "/login",
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    for answer in [&wrong_password, &wrong_email] {
        assert_eq!(answer.status, StatusCode::OK);
        assert!(
            answer.body.contains("Wrong email or password."),
            "{}",
            answer.body
        );
    }
    let good = guest
        .submit(
            "/login",
            "/login",
            &[
                ("email", "ANA@example.com"),
                ("password", PASSWORD),
                ("next", "/limits"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    assert_eq!(good.location(), "/limits");
    let away = Client::new(&app)
        .submit(
            "/login",
            "/login",
            &[
                ("email", "ana@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(away.location(), "/dashboard", "never off the site");

    // Behind https, the session cookie is Secure.
    let secure = spawn_app_at(
        &[("SPENDBOT_PUBLIC_URL", "https://spend.example.com")],
        None,
    )
    .await;
    let created = Client::new(&secure).register("cy@example.com").await;
    let cookie = created
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("spendbot_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");

    let mut attacker = Client::new(&app);
    for i in 0..10 {
        let a = attacker
            .submit(
                "/login",
                "/login",
                &[
                    ("email", "ana@example.com"),
                    ("password", "guess guess guess"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "attempt {i}");
    }
    let locked = attacker
        .submit(
            "/login",
            "/login",
            &[("email", "ana@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers.get("retry-after").is_some());
    assert!(locked.body.contains("wait"), "{}", locked.body);
    assert_eq!(
        ana.get("/dashboard").await.status,
        StatusCode::OK,
        "sessions stay"
    );

    let csrf = ana.get("/dashboard").await.csrf();
    let out = ana.post("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.location(), "/");
    assert!(!ana.cookies.contains_key("spendbot_session"));
    assert_eq!(ana.get("/dashboard").await.status, StatusCode::SEE_OTHER);
}

async fn a_password_reset_link_works_once_and_ends_every_session(db: String) {
    let (app, mail) = app_with_email(&db).await;
    let mut laptop = Client::new(&app);
    laptop.register("ana@example.com").await;
    let mut phone = Client::new(&app);
    phone
        .submit(
            "/login",
            "/login",
            &[("email", "ana@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(phone.get("/dashboard").await.status, StatusCode::OK);

    let mut guest = Client::new(&app);
    let asked = guest
        .submit(
            "/forgot-password",
            "/forgot-password",
            &[("email", "ana@example.com")],
        )
        .await;
    let unknown = guest
        .submit(
            "/forgot-password",
            "/forgot-password",
            &[("email", "zed@example.com")],
        )
        .await;
    assert_eq!(asked.status, unknown.status);
    assert!(asked.body.contains("If an account uses this email"));
    assert!(unknown.body.contains("If an account uses this email"));

    let link = mailed_link(&mail, "ana@example.com", "/reset-password?token=").await;
    let form = guest.get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let token = field_value(&form.body, "token");
    let new_password = "lamp orbit cheese 77";
    let done = guest
        .post(
            "/reset-password",
            &[
                ("csrf_token", &form.csrf()),
                ("token", &token),
                ("password", new_password),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("password is changed"));
    assert_eq!(
        laptop.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "every session ends"
    );
    assert_eq!(phone.get("/dashboard").await.status, StatusCode::SEE_OTHER);
    let replay = guest
        .post(
            "/reset-password",
            &[
                ("csrf_token", &form.csrf()),
                ("token", &token),
                ("password", "another long phrase 9"),
            ],
        )
        .await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "single use");
    let old = guest
        .submit(
            "/login",
            "/login",
            &[("email", "ana@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(old.body.contains("Wrong email or password."));
    let new = guest
        .submit(
            "/login",
            "/login",
            &[("email", "ana@example.com"), ("password", new_password)],
        )
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER);

    // Nobody can flood the inbox: at most five reset links an hour, the same answer always.
    for _ in 0..6 {
        let asked = guest
            .submit(
                "/forgot-password",
                "/forgot-password",
                &[("email", "ana@example.com")],
            )
            .await;
        assert!(asked.body.contains("If an account uses this email"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let resets = mail
        .mails()
        .iter()
        .filter(|m| {
            m.content("text/plain")
                .is_some_and(|t| t.contains("/reset-password?token="))
        })
        .count();
    assert_eq!(resets, 5, "five links in the hour, the first one included");

    // Signed in, the password changes with the current one, and other sessions end.
    let mut laptop = Client::new(&app);
    laptop
        .submit(
            "/login",
            "/login",
            &[("email", "ana@example.com"), ("password", new_password)],
        )
        .await;
    let mut phone = Client::new(&app);
    phone
        .submit(
            "/login",
            "/login",
            &[("email", "ana@example.com"), ("password", new_password)],
        )
        .await;
    let wrong = laptop
        .submit(
            "/settings",
            "/settings/password",
            &[
                ("current_password", "not it at all"),
                ("password", "river piano lantern 8"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::SEE_OTHER);
    assert!(laptop.get("/settings").await.body.contains("not right"));
    let changed = laptop
        .submit(
            "/settings",
            "/settings/password",
            &[
                ("current_password", new_password),
                ("password", "river piano lantern 8"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        laptop.get("/dashboard").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        phone.get("/dashboard").await.status,
        StatusCode::SEE_OTHER,
        "others end"
    );
    let again = Client::new(&app)
        .submit(
            "/login",
            "/login",
            &[
                ("email", "ana@example.com"),
                ("password", "river piano lantern 8"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
}

async fn typed_edited_and_deleted_entries_stay_in_their_own_wallet(db: String) {
    let app = spawn_app_at(&[], Some(&db)).await;
    let mut ana = Client::new(&app);
    ana.register("ana@example.com").await;
    let page = ana.type_text("taxi 14, coffee 3.50").await;
    assert!(page.body.contains("id=\"bot-reply\""), "{}", page.body);
    assert!(page.body.contains("Recorded 14.00 USD"), "{}", page.body);
    assert!(page.body.contains("id=\"chart-categories\""));
    assert!(page.body.contains("transport"));

    // A double submit of one form records once.
    let form = ana.get("/dashboard").await;
    let nonce = field_value(&form.body, "nonce");
    for _ in 0..2 {
        ana.post(
            "/expenses",
            &[
                ("csrf_token", &form.csrf()),
                ("text", "book 20"),
                ("nonce", &nonce),
            ],
        )
        .await;
    }
    let list = ana.get("/expenses").await;
    let ids = entry_ids(&list.body);
    assert_eq!(ids.len(), 3, "{}", list.body);
    let filtered = ana.get("/expenses?q=taxi").await;
    assert_eq!(entry_ids(&filtered.body).len(), 1);
    let by_period = ana.get("/expenses?period=last+year").await;
    assert!(entry_ids(&by_period.body).is_empty());
    let bad_period = ana.get("/expenses?period=blorp").await;
    assert!(
        bad_period.body.contains("not a period"),
        "{}",
        bad_period.body
    );

    let taxi = entry_ids(&filtered.body)[0];
    let edit_page = ana.get(&format!("/expenses/{taxi}")).await;
    assert_eq!(edit_page.status, StatusCode::OK);
    let today = field_value(&edit_page.body, "date");
    let saved = ana
        .edit(
            taxi,
            &edit_page.csrf(),
            ["15.50", "eur", "travel", "taxi home", &today],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let bad = ana
        .edit(
            taxi,
            &edit_page.csrf(),
            ["-3", "EUR", "travel", "x", &today],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("more than zero"), "{}", bad.body);
    let csv = ana.get("/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers
            .get("content-disposition")
            .expect("a disposition")
            .to_str()
            .expect("ascii")
            .starts_with("attachment")
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "date,kind,amount,currency,category,note");
    assert!(
        lines.contains(&format!("{today},expense,15.50,EUR,travel,taxi home").as_str()),
        "{}",
        csv.body
    );
    assert_eq!(lines.len(), 4);

    // Bo sees none of it and reaches none of it.
    let mut bo = Client::new(&app);
    bo.register("bo@example.com").await;
    assert!(entry_ids(&bo.get("/expenses").await.body).is_empty());
    assert_eq!(
        bo.get(&format!("/expenses/{taxi}")).await.status,
        StatusCode::NOT_FOUND
    );
    let csrf = bo.get("/expenses").await.csrf();
    let edit = bo
        .edit(taxi, &csrf, ["1", "USD", "food", "mine", &today])
        .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    let delete = bo
        .post(
            &format!("/expenses/{taxi}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND);
    assert_eq!(bo.get("/export.csv").await.body.lines().count(), 1);
    assert!(
        ana.get("/export.csv").await.body.contains("taxi home"),
        "unchanged by Bo"
    );

    // Delete, then undo (twice: it comes back once).
    let csrf = ana.get("/expenses").await.csrf();
    let deleted = ana
        .post(
            &format!("/expenses/{taxi}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let list = ana.get("/expenses").await;
    assert!(list.body.contains("id=\"undo-delete\""), "{}", list.body);
    assert_eq!(entry_ids(&list.body).len(), 2);
    let undo: Vec<(String, String)> = [
        "id", "kind", "amount", "currency", "category", "note", "date",
    ]
    .iter()
    .map(|n| {
        (
            (*n).to_owned(),
            field_value(
                &list.body[list.body.find("undo-delete").expect("undo")..],
                n,
            ),
        )
    })
    .collect();
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    form.extend(undo.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    for _ in 0..2 {
        assert_eq!(
            ana.post("/expenses/restore", &form).await.status,
            StatusCode::SEE_OTHER
        );
    }
    let list = ana.get("/expenses").await;
    assert_eq!(entry_ids(&list.body).len(), 3, "{}", list.body);
    assert!(list.body.contains("taxi home"));
}

async fn requests_without_the_right_csrf_token_change_nothing(db: String) {
    let app = spawn_app_at(&[], Some(&db)).await;
    let mut ana = Client::new(&app);
    ana.register("ana@example.com").await;
    ana.type_text("lunch 12").await;
    let id = entry_ids(&ana.get("/expenses").await.body)[0];
    for token in ["", "0123456789abcdef"] {
        let add = ana
            .post("/expenses", &[("csrf_token", token), ("text", "coffee 3")])
            .await;
        assert_eq!(add.status, StatusCode::FORBIDDEN);
        let delete = ana
            .post(&format!("/expenses/{id}/delete"), &[("csrf_token", token)])
            .await;
        assert_eq!(delete.status, StatusCode::FORBIDDEN);
        let limit = ana
            .post(
                "/limits",
                &[
                    ("csrf_token", token),
                    ("amount", "100"),
                    ("period", "monthly"),
                ],
            )
            .await;
        assert_eq!(limit.status, StatusCode::FORBIDDEN);
        let out = ana.post("/logout", &[("csrf_token", token)]).await;
        assert_eq!(out.status, StatusCode::FORBIDDEN);
    }
    let mut guest = Client::new(&app);
    let login = guest
        .post(
            "/login",
            &[("email", "ana@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(login.status, StatusCode::FORBIDDEN, "signed-out forms too");
    assert_eq!(entry_ids(&ana.get("/expenses").await.body), vec![id]);
    assert!(ana.get("/limits").await.body.contains("No limits yet"));
}

async fn an_edit_that_passes_a_limit_emails_one_overspend_alert(db: String) {
    let (app, mail) = app_with_email(&db).await;
    let mut ana = Client::new(&app);
    ana.register("ana@example.com").await;
    let link = mailed_link(&mail, "ana@example.com", "/verify-email?token=").await;
    ana.get(&link).await;
    let set = ana
        .submit(
            "/limits",
            "/limits",
            &[("amount", "100"), ("period", "monthly"), ("category", "")],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let limits = ana.get("/limits").await;
    assert!(
        limits.body.contains("0.00 of 100.00 USD"),
        "{}",
        limits.body
    );
    ana.type_text("groceries 50").await;
    let id = entry_ids(&ana.get("/expenses").await.body)[0];
    let page = ana.get(&format!("/expenses/{id}")).await;
    let date = field_value(&page.body, "date");
    let before = mail.mails().len();
    let saved = ana
        .edit(
            id,
            &page.csrf(),
            ["120", "USD", "groceries", "week shop", &date],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let alerted = mail.wait_for(WAIT, |f| f.mails().len() > before).await;
    assert!(alerted, "an overspend email: {:?}", mail.mails());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        mail.mails().len(),
        before + 1,
        "one email, for 100 % only (80 % is said by it)"
    );
    // Editing again within the period sends nothing more.
    let page = ana.get(&format!("/expenses/{id}")).await;
    ana.edit(
        id,
        &page.csrf(),
        ["130", "USD", "groceries", "week shop", &date],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(mail.mails().len(), before + 1);
    let dashboard = ana.get("/dashboard").await;
    assert!(dashboard.body.contains("USD over"), "{}", dashboard.body);
}

/// POSTs a multipart upload of `csv` to `/import`.
async fn upload(client: &mut Client, csv: Vec<u8>) -> Answer {
    let csrf = client.get("/import").await.csrf();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv).file_name("data.csv"),
        );
    let response = client
        .http
        .post(format!("{}/import", client.base))
        .header(COOKIE, client.cookie_header())
        .multipart(form)
        .send()
        .await
        .expect("the app answers");
    client.keep(response).await
}

async fn imports_preview_add_new_rows_once_and_refuse_bad_files(db: String) {
    let app = spawn_app_at(&[], Some(&db)).await;
    let mut ana = Client::new(&app);
    ana.register("ana@example.com").await;
    let first =
        "date,kind,amount,currency,category,note\n2026-11-20,expense,3.50,USD,food,coffee\n";
    let preview = upload(&mut ana, first.as_bytes().to_vec()).await;
    assert!(
        preview.body.contains("1 new row to add"),
        "{}",
        preview.body
    );
    let pairs = [
        ("csrf_token", preview.csrf()),
        ("csv", first.to_owned()),
        ("nonce", field_value(&preview.body, "nonce")),
    ];
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        ana.post("/import/confirm", &pairs).await.status,
        StatusCode::SEE_OTHER
    );
    let mut file = ana
        .get("/export.csv?from=2026-11-01&to=2026-11-30")
        .await
        .body;
    assert_eq!(file, first);
    file.push_str("2026-11-21,expense,14.00,USD,transport,uber\n2026-11-25,income,2000.00,USD,income,salary\n");
    let preview = upload(&mut ana, file.clone().into_bytes()).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(
        preview.body.contains("2 new rows to add"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("1 already recorded"),
        "{}",
        preview.body
    );
    let confirm_form: Vec<(&str, String)> = vec![
        ("csrf_token", preview.csrf()),
        (
            "csv",
            html_unescape(&field_value(
                &preview.body[preview.body.find("import-confirm").expect("a confirm form")..],
                "csv",
            )),
        ),
        ("nonce", field_value(&preview.body, "nonce")),
    ];
    let pairs: Vec<(&str, &str)> = confirm_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = ana.post("/import/confirm", &pairs).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let again = ana.post("/import/confirm", &pairs).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let csv = ana.get("/export.csv").await.body;
    assert_eq!(csv.lines().count(), 4, "three rows, none twice: {csv}");
    assert!(csv.contains("2026-11-25,income,2000.00,USD,income,salary"));

    let bad = "date,kind,amount,currency,category,note\n2026-11-22,expense,abc,USD,food,x\n2026-13-01,expense,1,USD,food,y\n2026-11-23,expense,5,USD,food,fine\n";
    let refused = upload(&mut ana, bad.as_bytes().to_vec()).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(
        refused.body.contains("Line 2:") && refused.body.contains("Line 3:"),
        "{}",
        refused.body
    );
    assert!(
        !refused.body.contains("id=\"import-confirm\""),
        "nothing half imported"
    );

    let bank =
        "Booking date,Payee,Amount\n24/11/2026,Uber,-12.30\n25/11/2026,Employer Ltd,\"1,500.00\"\n";
    let mapped = upload(&mut ana, bank.as_bytes().to_vec()).await;
    assert!(mapped.body.contains("id=\"mapping\""), "{}", mapped.body);
    let csv_field = html_unescape(&field_value(&mapped.body, "csv"));
    let form = [
        ("csrf_token", mapped.csrf()),
        ("csv", csv_field),
        ("date_col", "0".to_owned()),
        ("date_format", "dmy".to_owned()),
        ("amount_col", "2".to_owned()),
        ("signs", "negative".to_owned()),
        ("note_col", "1".to_owned()),
        ("category_col", String::new()),
        ("currency_col", String::new()),
    ];
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let previewed = ana.post("/import/preview", &pairs).await;
    assert!(
        previewed.body.contains("2 new rows to add"),
        "{}",
        previewed.body
    );
    let confirmed = ana.post("/import/confirm", &pairs).await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let csv = ana.get("/export.csv").await.body;
    assert!(
        csv.contains("2026-11-24,expense,12.30,USD,transport,Uber"),
        "{csv}"
    );
    assert!(
        csv.contains("2026-11-25,income,1500.00,USD,income,Employer Ltd"),
        "{csv}"
    );

    // Fifty to a page, newest first.
    let mut many = String::from("date,kind,amount,currency,category,note\n");
    for day in 1..=28 {
        for n in 1..=2 {
            many.push_str(&format!(
                "2026-10-{day:02},expense,{n}.00,USD,food,snack {day}-{n}\n"
            ));
        }
    }
    let preview = upload(&mut ana, many.clone().into_bytes()).await;
    let pairs = [
        ("csrf_token", preview.csrf()),
        ("csv", many.clone()),
        ("nonce", field_value(&preview.body, "nonce")),
    ];
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ana.post("/import/confirm", &pairs).await;
    let first = ana.get("/expenses").await;
    assert_eq!(entry_ids(&first.body).len(), 50);
    assert!(first.body.contains("rel=\"next\""));
    let second = ana.get("/expenses?page=2").await;
    assert_eq!(
        entry_ids(&second.body).len(),
        5 + 56 - 50,
        "{}",
        second.body
    );
    assert!(!second.body.contains("rel=\"next\""));
    let mut all = entry_ids(&first.body);
    all.extend(entry_ids(&second.body));
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 61, "no entry on two pages");

    let huge = vec![b'a'; 5 * 1024 * 1024 + 10];
    let too_big = upload(&mut ana, huge).await;
    assert!(too_big.status.is_client_error(), "{}", too_big.status);
    assert_eq!(ana.get("/export.csv").await.body.lines().count(), 62);
}

fn html_unescape(text: &str) -> String {
    text.replace("&#10;", "\n")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

const ALICE: i64 = 111_111_111;

/// Alice sends `text` on Telegram; returns the bot's reply.
async fn say(telegram: &FakeTelegram, update_id: i64, text: &str) -> String {
    let before = telegram.sent_to(ALICE).len();
    telegram.push_update(tg::private_text(update_id, ALICE, text));
    let ok = telegram
        .wait_for(WAIT, |f| f.sent_to(ALICE).len() > before)
        .await;
    assert!(ok, "a reply to {text}");
    telegram.texts_to(ALICE).last().cloned().expect("a reply")
}

async fn chats_link_to_the_web_account_and_web_links_sign_chats_in(db: String) {
    let telegram = FakeTelegram::start(TG_TOKEN).await;
    let url = telegram.url();
    let mail = FakeSendGrid::start().await;
    let mail_url = mail.url();
    let app = spawn_app_at(
        &[
            ("TELEGRAM_BOT_TOKEN", TG_TOKEN),
            ("TELEGRAM_API_URL", &url),
            ("SENDGRID_API_KEY", API_KEY),
            ("SENDGRID_API_URL", &mail_url),
        ],
        Some(&db),
    )
    .await;
    let polling = telegram.wait_for(WAIT, |f| f.count("getUpdates") > 0).await;
    assert!(polling);
    say(&telegram, 1, "pizza 18").await;

    let mut web = Client::new(&app);
    web.register("ana@example.com").await;
    let linked = web.submit("/settings", "/settings/link-code", &[]).await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    let settings = web.get("/settings").await;
    let code_at = settings.body.find("/link ").expect("a link code shown");
    let code = settings.body[code_at + 6..code_at + 14].to_owned();
    let deep = format!(
        "https://t.me/{}?start=link-{code}",
        tg::BOT_USERNAME.to_lowercase()
    );
    assert!(
        settings.body.contains(&deep),
        "the Telegram deep link: {}",
        settings.body
    );
    let reply = say(&telegram, 2, &format!("/link {code}")).await;
    assert!(reply.contains("Linked"), "{reply}");
    let dashboard = web.get("/dashboard").await;
    assert!(
        latest(&dashboard.body).contains("pizza"),
        "the chat's expense on the web: {}",
        dashboard.body
    );
    assert!(web.get("/settings").await.body.contains("Telegram"));

    // The web's typing box does not link or change the sign-in: that is Settings' job.
    let page = web.type_text(&format!("/link {code}")).await;
    assert!(page.body.contains("Settings"), "{}", page.body);
    let page = web.type_text("/email eve@example.com").await;
    assert!(page.body.contains("Settings"), "{}", page.body);
    assert!(
        web.get("/settings").await.body.contains("Telegram"),
        "still linked"
    );

    // A chat's /email moves the sign-in only once the new address is proven.
    let asked = say(&telegram, 10, "/email ana.new@example.com").await;
    assert!(asked.contains("ana.new@example.com"), "{asked}");
    let settings = web.get("/settings").await;
    assert!(
        settings.body.contains("<strong>ana@example.com</strong>"),
        "{}",
        settings.body
    );
    let arrived = mail
        .wait_for(WAIT, |f| {
            f.mails()
                .iter()
                .any(|m| m.to().iter().any(|t| t == "ana.new@example.com"))
        })
        .await;
    assert!(arrived, "a code to the new address: {:?}", mail.mails());
    let code_mail = mail
        .mails()
        .into_iter()
        .find(|m| m.to().iter().any(|t| t == "ana.new@example.com"))
        .expect("the code mail");
    let text = code_mail
        .content("text/plain")
        .expect("a text part")
        .to_owned();
    let digits: String = text
        .split_whitespace()
        .find(|w| {
            w.trim_end_matches('.').len() == 6
                && w.trim_end_matches('.').chars().all(|c| c.is_ascii_digit())
        })
        .expect("a six-digit code")
        .trim_end_matches('.')
        .to_owned();
    let verified = say(&telegram, 11, &format!("/verify {digits}")).await;
    assert!(!verified.is_empty());
    let settings = web.get("/settings").await;
    assert!(
        settings
            .body
            .contains("<strong>ana.new@example.com</strong>"),
        "{}",
        settings.body
    );

    let reply = say(&telegram, 3, "/web").await;
    let at = reply.find("http").expect("a link in the reply");
    let link = reply[at..]
        .split_whitespace()
        .next()
        .expect("a link")
        .to_owned();
    assert!(link.contains("/login/chat?token="), "{link}");
    let mut phone = Client::new(&app);
    let signed = phone.get(&link).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location(), "/dashboard");
    assert!(phone.get("/dashboard").await.body.contains("pizza"));
    assert_eq!(
        Client::new(&app).get(&link).await.status,
        StatusCode::BAD_REQUEST,
        "single use"
    );

    // Unlinking: the chat starts over; what it recorded stays here.
    let settings = web.get("/settings").await;
    let unlink_at = settings
        .body
        .find("/settings/identities/")
        .expect("an unlink form");
    let id: String = settings.body[unlink_at + 21..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let done = web
        .post(
            &format!("/settings/identities/{id}/unlink"),
            &[("csrf_token", &settings.csrf())],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    say(&telegram, 4, "coffee 3").await;
    let dashboard = web.get("/dashboard").await;
    assert!(
        latest(&dashboard.body).contains("pizza") && !latest(&dashboard.body).contains("coffee"),
        "{}",
        dashboard.body
    );
}
