//! The database over TLS, as a managed PostgreSQL asks for it: the real binary migrates and
//! chats with `sslmode=require`, and with `sslmode=verify-full` against the server's CA; a
//! wrong CA is refused with one line. `.ci/run` turns TLS on in the local PostgreSQL with its
//! own CA and gives its certificate in `TEST_POSTGRES_TLS_CA`.

use crate::helpers::{spendbot, workdir};
use crate::test_db::{Engine, TestDb};

/// The CA of the local PostgreSQL's certificate, or `None` (after saying why) when not given.
fn tls_ca(story: &str) -> Option<String> {
    match std::env::var("TEST_POSTGRES_TLS_CA") {
        Ok(path) if !path.trim().is_empty() => Some(path),
        _ if std::env::var_os("SPENDBOT_TEST_REQUIRE_ENGINES").is_some() => {
            panic!("{story} must run but TEST_POSTGRES_TLS_CA is not set")
        }
        _ => {
            println!("SKIPPED: {story} (set TEST_POSTGRES_TLS_CA to PostgreSQL's CA certificate)");
            None
        }
    }
}

fn with_params(url: &str, params: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}{params}")
}

#[tokio::test]
async fn postgres_over_tls_with_require_and_verify_full() {
    let story = "postgres_over_tls_with_require_and_verify_full";
    let Some(ca) = tls_ca(story) else { return };
    let Some(db) = TestDb::new(Engine::Postgres, story).await else {
        return;
    };
    let dir = workdir();
    let require = with_params(&db.url, "sslmode=require");
    let migrated = spendbot(dir.path(), &["migrate"], &[("DATABASE_URL", &require)], b"");
    assert!(migrated.status.success(), "{}", migrated.stderr);

    let verified = with_params(&db.url, &format!("sslmode=verify-full&sslrootcert={ca}"));
    let chat = spendbot(
        dir.path(),
        &["chat"],
        &[("DATABASE_URL", &verified)],
        b"lunch 12\nhow much this month?\n",
    );
    assert!(chat.status.success(), "{}", chat.stderr);
    assert!(chat.stdout.contains("12.00"), "{}", chat.stdout);

    // The pool really is encrypted: PostgreSQL says so of the connection.
    let pool = sqlx::PgPool::connect(&verified).await.expect("connects");
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .expect("pg_stat_ssl answers");
    assert!(ssl, "the connection is TLS");
    pool.close().await;
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused_in_one_line() {
    let story = "a_server_certificate_from_another_ca_is_refused_in_one_line";
    if tls_ca(story).is_none() {
        return;
    }
    let Some(db) = TestDb::new(Engine::Postgres, story).await else {
        return;
    };
    let dir = workdir();
    // A CA of its own, which signed nothing the server holds.
    let other_ca = dir.path().join("other-ca.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=Another CA", "-keyout"])
        .arg(dir.path().join("other-ca.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .expect("openssl runs");
    assert!(made.status.success(), "openssl made a CA");
    let url = with_params(
        &db.url,
        &format!("sslmode=verify-full&sslrootcert={}", other_ca.display()),
    );
    let out = spendbot(dir.path(), &["migrate"], &[("DATABASE_URL", &url)], b"");
    assert!(!out.status.success(), "an unverified server is refused");
    out.assert_one_line_error();
    assert!(!out.stderr.contains("password"), "{}", out.stderr);
}
