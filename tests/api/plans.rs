//! Query plans over a long history: listing one page of an account with years of entries reads
//! that page, not the account's history, however often the statement has run (PostgreSQL
//! switches to a generic plan after five runs unless told not to).

use serde_json::Value;
use spendbot::domain::AccountId;
use spendbot::store::Store;

use crate::test_db::{Engine, TestDb, admin_execute};

/// Rows read by the scans of a plan (JSON of `EXPLAIN (ANALYZE, FORMAT JSON)`), all loops.
fn rows_scanned(node: &Value) -> f64 {
    let own = if node["Node Type"]
        .as_str()
        .is_some_and(|t| t.contains("Scan"))
    {
        node["Actual Rows"].as_f64().unwrap_or(0.0) * node["Actual Loops"].as_f64().unwrap_or(1.0)
    } else {
        0.0
    };
    let children: f64 = node["Plans"]
        .as_array()
        .map(|plans| plans.iter().map(rows_scanned).sum())
        .unwrap_or(0.0);
    own + children
}

#[tokio::test]
async fn a_page_of_a_long_history_costs_a_page_on_postgres() {
    let story = "a_page_of_a_long_history_costs_a_page_on_postgres";
    let Some(db) = TestDb::new(Engine::Postgres, story).await else {
        return;
    };
    let store = Store::connect(&db.url).await.expect("connects");
    store.migrate().await.expect("migrated");
    // One account with 50,000 entries over four years, and a few small ones.
    admin_execute(
        Engine::Postgres,
        &db.url,
        "INSERT INTO accounts (currency, timezone, language, created_at) \
         SELECT 'USD', 'UTC', 'en', now() FROM generate_series(1, 5); \
         INSERT INTO entries (account_id, kind, amount_minor, currency, category, occurred_on, \
                              recorded_at) \
         SELECT 1, 'expense', 100 + g % 5000, 'USD', 'food', DATE '2022-01-01' + (g % 1460), now() \
         FROM generate_series(1, 50000) g; \
         INSERT INTO entries (account_id, kind, amount_minor, currency, category, occurred_on, \
                              recorded_at) \
         SELECT 2 + g % 4, 'expense', 250, 'USD', 'food', DATE '2026-11-01' + g % 20, now() \
         FROM generate_series(1, 40) g; \
         ANALYZE;",
    )
    .await
    .expect("a long history");
    let mut scanned = 0.0;
    // More than five runs: a generic plan would have taken over by the last.
    for _ in 0..8 {
        let plan = store
            .explain_list_page(AccountId(1), 20)
            .await
            .expect("explained")
            .expect("a PostgreSQL plan");
        let plan: Value = serde_json::from_str(&plan).expect("JSON");
        scanned = rows_scanned(&plan[0]["Plan"]);
    }
    assert!(
        scanned <= 40.0,
        "a page of 20 read {scanned} rows of the account's 50,000"
    );
    store.close().await;
}
