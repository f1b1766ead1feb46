//! A minimal W3C WebDriver client for the browser stories: it starts `chromedriver` on a free
//! port, opens one headless Chromium session over a fresh profile directory, and speaks the
//! WebDriver JSON protocol over `reqwest`.
//!
//! It knows only the commands the stories use. A failed command panics with what it was doing,
//! where the browser was, and the start of the page, so that a failure can be diagnosed from a
//! CI log alone. It never downloads anything and talks to nothing but loopback; Chromium's own
//! background traffic is switched off by its flags. Dropping a [`Browser`] ends the session and
//! the driver even when a test panics half-way.

#![allow(
    dead_code,
    reason = "a small client: not every story uses every command"
)]

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::time::{Instant, sleep};

use crate::helpers;

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long chromedriver may take to say it is ready.
const READY_WITHIN: Duration = Duration::from_secs(10);
/// How often the `wait_for*` methods look again.
const POLL_EVERY: Duration = Duration::from_millis(100);
/// A command that takes longer than this has hung; chromedriver's own page-load timeout
/// (below) is shorter so that it answers first with a better message.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
const PAGE_LOAD_TIMEOUT_MS: u64 = 30_000;
/// How much of a page a failure message shows.
const EXCERPT_CHARS: usize = 2000;

/// A reference to an element of the current page (stale once the page changes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementId(String);

/// An error answer from chromedriver, or a failure to reach it.
#[derive(Debug)]
pub struct WebDriverError {
    /// The W3C error code (`no such element`, `stale element reference`, …), or `transport`.
    pub error: String,
    pub message: String,
}

impl fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

impl WebDriverError {
    fn transport(e: impl fmt::Display) -> WebDriverError {
        WebDriverError {
            error: "transport".to_owned(),
            message: e.to_string(),
        }
    }

    fn is_no_such_element(&self) -> bool {
        self.error == "no such element"
    }
}

/// The chromedriver process; dropping it kills it.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One headless Chromium session driven through its own chromedriver.
pub struct Browser {
    http: reqwest::Client,
    /// `127.0.0.1:PORT` of chromedriver.
    driver_addr: String,
    session: String,
    /// Whether the session still has to be deleted.
    open: bool,
    /// Chromium's browser process, killed by id if the session cannot be deleted politely.
    browser_pid: Option<u32>,
    // Field order matters: the driver is killed before the profile directory is removed.
    _driver: Driver,
    _profile: TempDir,
}

impl Browser {
    /// The Chromium and chromedriver binaries, from `PATH` or `/usr/bin`, if both exist.
    pub fn available() -> Option<(PathBuf, PathBuf)> {
        let chromium = ["chromium", "chromium-browser"]
            .into_iter()
            .find_map(find_program)?;
        let chromedriver = find_program("chromedriver")?;
        Some((chromium, chromedriver))
    }

    /// Starts `chromedriver` on a free port, waits until it is ready, and opens a headless
    /// session of `chromium` at 1280×900 over a fresh profile.
    pub async fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        let port = helpers::free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let mut driver = Driver(child);
        // No proxy: everything here is on loopback, whatever the CI environment says.
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(COMMAND_TIMEOUT)
            .build()
            .expect("a reqwest client for WebDriver");
        let driver_addr = format!("127.0.0.1:{port}");
        wait_until_ready(&http, &driver_addr, &mut driver).await;

        let profile = tempfile::Builder::new()
            .prefix("spendbot-chromium-")
            .tempdir()
            .expect("a temporary Chromium profile directory");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            // Without these Chromium keeps calling home, which on a closed network means a
            // flood of refused connections in the logs.
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "timeouts": { "pageLoad": PAGE_LOAD_TIMEOUT_MS },
                    "goog:chromeOptions": {
                        "binary": chromium.to_string_lossy(),
                        "args": args,
                    },
                },
            },
        });
        let created = request(
            &http,
            Method::POST,
            &format!("http://{driver_addr}/session"),
            Some(capabilities),
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "chromedriver could not start a session of {}: {e}",
                chromium.display()
            )
        });
        let session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a new session has a sessionId: {created}"))
            .to_owned();
        let browser_pid = created["capabilities"]["goog:processID"]
            .as_u64()
            .and_then(|pid| u32::try_from(pid).ok());
        Browser {
            http,
            driver_addr,
            session,
            open: true,
            browser_pid,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn quit(mut self) {
        if let Err(e) = self.command(Method::DELETE, "", None).await {
            panic!("the browser session did not end: {e}");
        }
        self.open = false;
        // Drop kills chromedriver and removes the profile.
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) {
        if let Err(e) = self
            .command(Method::POST, "/url", Some(json!({ "url": url })))
            .await
        {
            panic!("could not open {url}: {e}{}", self.context().await);
        }
    }

    /// The URL of the current page.
    pub async fn current_url(&self) -> String {
        self.try_current_url()
            .await
            .unwrap_or_else(|e| panic!("could not read the current URL: {e}"))
    }

    /// The first element matching `css`; panics (showing the page) when there is none.
    pub async fn find(&self, css: &str) -> ElementId {
        match self.try_find_element(css).await {
            Ok(Some(el)) => el,
            Ok(None) => panic!("no element matches {css:?}{}", self.context().await),
            Err(e) => panic!("could not look for {css:?}: {e}{}", self.context().await),
        }
    }

    /// Every element matching `css`, in document order.
    pub async fn find_all(&self, css: &str) -> Vec<ElementId> {
        let found = self
            .command(Method::POST, "/elements", Some(by_css(css)))
            .await;
        match found {
            Ok(Value::Array(items)) => items.iter().map(element_of).collect(),
            Ok(other) => panic!("find elements {css:?} answered {other}"),
            Err(e) => panic!("could not look for {css:?}: {e}{}", self.context().await),
        }
    }

    /// The first element matching `css`, if any.
    pub async fn try_find(&self, css: &str) -> Option<ElementId> {
        match self.try_find_element(css).await {
            Ok(found) => found,
            Err(e) => panic!("could not look for {css:?}: {e}{}", self.context().await),
        }
    }

    /// Clicks `el` (and waits for a navigation it starts).
    pub async fn click(&self, el: &ElementId) {
        self.element_command(el, Method::POST, "/click", Some(json!({})), "click")
            .await;
    }

    /// Empties an input or textarea.
    pub async fn clear(&self, el: &ElementId) {
        self.element_command(el, Method::POST, "/clear", Some(json!({})), "clear")
            .await;
    }

    /// Types `text` into `el`.
    pub async fn send_keys(&self, el: &ElementId, text: &str) {
        self.element_command(
            el,
            Method::POST,
            "/value",
            Some(json!({ "text": text })),
            "type into",
        )
        .await;
    }

    /// The rendered text of `el`.
    pub async fn text(&self, el: &ElementId) -> String {
        let value = self
            .element_command(el, Method::GET, "/text", None, "read the text of")
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    /// The attribute `name` of `el` as written in the page (`None` when absent).
    pub async fn attr(&self, el: &ElementId, name: &str) -> Option<String> {
        let value = self
            .element_command(
                el,
                Method::GET,
                &format!("/attribute/{name}"),
                None,
                "read an attribute of",
            )
            .await;
        value.as_str().map(str::to_owned)
    }

    /// The DOM property `name` of `el` (`textContent`, `value`, `outerHTML`, …).
    pub async fn property(&self, el: &ElementId, name: &str) -> Value {
        self.element_command(
            el,
            Method::GET,
            &format!("/property/{name}"),
            None,
            "read a property of",
        )
        .await
    }

    /// Where `el` is and how big: `(x, y, width, height)` in CSS pixels.
    pub async fn rect(&self, el: &ElementId) -> (f64, f64, f64, f64) {
        let r = self
            .element_command(el, Method::GET, "/rect", None, "measure")
            .await;
        let n = |k: &str| r[k].as_f64().unwrap_or(0.0);
        (n("x"), n("y"), n("width"), n("height"))
    }

    /// The current page's DOM, serialised.
    pub async fn page_source(&self) -> String {
        self.try_page_source()
            .await
            .unwrap_or_else(|e| panic!("could not read the page source: {e}"))
    }

    /// The current page's `<title>`.
    pub async fn title(&self) -> String {
        match self.command(Method::GET, "/title", None).await {
            Ok(v) => v.as_str().unwrap_or_default().to_owned(),
            Err(e) => panic!("could not read the title: {e}"),
        }
    }

    /// The cookies the browser holds for the current page, `(name, value)`, `HttpOnly` ones
    /// included.
    pub async fn cookies(&self) -> Vec<(String, String)> {
        match self.command(Method::GET, "/cookie", None).await {
            Ok(Value::Array(items)) => items
                .iter()
                .map(|c| {
                    (
                        c["name"].as_str().unwrap_or_default().to_owned(),
                        c["value"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            Ok(other) => panic!("get cookies answered {other}"),
            Err(e) => panic!("could not read the cookies: {e}"),
        }
    }

    /// [`Browser::cookies`] as the value of a `Cookie` request header.
    pub async fn cookie_header(&self) -> String {
        self.cookies()
            .await
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Forgets every cookie of the current page's site.
    pub async fn delete_cookies(&self) {
        if let Err(e) = self.command(Method::DELETE, "/cookie", None).await {
            panic!("could not delete the cookies: {e}");
        }
    }

    /// A PNG of the viewport.
    pub async fn screenshot_png(&self) -> Vec<u8> {
        let encoded = match self.command(Method::GET, "/screenshot", None).await {
            Ok(v) => v.as_str().unwrap_or_default().to_owned(),
            Err(e) => panic!("could not take a screenshot: {e}"),
        };
        decode_base64(&encoded).unwrap_or_else(|e| panic!("the screenshot is not base64: {e}"))
    }

    /// Resizes the window to `width` × `height` CSS pixels.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        let size = json!({ "width": width, "height": height });
        if let Err(e) = self.command(Method::POST, "/window/rect", Some(size)).await {
            panic!("could not resize the window to {width}x{height}: {e}");
        }
    }

    /// Waits until an element matches `css`; panics (showing the page) after `timeout`.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> ElementId {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(el)) = self.try_find_element(css).await {
                return el;
            }
            if Instant::now() >= deadline {
                panic!(
                    "no element matches {css:?} after {timeout:?}{}",
                    self.context().await
                );
            }
            sleep(POLL_EVERY).await;
        }
    }

    /// Waits until the first element matching `css` has `needle` in its text.
    pub async fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> ElementId {
        let deadline = Instant::now() + timeout;
        loop {
            // A page that changes under us makes elements stale: that is "not yet".
            if let Ok(Some(el)) = self.try_find_element(css).await {
                if let Ok(text) = self.element_text(&el).await {
                    if text.contains(needle) {
                        return el;
                    }
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "no {css:?} containing {needle:?} after {timeout:?}{}",
                    self.context().await
                );
            }
            sleep(POLL_EVERY).await;
        }
    }

    /// Waits until the current URL satisfies `holds`, `what` describing it; returns the URL.
    pub async fn wait_for_url(
        &self,
        what: &str,
        timeout: Duration,
        holds: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(url) = self.try_current_url().await {
                if holds(&url) {
                    return url;
                }
            }
            if Instant::now() >= deadline {
                panic!(
                    "the browser did not reach {what} after {timeout:?}{}",
                    self.context().await
                );
            }
            sleep(POLL_EVERY).await;
        }
    }

    /// Where the browser is and the start of the page's `<body>`, for failure messages; never
    /// fails.
    pub async fn context(&self) -> String {
        let url = self
            .try_current_url()
            .await
            .unwrap_or_else(|e| format!("(unknown: {e})"));
        let source = self
            .try_page_source()
            .await
            .unwrap_or_else(|e| format!("(unavailable: {e})"));
        format!(
            "\n  at {url}\n  page (from <body>, at most {EXCERPT_CHARS} characters):\n{}",
            excerpt(&source)
        )
    }

    async fn try_current_url(&self) -> Result<String, WebDriverError> {
        let v = self.command(Method::GET, "/url", None).await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    async fn try_page_source(&self) -> Result<String, WebDriverError> {
        let v = self.command(Method::GET, "/source", None).await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    async fn try_find_element(&self, css: &str) -> Result<Option<ElementId>, WebDriverError> {
        match self
            .command(Method::POST, "/element", Some(by_css(css)))
            .await
        {
            Ok(v) => Ok(Some(element_of(&v))),
            Err(e) if e.is_no_such_element() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn element_text(&self, el: &ElementId) -> Result<String, WebDriverError> {
        let path = format!("/element/{}/text", el.0);
        let v = self.command(Method::GET, &path, None).await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// A command on one element; panics with `doing` and the page on failure.
    async fn element_command(
        &self,
        el: &ElementId,
        method: Method,
        suffix: &str,
        body: Option<Value>,
        doing: &str,
    ) -> Value {
        let path = format!("/element/{}{suffix}", el.0);
        match self.command(method, &path, body).await {
            Ok(v) => v,
            Err(e) => panic!("could not {doing} an element: {e}{}", self.context().await),
        }
    }

    /// `method /session/{id}{path}`, returning the answer's `value`.
    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WebDriverError> {
        let url = format!("http://{}/session/{}{path}", self.driver_addr, self.session);
        request(&self.http, method, &url, body).await
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        // Drop cannot await, and may run while a failed test unwinds: end the session with
        // a plain blocking request so that Chromium does not outlive the test.
        if !delete_session_blocking(&self.driver_addr, &self.session) {
            if let Some(pid) = self.browser_pid {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

/// One WebDriver request; a non-2xx answer becomes its W3C error.
async fn request(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, WebDriverError> {
    let mut builder = http.request(method, url);
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    let response = builder.send().await.map_err(WebDriverError::transport)?;
    let status = response.status();
    let text = response.text().await.map_err(WebDriverError::transport)?;
    let mut answer: Value = serde_json::from_str(&text).map_err(|e| {
        WebDriverError::transport(format!(
            "HTTP {status} with a body that is not JSON ({e}): {text}"
        ))
    })?;
    let value = answer["value"].take();
    if status.is_success() {
        return Ok(value);
    }
    // The stack trace chromedriver adds is of its own C++ code: no help here.
    Err(WebDriverError {
        error: value["error"]
            .as_str()
            .unwrap_or("unknown error")
            .to_owned(),
        message: value["message"].as_str().unwrap_or_default().to_owned(),
    })
}

/// Polls `GET /status` until chromedriver says it is ready, for at most [`READY_WITHIN`].
async fn wait_until_ready(http: &reqwest::Client, driver_addr: &str, driver: &mut Driver) {
    let deadline = Instant::now() + READY_WITHIN;
    let url = format!("http://{driver_addr}/status");
    loop {
        if let Ok(Some(status)) = driver.0.try_wait() {
            panic!("chromedriver exited ({status}) before it was ready on {driver_addr}");
        }
        if let Ok(status) = request(http, Method::GET, &url, None).await {
            if status["ready"] == true {
                return;
            }
        }
        if Instant::now() >= deadline {
            panic!("chromedriver was not ready on {driver_addr} after {READY_WITHIN:?}");
        }
        sleep(POLL_EVERY).await;
    }
}

/// `DELETE /session/{id}` over a plain socket; true if chromedriver answered 200.
fn delete_session_blocking(driver_addr: &str, session: &str) -> bool {
    let Ok(mut stream) = std::net::TcpStream::connect(driver_addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: {driver_addr}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn by_css(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn element_of(value: &Value) -> ElementId {
    ElementId(
        value[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("an element reference, not {value}"))
            .to_owned(),
    )
}

/// The page from `<body` on (the head is mostly styles), cut at [`EXCERPT_CHARS`].
pub fn excerpt(source: &str) -> String {
    let body = source.find("<body").map_or(source, |at| &source[at..]);
    let mut cut: String = body.chars().take(EXCERPT_CHARS).collect();
    if cut.len() < body.len() {
        cut.push_str(" […]");
    }
    cut
}

/// Standard base64 (with or without padding) to bytes; WebDriver screenshots come this way.
fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for (at, byte) in text.bytes().enumerate() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b'\r' | b'\n' | b' ' => continue,
            _ => return Err(format!("byte {byte:#04x} at {at}")),
        };
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[test]
fn base64_decodes_with_and_without_padding() {
    let cases: [(&str, &[u8]); 6] = [
        ("", b""),
        ("TQ==", b"M"),
        ("TWE=", b"Ma"),
        ("TWFu", b"Man"),
        ("aGVsbG8gd29ybGQ", b"hello world"),
        ("iVBORw0KGgo=", b"\x89PNG\r\n\x1a\n"),
    ];
    for (encoded, bytes) in cases {
        assert_eq!(
            decode_base64(encoded).as_deref(),
            Ok(bytes),
            "decoding {encoded:?}"
        );
    }
    assert!(decode_base64("ab$c").is_err());
}

#[test]
fn excerpts_start_at_the_body_and_are_cut() {
    let page = format!(
        "<html><head><style>{}</style></head><body>{}</body></html>",
        "x".repeat(5000),
        "y".repeat(5000)
    );
    let cut = excerpt(&page);
    assert!(cut.starts_with("<body>y"), "{cut}");
    assert!(cut.ends_with(" […]"), "{cut}");
    assert_eq!(cut.chars().count(), EXCERPT_CHARS + " […]".chars().count());
}
