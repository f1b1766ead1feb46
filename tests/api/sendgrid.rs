//! The SendGrid client against the fake SendGrid: what goes over the wire, what comes back,
//! which answers are retried and how patiently, and that neither the API key nor the
//! recipient's address ever shows up where it should not.
//!
//! Nothing here sleeps blindly: the client's own waits are what is measured.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use spendbot::notify::{Mail, RetryPolicy, SendError, SendGrid};

use crate::fakes::sendgrid::{API_KEY, FakeSendGrid, error_body};
use crate::helpers::settings_with;

const FROM: &str = "alerts@spendbot.example";
const RECIPIENT: &str = "alice@example.com";

/// Retries in milliseconds, so the stories stay fast; `max` leaves room for a 1 s Retry-After.
const FAST: RetryPolicy = RetryPolicy {
    attempts: 3,
    base: Duration::from_millis(10),
    max: Duration::from_secs(2),
};

fn client_for(url: &str) -> SendGrid {
    let settings = settings_with(&[
        ("SENDGRID_API_KEY", API_KEY),
        ("SENDGRID_API_URL", url),
        ("SPENDBOT_EMAIL_FROM", FROM),
    ]);
    SendGrid::from_settings(&settings)
        .expect("a key turns email on")
        .with_policy(FAST)
}

fn overspend_mail() -> Mail {
    Mail {
        to: RECIPIENT.to_owned(),
        subject: "You are over your November budget".to_owned(),
        text: "You spent 312.50 of 300.00 USD.".to_owned(),
        html: "<p>You spent <b>312.50</b> of 300.00 USD.</p>".to_owned(),
        alert_id: "alert-42".to_owned(),
        categories: vec!["overspend-alert".to_owned()],
    }
}

/// A local port nothing listens on.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("an address");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn a_mail_is_sent_once_with_the_right_json_and_headers_and_its_message_id_returned() {
    let fake = FakeSendGrid::start().await;
    let client = client_for(&fake.url());

    let id = client.send(&overspend_mail()).await.expect("accepted");

    let mails = fake.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(id, mails[0].message_id, "the id from X-Message-Id");
    assert!(id.is_some_and(|id| id.len() == 22));
    assert_eq!(
        mails[0].body,
        json!({
            "personalizations": [{"to": [{"email": RECIPIENT}]}],
            "from": {"email": FROM, "name": "Spendbot"},
            "subject": "You are over your November budget",
            "content": [
                {"type": "text/plain", "value": "You spent 312.50 of 300.00 USD."},
                {"type": "text/html", "value": "<p>You spent <b>312.50</b> of 300.00 USD.</p>"},
            ],
            "categories": ["overspend-alert"],
            "custom_args": {"alert_id": "alert-42"},
        })
    );
    assert_eq!(mails[0].alert_id(), Some("alert-42"));
    let attempts = fake.attempts();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        attempts[0].authorization.as_deref(),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    assert_eq!(
        attempts[0].content_type.as_deref(),
        Some("application/json")
    );
    assert_eq!(attempts[0].status, 202);
}

#[tokio::test]
async fn a_500_then_a_202_delivers_the_mail_once_after_two_attempts() {
    let fake = FakeSendGrid::start().await;
    fake.respond_next(
        500,
        &[],
        &error_body("Internal error", None, None).to_string(),
    );
    let client = client_for(&fake.url());

    let id = client.send(&overspend_mail()).await.expect("delivered");

    assert!(id.is_some());
    assert_eq!(fake.mails().len(), 1);
    let statuses: Vec<u16> = fake.attempts().iter().map(|a| a.status).collect();
    assert_eq!(statuses, [500, 202]);
}

#[tokio::test]
async fn a_429_with_retry_after_one_second_is_waited_for_then_delivered() {
    let fake = FakeSendGrid::start().await;
    fake.respond_next(
        429,
        &[("Retry-After", "1")],
        &error_body("too many requests", None, None).to_string(),
    );
    let client = client_for(&fake.url());

    client.send(&overspend_mail()).await.expect("delivered");

    let attempts = fake.attempts();
    assert_eq!(attempts.len(), 2);
    let waited = attempts[1].at - attempts[0].at;
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_millis(1_800),
        "waited {waited:?}"
    );
    assert_eq!(fake.mails().len(), 1);
}

#[tokio::test]
async fn a_429_without_retry_after_waits_until_the_rate_limit_reset_but_no_longer_than_max() {
    let fake = FakeSendGrid::start().await;
    let in_a_minute = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        + 60;
    fake.respond_next(
        429,
        &[("X-RateLimit-Reset", &in_a_minute.to_string())],
        &error_body("too many requests", None, None).to_string(),
    );
    let client = client_for(&fake.url()).with_policy(RetryPolicy {
        max: Duration::from_millis(300),
        ..FAST
    });

    client.send(&overspend_mail()).await.expect("delivered");

    let attempts = fake.attempts();
    assert_eq!(attempts.len(), 2);
    let waited = attempts[1].at - attempts[0].at;
    assert!(
        waited >= Duration::from_millis(280) && waited < Duration::from_millis(1_000),
        "waited {waited:?}"
    );
}

#[tokio::test]
async fn a_400_is_not_retried_and_is_rejected_with_sendgrids_message() {
    let fake = FakeSendGrid::start().await;
    fake.respond_next(
        400,
        &[],
        &error_body(
            "The from object must be provided for every email send.",
            Some("from.email"),
            Some("http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.from"),
        )
        .to_string(),
    );
    let client = client_for(&fake.url());

    let error = client.send(&overspend_mail()).await.expect_err("rejected");

    assert_eq!(
        error,
        SendError::Rejected {
            status: 400,
            errors: vec![
                "The from object must be provided for every email send. (field: from.email)"
                    .to_owned()
            ],
        }
    );
    assert_eq!(fake.attempts().len(), 1);
    assert!(fake.mails().is_empty());
}

#[tokio::test]
async fn the_fakes_own_validation_rejects_a_mail_without_a_subject_and_the_client_does_not_retry() {
    let fake = FakeSendGrid::start().await;
    let client = client_for(&fake.url());
    let mail = Mail {
        subject: String::new(),
        ..overspend_mail()
    };

    let error = client.send(&mail).await.expect_err("rejected");

    let SendError::Rejected { status, errors } = error else {
        panic!("expected Rejected, got {error:?}");
    };
    assert_eq!(status, 400);
    assert!(errors[0].contains("The subject is required"), "{errors:?}");
    assert!(errors[0].ends_with("(field: subject)"), "{errors:?}");
    assert_eq!(fake.attempts().len(), 1);
}

#[tokio::test]
async fn a_wrong_key_is_rejected_with_401_and_not_retried() {
    let fake = FakeSendGrid::start().await;
    let settings = settings_with(&[
        ("SENDGRID_API_KEY", "SG.wrong"),
        ("SENDGRID_API_URL", &fake.url()),
    ]);
    let client = SendGrid::from_settings(&settings)
        .expect("a key turns email on")
        .with_policy(FAST);

    let error = client.send(&overspend_mail()).await.expect_err("rejected");

    assert_eq!(
        error,
        SendError::Rejected {
            status: 401,
            errors: vec![
                "The provided authorization grant is invalid, expired, or revoked".to_owned()
            ],
        }
    );
    assert_eq!(fake.attempts().len(), 1);
}

#[tokio::test]
async fn an_nginx_413_page_is_rejected_without_breaking_parsing() {
    let fake = FakeSendGrid::start().await;
    fake.respond_next(
        413,
        &[],
        "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    );
    let client = client_for(&fake.url());

    let error = client.send(&overspend_mail()).await.expect_err("rejected");

    let SendError::Rejected { status, errors } = &error else {
        panic!("expected Rejected, got {error:?}");
    };
    assert_eq!(*status, 413);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("413 Request Entity Too Large"),
        "{errors:?}"
    );
    assert_eq!(fake.attempts().len(), 1);
}

#[tokio::test]
async fn a_sandbox_200_is_success_without_a_message_id() {
    let fake = FakeSendGrid::start().await;
    fake.respond_next(200, &[], "");
    let client = client_for(&fake.url());

    assert_eq!(client.send(&overspend_mail()).await, Ok(None));
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_tried_as_often_as_the_policy_says_then_given_up() {
    let fake = FakeSendGrid::start().await;
    for _ in 0..3 {
        fake.respond_next(503, &[], "");
    }
    let client = client_for(&fake.url());

    let error = client.send(&overspend_mail()).await.expect_err("gave up");

    let SendError::GaveUp { last } = &error else {
        panic!("expected GaveUp, got {error:?}");
    };
    assert!(last.contains("HTTP 503"), "{last}");
    assert!(last.contains("after 3 attempts"), "{last}");
    assert_eq!(fake.attempts().len(), 3);
    assert!(fake.mails().is_empty());
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_given_up() {
    let client = client_for(&closed_port_url().await);
    let started = Instant::now();

    let error = client.send(&overspend_mail()).await.expect_err("gave up");

    let SendError::GaveUp { last } = &error else {
        panic!("expected GaveUp, got {error:?}");
    };
    assert!(last.contains("after 3 attempts"), "{last}");
    assert!(
        last.to_lowercase().contains("connect"),
        "names the connection failure: {last}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn without_a_sendgrid_api_key_email_is_off() {
    assert!(SendGrid::from_settings(&settings_with(&[])).is_none());
    assert!(SendGrid::from_settings(&settings_with(&[("SENDGRID_API_KEY", "  ")])).is_none());
}

/// A log sink for one test: a `tracing` subscriber on this thread writing into a buffer.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

#[tokio::test]
async fn the_key_never_appears_in_debug_output_error_text_or_logs_nor_the_recipient_in_errors_or_logs()
 {
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeSendGrid::start().await;
    let client = client_for(&fake.url());
    assert!(!format!("{client:?}").contains(API_KEY), "{client:?}");
    assert!(!format!("{client:?}").contains("fake-key"), "{client:?}");
    assert!(!format!("{:?}", overspend_mail()).contains(RECIPIENT));

    // An error body that echoes both secrets back.
    let echo = format!("Key {API_KEY} may not send to {}", RECIPIENT.to_uppercase());
    fake.respond_next(500, &[], &error_body(&echo, None, None).to_string());
    fake.respond_next(403, &[], &error_body(&echo, Some("from"), None).to_string());
    let rejected = client.send(&overspend_mail()).await.expect_err("rejected");
    let refused = client_for(&closed_port_url().await)
        .send(&overspend_mail())
        .await
        .expect_err("gave up");
    client.send(&overspend_mail()).await.expect("delivered");

    for error in [&rejected, &refused] {
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!text.contains(API_KEY), "{text}");
            assert!(!text.to_lowercase().contains(RECIPIENT), "{text}");
        }
    }
    assert_eq!(
        rejected.to_string(),
        "SendGrid rejected the mail with HTTP 403: Key <key> may not send to <recipient> (field: from)"
    );
    let logged = logs.text();
    assert!(
        logged.contains("alert-42"),
        "the logs name the alert:\n{logged}"
    );
    assert!(logged.contains("<key>"), "the 403 was logged:\n{logged}");
    assert!(!logged.contains(API_KEY), "{logged}");
    assert!(!logged.to_lowercase().contains(RECIPIENT), "{logged}");
}

#[tokio::test]
async fn a_shutdown_ends_the_wait_between_retries_and_starts_no_new_attempt() {
    let fake = FakeSendGrid::start().await;
    for _ in 0..5 {
        fake.respond_next(503, &[], "unavailable");
    }
    // Waits of ten seconds and more between attempts.
    let client = client_for(&fake.url()).with_policy(RetryPolicy {
        attempts: 5,
        base: Duration::from_secs(10),
        max: Duration::from_secs(60),
    });
    let stop = tokio_util::sync::CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stopper.cancel();
    });
    let started = Instant::now();
    let sent = client.send_until(&overspend_mail(), &stop).await;
    assert!(matches!(sent, Err(SendError::GaveUp { .. })), "{sent:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the wait ended with the shutdown, not after it"
    );
    assert_eq!(fake.attempts().len(), 1, "no attempt after the stop");
    assert!(fake.mails().is_empty());
}
