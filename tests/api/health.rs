//! The operational routes of `serve`: liveness, readiness, metrics, clean shutdown.

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_200() {
    let app = spawn_app().await;
    let (status, _, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn readyz_answers_200_when_the_database_answers() {
    let app = spawn_app().await;
    let (status, _, _) = app.get("/readyz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_down() {
    let app = spawn_app().await;
    // Closing the pool is what a lost database looks like to the app: no connection can be
    // had. `serve` refuses to start on an unreachable database, so this is how it goes down
    // under a running service.
    app.state.store.close().await;
    let (status, _, _) = app.get("/readyz").await;
    assert_eq!(status, 503);
    let (status, _, _) = app.get("/healthz").await;
    assert_eq!(status, 200, "liveness does not depend on the database");
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/readyz").await;
    app.get("/no-such-page").await;
    let (status, body, headers) = app.get("/metrics").await;
    assert_eq!(status, 200);
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    assert!(
        body.contains("\nspendbot_up 1\n") || body.starts_with("spendbot_up 1\n"),
        "{body}"
    );
    assert!(
        body.contains("spendbot_http_requests_total{route=\"/healthz\",status=\"200\"} 2\n"),
        "{body}"
    );
    assert!(
        body.contains("spendbot_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"),
        "{body}"
    );
    assert!(
        body.contains("spendbot_readiness_checks_total{result=\"ok\"} 1\n"),
        "{body}"
    );
    assert!(
        body.contains("spendbot_http_request_duration_seconds_count{route=\"/healthz\"} 2\n"),
        "a latency histogram by route: {body}"
    );
    assert!(
        body.contains("# TYPE spendbot_db_statement_duration_seconds histogram\n"),
        "{body}"
    );
    // Every line is a comment or `name{labels} value` with a numeric value.
    for line in body.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        assert!(value.parse::<f64>().is_ok(), "not a number in {line:?}");
        let name = series.split('{').next().unwrap_or_default();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad metric name in {line:?}"
        );
    }
}

#[tokio::test]
async fn the_app_stops_when_shutdown_is_signalled() {
    let app = spawn_app().await;
    let address = app.url("/healthz");
    app.stop().await.expect("serve returns Ok on shutdown");
    assert!(
        reqwest::get(address).await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn metrics_speak_openmetrics_to_a_scraper_that_asks() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    let response = reqwest::Client::new()
        .get(format!("{}/metrics", app.address))
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .await
        .expect("metrics answer");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.expect("a body");
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
    assert!(
        body.contains("# TYPE spendbot_http_requests counter\n"),
        "{body}"
    );
}

/// The number after `name ` in the classic text of `/metrics`.
async fn gauge(app: &crate::helpers::TestApp, name: &str) -> String {
    let (_, body, _) = app.get("/metrics").await;
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or("missing")
        .to_owned()
}

#[tokio::test]
async fn a_request_cancelled_midway_leaves_nothing_in_flight() {
    use tokio::io::AsyncWriteExt as _;
    let app = spawn_app().await;
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connects");
    // A form that promises 1,000 bytes and sends 7: the handler waits for the rest.
    stream
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 1000\r\n\r\nemail=a",
        )
        .await
        .expect("writes");
    let mut waiting = String::new();
    for _ in 0..50 {
        // The scrape itself is in flight too.
        waiting = gauge(&app, "spendbot_http_requests_in_flight").await;
        if waiting == "2" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(waiting, "2", "the unfinished request counts as in flight");
    drop(stream);
    let mut after = String::new();
    for _ in 0..50 {
        after = gauge(&app, "spendbot_http_requests_in_flight").await;
        if after == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(after, "1", "the cancelled request is no longer counted");
}
