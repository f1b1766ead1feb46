//! Least privilege: the schema's owner applies the migrations (`spendbot migrate`, the k8s
//! init container), and the service runs as a role that may only read and write rows. With
//! the schema up to date, `chat` and `serve` start without any DDL under such a role, and the
//! role cannot change the schema.

use sqlx::Connection as _;

use crate::helpers::{spendbot, workdir};
use crate::test_db::{Engine, TestDb, admin_execute};

/// The URL of `db` as `user` (no password: the local servers trust local connections).
fn as_user(url: &str, user: &str) -> String {
    let mut url = url::Url::parse(url).expect("a database URL");
    url.set_username(user).expect("a user");
    url.set_password(None).expect("no password");
    url.to_string()
}

async fn a_role_that_only_reads_and_writes_rows_runs_the_service(engine: Engine) {
    let story = "a_role_that_only_reads_and_writes_rows_runs_the_service";
    let Some(db) = TestDb::new(engine, story).await else {
        return;
    };
    let dir = workdir();
    let migrated = spendbot(dir.path(), &["migrate"], &[("DATABASE_URL", &db.url)], b"");
    assert!(migrated.status.success(), "{}", migrated.stderr);

    let role = format!("sb_app_{}", std::process::id());
    let (grant, revoke) = match engine {
        Engine::Postgres => (
            format!(
                "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN; \
                 GRANT CONNECT ON DATABASE \"{db}\" TO {role}; \
                 GRANT USAGE ON SCHEMA public TO {role}; \
                 GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; \
                 GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};",
                db = db.name
            ),
            format!("DROP OWNED BY {role}; DROP ROLE {role};"),
        ),
        _ => (
            format!(
                "DROP USER IF EXISTS '{role}'@'%'; CREATE USER '{role}'@'%'; \
                 GRANT SELECT, INSERT, UPDATE, DELETE ON `{db}`.* TO '{role}'@'%';",
                db = db.name
            ),
            format!("DROP USER '{role}'@'%';"),
        ),
    };
    admin_execute(engine, &db.url, &grant)
        .await
        .expect("the role is made");
    let app_url = as_user(&db.url, &role);

    let out = spendbot(
        dir.path(),
        &["chat"],
        &[("DATABASE_URL", &app_url)],
        b"lunch 12\nhow much this month?\n",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout.contains("so far: 12.00"), "{}", out.stdout);

    // The role can change rows, never the schema.
    let ddl = "CREATE TABLE intruder (a INTEGER)";
    let refused = match engine {
        Engine::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app_url)
                .await
                .expect("connects");
            sqlx::raw_sql(ddl).execute(&mut c).await.is_err()
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(&app_url)
                .await
                .expect("connects");
            sqlx::raw_sql(ddl).execute(&mut c).await.is_err()
        }
    };
    assert!(refused, "DDL is refused to the service's role");
    admin_execute(engine, &db.url, &revoke)
        .await
        .expect("the role is removed");
}

#[tokio::test]
async fn on_postgres_the_service_runs_as_a_role_without_ddl() {
    a_role_that_only_reads_and_writes_rows_runs_the_service(Engine::Postgres).await;
}

#[tokio::test]
async fn on_mysql_the_service_runs_as_a_role_without_ddl() {
    a_role_that_only_reads_and_writes_rows_runs_the_service(Engine::MySql).await;
}
