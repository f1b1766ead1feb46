//! The web side told in a real browser: headless Chromium, driven through chromedriver, against
//! the real service and a fake SendGrid. A person signs up, verifies their email from the link
//! in the mail, records expenses the way they would tell the bot, sees them in the charts,
//! edits one, exports CSV, deletes one, and signs out; a second person sees none of it.
//!
//! When no Chromium/chromedriver is installed the stories print a `SKIPPED:` line and return;
//! they never pass as if they had run. With `SPENDBOT_TEST_REQUIRE_BROWSER` set (CI sets it),
//! a missing browser fails them instead. With `SPENDBOT_SCREENSHOTS` naming a directory, PNGs
//! of the key pages are saved there; otherwise none are taken.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{Datelike, Utc};

use crate::fakes::sendgrid::{self, FakeSendGrid};
use crate::helpers::{self, TestApp};
use crate::webdriver::Browser;

/// How long any one step may take to show up in the browser or the fake.
const WAIT: Duration = Duration::from_secs(10);
const CSV_HEADER: &str = "date,kind,amount,currency,category,note";
const ANA: &str = "ana@example.com";
const BO: &str = "bo@example.com";
const PASSWORD: &str = "correct horse battery 42";
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_up_records_edits_exports_and_signs_out_in_a_real_browser() {
    let Some(browser) =
        browser_or_skip("a_person_signs_up_records_edits_exports_and_signs_out_in_a_real_browser")
            .await
    else {
        return;
    };
    let (app, mail) = start_app().await;
    let shots = Screenshots::from_env();

    // Signing up signs in at once.
    sign_up(&browser, &app, ANA).await;
    for link in ["/dashboard", "/expenses", "/limits", "/settings"] {
        assert!(
            browser
                .try_find(&format!("nav a[href=\"{link}\"]"))
                .await
                .is_some(),
            "a signed-in page links to {link} in its <nav>{}",
            browser.context().await
        );
    }
    assert!(
        !browser.title().await.trim().is_empty(),
        "the dashboard has a <title>{}",
        browser.context().await
    );

    // The link in the verification mail leads back to the app and verifies the address.
    let link = verification_link(&mail, &app, ANA).await;
    browser.goto(&link).await;
    browser.wait_for("#verified", WAIT).await;

    // Two expenses, typed the way one tells the bot. On the first of a month "yesterday" is
    // last month, outside the category chart of this month: the story then keeps to today.
    browser.goto(&app.url("/dashboard")).await;
    let said = if Utc::now().day() == 1 {
        "uber 14, coffee 3.50"
    } else {
        "uber 14 yesterday, coffee 3.50"
    };
    quick_add(&browser, said).await;
    for chart in ["svg#chart-categories", "svg#chart-days"] {
        let svg = browser.find(chart).await;
        let (_, _, width, height) = browser.rect(&svg).await;
        assert!(
            width > 0.0 && height > 0.0,
            "{chart} is drawn with data, not {width}x{height}{}",
            browser.context().await
        );
    }
    let categories = browser.find("svg#chart-categories").await;
    let chart_text = browser.property(&categories, "textContent").await;
    assert!(
        chart_text
            .as_str()
            .unwrap_or_default()
            .contains("transport"),
        "the category chart names transport, its text is {chart_text}{}",
        browser.context().await
    );
    let latest = browser.find("#latest").await;
    let latest_text = browser.text(&latest).await;
    assert!(
        latest_text.contains("uber"),
        "#latest shows the uber ride, it shows {latest_text:?}{}",
        browser.context().await
    );
    if shots.enabled() {
        shots.take(&browser, "dashboard-desktop").await;
        browser.set_window_size(375, 812).await;
        shots.take(&browser, "dashboard-phone").await;
        browser.set_window_size(1280, 900).await;
    }

    // Both are listed; the ride is corrected through its edit page.
    browser.goto(&app.url("/expenses")).await;
    browser.wait_for("table#expenses tr.entry", WAIT).await;
    let uber = entry_id(&browser, "uber").await;
    let coffee = entry_id(&browser, "coffee").await;
    shots.take(&browser, "expenses").await;
    let edit_link = browser
        .find(&format!("tr.entry[data-id=\"{uber}\"] a.edit"))
        .await;
    browser.click(&edit_link).await;
    let edit_path = format!("/expenses/{uber}");
    browser
        .wait_for_url(&edit_path, WAIT, |url| path_of(url).starts_with(&edit_path))
        .await;
    let amount = browser
        .wait_for("form#edit-entry input[name=amount]", WAIT)
        .await;
    for field in ["currency", "note", "date"] {
        browser
            .find(&format!("form#edit-entry input[name={field}]"))
            .await;
    }
    browser.find("form#edit-entry select[name=category]").await;
    browser.clear(&amount).await;
    browser.send_keys(&amount, "15.50").await;
    let note = browser.find("form#edit-entry input[name=note]").await;
    browser.clear(&note).await;
    browser.send_keys(&note, "uber home").await;
    let save = browser.find("form#edit-entry button[type=submit]").await;
    browser.click(&save).await;
    browser
        .wait_for_url("the expenses list", WAIT, |url| {
            is_expenses_list(path_of(url))
        })
        .await;
    browser.wait_for(".flash", WAIT).await;
    let row = browser.find(&format!("tr.entry[data-id=\"{uber}\"]")).await;
    let row_text = browser.text(&row).await;
    assert!(
        row_text.contains("15.50") && row_text.contains("uber home"),
        "the edited row shows 15.50 and \"uber home\", it shows {row_text:?}{}",
        browser.context().await
    );

    // The export, fetched with the browser's own session, has the correction.
    let export = browser.find("a#export").await;
    let href = browser.attr(&export, "href").await.unwrap_or_default();
    assert!(
        path_of(&absolute(&app, &href)).starts_with("/export.csv"),
        "a#export links to /export.csv, not {href:?}{}",
        browser.context().await
    );
    let cookie = browser.cookie_header().await;
    let response = get_with_cookie(&absolute(&app, &href), &cookie).await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "GET {href} with the session"
    );
    let disposition = response
        .headers()
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.starts_with("attachment"),
        "the export is an attachment, Content-Disposition is {disposition:?}"
    );
    let csv = response.text().await.expect("the export has a text body");
    assert_eq!(
        csv.lines().next(),
        Some(CSV_HEADER),
        "the export starts with its header line:\n{csv}"
    );
    assert!(
        csv.lines().any(|line| line.contains(",expense,15.50,")
            && line.contains(",transport,")
            && line.contains("uber home")),
        "the export has the corrected ride as an expense of 15.50 in transport:\n{csv}"
    );

    // The coffee is deleted from its edit page, and the list offers to undo it.
    let coffee_link = browser
        .find(&format!("tr.entry[data-id=\"{coffee}\"] a.edit"))
        .await;
    browser.click(&coffee_link).await;
    let delete = browser
        .wait_for("form#delete-entry button[type=submit]", WAIT)
        .await;
    browser.click(&delete).await;
    browser.wait_for("form#undo-delete", WAIT).await;
    let url = browser.current_url().await;
    assert!(
        is_expenses_list(path_of(&url)),
        "deleting leads back to the list{}",
        browser.context().await
    );
    let flash = browser.text(&browser.find(".flash").await).await;
    assert!(
        flash.to_lowercase().contains("delet"),
        "the flash says the entry was deleted, it says {flash:?}{}",
        browser.context().await
    );
    assert!(
        browser
            .try_find(&format!("tr.entry[data-id=\"{coffee}\"]"))
            .await
            .is_none(),
        "the deleted coffee is no longer listed{}",
        browser.context().await
    );
    for row in browser.find_all("table#expenses tr.entry").await {
        let text = browser.text(&row).await;
        assert!(
            !text.contains("coffee"),
            "no row mentions the deleted coffee, one reads {text:?}{}",
            browser.context().await
        );
    }
    browser.find(&format!("tr.entry[data-id=\"{uber}\"]")).await;

    // Signing out ends the session on the server too.
    browser.goto(&app.url("/settings")).await;
    browser
        .wait_for("form#logout button[type=submit]", WAIT)
        .await;
    shots.take(&browser, "settings").await;
    let cookie = browser.cookie_header().await;
    let sign_out = browser.find("form#logout button[type=submit]").await;
    browser.click(&sign_out).await;
    browser
        .wait_for_url("the front page", WAIT, |url| path_of(url) == "/")
        .await;
    let stale = get_with_cookie(&app.url("/dashboard"), &cookie).await;
    let location = stale
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        stale.status().as_u16() == 303 && location.contains("/login"),
        "the old session cookie no longer opens the dashboard: {} to {location:?}",
        stale.status()
    );
    browser.goto(&app.url("/dashboard")).await;
    browser
        .wait_for_url("the sign-in page", WAIT, |url| {
            path_of(url).starts_with("/login")
        })
        .await;
    browser.wait_for("form#login", WAIT).await;
    shots.take(&browser, "login").await;

    // A wrong password is refused on the page; the right one leads back to the dashboard.
    sign_in(&browser, ANA, "not the password 123").await;
    browser
        .wait_for_text("body", "Wrong email or password.", WAIT)
        .await;
    sign_in(&browser, ANA, PASSWORD).await;
    browser
        .wait_for_url("the dashboard", WAIT, |url| {
            path_of(url).starts_with("/dashboard")
        })
        .await;
    browser.wait_for_text("#latest", "uber home", WAIT).await;

    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_person_sees_none_of_the_first_ones_data() {
    let Some(browser) = browser_or_skip("a_second_person_sees_none_of_the_first_ones_data").await
    else {
        return;
    };
    let (app, _mail) = start_app().await;
    let shots = Screenshots::from_env();

    // Ana records a ride with an amount that appears nowhere else on any page.
    sign_up(&browser, &app, ANA).await;
    quick_add(&browser, "uber 987.65").await;
    browser.goto(&app.url("/expenses")).await;
    browser.wait_for("table#expenses tr.entry", WAIT).await;
    let uber = entry_id(&browser, "uber").await;

    // Bo signs up in the same browser once Ana's cookies are gone.
    browser.delete_cookies().await;
    sign_up(&browser, &app, BO).await;
    let dashboard = browser.page_source().await;
    assert!(
        !dashboard.contains("987.65"),
        "Bo's dashboard shows nothing of Ana's{}",
        browser.context().await
    );

    browser.goto(&app.url("/expenses")).await;
    browser.wait_for("p.empty", WAIT).await;
    shots.take(&browser, "expenses-empty").await;
    assert!(
        browser.find_all("tr.entry").await.is_empty(),
        "Bo's list has no entries{}",
        browser.context().await
    );
    let list = browser.page_source().await;
    assert!(
        !list.contains("987.65") && !list.contains(&format!("/expenses/{uber}")),
        "Bo's list shows nothing of Ana's{}",
        browser.context().await
    );

    // Ana's entry by its id is not found for Bo, and shows nothing of it.
    browser.goto(&app.url(&format!("/expenses/{uber}"))).await;
    let body = browser.find("body").await;
    let text = browser.text(&body).await;
    assert!(
        text.to_lowercase().contains("not found") && !text.contains("987.65"),
        "someone else's entry is not found, the page reads {text:?}{}",
        browser.context().await
    );
    assert!(
        browser.try_find("form#edit-entry").await.is_none(),
        "someone else's entry has no edit form{}",
        browser.context().await
    );

    // Bo's export holds only its header.
    let cookie = browser.cookie_header().await;
    let response = get_with_cookie(&app.url("/export.csv"), &cookie).await;
    assert_eq!(response.status().as_u16(), 200, "GET /export.csv as Bo");
    let csv = response.text().await.expect("the export has a text body");
    let lines: Vec<&str> = csv.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines, [CSV_HEADER], "Bo's export has no rows:\n{csv}");

    browser.quit().await;
}

/// A browser, or `None` after printing why the story is skipped (a panic when CI requires one).
async fn browser_or_skip(story: &str) -> Option<Browser> {
    let Some((chromium, chromedriver)) = Browser::available() else {
        // CI sets this so that a missing browser fails the run instead of skipping quietly.
        if std::env::var_os("SPENDBOT_TEST_REQUIRE_BROWSER").is_some() {
            panic!(
                "{story} must run in a real browser but no Chromium/chromedriver was found \
                 (apt-get install chromium chromium-driver)"
            );
        }
        println!(
            "SKIPPED: {story}: no Chromium/chromedriver found \
             (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    Some(Browser::start(&chromium, &chromedriver).await)
}

/// The service, whose emails go to a fake SendGrid and link back to the service itself.
async fn start_app() -> (TestApp, FakeSendGrid) {
    let mail = FakeSendGrid::start().await;
    let app = helpers::spawn_app_at(
        &[
            ("SENDGRID_API_KEY", sendgrid::API_KEY),
            ("SENDGRID_API_URL", &mail.url()),
        ],
        None,
    )
    .await;
    (app, mail)
}

/// Registers `email` through `/register` and waits for the dashboard it leads to.
async fn sign_up(browser: &Browser, app: &TestApp, email: &str) {
    browser.goto(&app.url("/register")).await;
    let email_input = browser
        .wait_for("form#register input[name=email]", WAIT)
        .await;
    browser.send_keys(&email_input, email).await;
    let password = browser.find("form#register input[name=password]").await;
    browser.send_keys(&password, PASSWORD).await;
    let submit = browser.find("form#register button[type=submit]").await;
    browser.click(&submit).await;
    browser
        .wait_for_url("the dashboard after signing up", WAIT, |url| {
            path_of(url).starts_with("/dashboard")
        })
        .await;
}

/// Fills and submits the sign-in form of the current page.
async fn sign_in(browser: &Browser, email: &str, password: &str) {
    let email_input = browser.wait_for("form#login input[name=email]", WAIT).await;
    // A refused attempt may show the form again with the address already filled in.
    browser.clear(&email_input).await;
    browser.send_keys(&email_input, email).await;
    let password_input = browser.find("form#login input[name=password]").await;
    browser.clear(&password_input).await;
    browser.send_keys(&password_input, password).await;
    let submit = browser.find("form#login button[type=submit]").await;
    browser.click(&submit).await;
}

/// Types `said` into the dashboard's quick-add box and waits for the bot's answer.
async fn quick_add(browser: &Browser, said: &str) {
    let input = browser
        .wait_for("form#quick-add input[name=text]", WAIT)
        .await;
    browser.send_keys(&input, said).await;
    let submit = browser.find("form#quick-add button[type=submit]").await;
    browser.click(&submit).await;
    browser.wait_for_text("#bot-reply", "Recorded", WAIT).await;
}

/// The `data-id` of the listed entry whose row mentions `note`.
async fn entry_id(browser: &Browser, note: &str) -> String {
    for row in browser.find_all("table#expenses tr.entry").await {
        if browser.text(&row).await.contains(note) {
            return browser
                .attr(&row, "data-id")
                .await
                .unwrap_or_else(|| panic!("the row of {note:?} has no data-id"));
        }
    }
    panic!(
        "no row of table#expenses mentions {note:?}{}",
        browser.context().await
    );
}

/// Waits for the verification mail to `to` and returns the link in its text part.
async fn verification_link(mail: &FakeSendGrid, app: &TestApp, to: &str) -> String {
    let sent_to = |m: &sendgrid::AcceptedMail| m.to().iter().any(|a| a == to);
    let arrived = mail
        .wait_for(WAIT, |fake| fake.mails().iter().any(sent_to))
        .await;
    assert!(
        arrived,
        "no mail to {to} reached SendGrid within {WAIT:?}; statuses of the attempts: {:?}",
        mail.attempts().iter().map(|a| a.status).collect::<Vec<_>>()
    );
    let mails = mail.mails();
    let sent = mails
        .iter()
        .find(|m| sent_to(m))
        .expect("the mail that just arrived");
    let text = sent
        .content("text/plain")
        .unwrap_or_else(|| panic!("the verification mail has a text/plain part: {}", sent.body));
    let link = find_link(text, "/verify-email?token=")
        .unwrap_or_else(|| panic!("no verification link in the mail:\n{text}"));
    assert!(
        link.starts_with(&format!("{}/", app.address)),
        "the verification link leads back to the app at {}: {link}",
        app.address
    );
    link
}

/// The first `http…` URL in `text` that contains `marker` followed by a token (URL-safe
/// base64 or hex); trailing punctuation of the sentence is left out.
fn find_link(text: &str, marker: &str) -> Option<String> {
    let at = text.find(marker)?;
    let start = text[..at].rfind("http")?;
    let after = &text[at + marker.len()..];
    let token_len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '=')))
        .unwrap_or(after.len());
    (token_len > 0).then(|| text[start..at + marker.len() + token_len].to_owned())
}

/// The path and query of `url`: `/login?next=%2Fdashboard` of
/// `http://127.0.0.1:1234/login?next=%2Fdashboard`.
fn path_of(url: &str) -> &str {
    let rest = url.find("://").map_or(url, |at| &url[at + 3..]);
    rest.find('/').map_or("/", |at| &rest[at..])
}

/// `/expenses` itself (perhaps with a query), not one entry's page.
fn is_expenses_list(path: &str) -> bool {
    path == "/expenses" || path.starts_with("/expenses?")
}

/// `href` as written in a page, made absolute against the app.
fn absolute(app: &TestApp, href: &str) -> String {
    if href.starts_with("http://") || href.starts_with("https://") {
        href.to_owned()
    } else {
        app.url(href)
    }
}

/// `GET url` with `cookie`, redirects not followed, so that a 303 is seen as such.
async fn get_with_cookie(url: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client")
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

/// Where screenshots go, if anywhere (`SPENDBOT_SCREENSHOTS`).
struct Screenshots(Option<PathBuf>);

impl Screenshots {
    fn from_env() -> Screenshots {
        Screenshots(
            std::env::var_os("SPENDBOT_SCREENSHOTS")
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from),
        )
    }

    fn enabled(&self) -> bool {
        self.0.is_some()
    }

    /// Saves the viewport as `<name>.png`, when screenshots are wanted.
    async fn take(&self, browser: &Browser, name: &str) {
        let Some(dir) = &self.0 else {
            return;
        };
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let png = browser.screenshot_png().await;
        assert!(
            png.starts_with(PNG_SIGNATURE),
            "the screenshot {name} is a PNG"
        );
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        println!("screenshot: {}", path.display());
    }
}

#[test]
fn links_are_found_in_mail_text_without_trailing_punctuation() {
    let text =
        "Hello,\n\nconfirm your address: http://127.0.0.1:4000/verify-email?token=Ab-9_x=.\n";
    assert_eq!(
        find_link(text, "/verify-email?token=").as_deref(),
        Some("http://127.0.0.1:4000/verify-email?token=Ab-9_x=")
    );
    assert_eq!(find_link("no link here", "/verify-email?token="), None);
    assert_eq!(
        path_of("http://127.0.0.1:4000/login?next=%2Fdashboard"),
        "/login?next=%2Fdashboard"
    );
    assert_eq!(path_of("http://127.0.0.1:4000"), "/");
}
