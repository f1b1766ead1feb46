//! How long what keeps exactly-once and sign-ins safe is kept, and the pruning of the rest.
//!
//! An inbound event's claim must outlive any redelivery of it: Telegram keeps an unconfirmed
//! update for 24 hours and Discord retries an interaction for seconds, so claims are kept
//! [`EVENT_RETENTION`] (30 days), far beyond both. A limit alert's outbox row is what keeps a
//! period from alerting twice, so it stays until its period is long over (a yearly period
//! ends within [`LIMIT_ALERT_RETENTION`]); delivered notices, expired codes and tokens,
//! idle sessions and old failed sign-ins go once nothing can use them.

use chrono::{DateTime, Duration, Utc};

use super::web::{LOGIN_FAILURE_WINDOW, WEB_SESSION_IDLE};
use super::{Ledger, LedgerError};
use crate::store::Prunable;

/// How long the claim of an inbound event is kept.
pub const EVENT_RETENTION: Duration = Duration::days(30);
/// How long a delivered or abandoned notice (a code or link email) is kept.
pub const NOTICE_RETENTION: Duration = Duration::days(30);
/// How long after its period began a limit alert's row is kept.
pub const LIMIT_ALERT_RETENTION: Duration = Duration::days(400);
/// How long after expiring a code, token or question is kept (to tell "expired" from
/// "wrong" for a while).
pub const EXPIRED_RETENTION: Duration = Duration::days(1);
/// Rows one statement deletes at most.
pub const PRUNE_BATCH: i64 = 500;

impl Ledger {
    /// Prunes everything whose time has passed at `now`, a batch at a time, until nothing is
    /// left; how many rows went. Safe to run on several replicas at once.
    #[tracing::instrument(skip_all)]
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<u64, LedgerError> {
        let targets = [
            Prunable::Events(now - EVENT_RETENTION),
            Prunable::Outbox(
                now - NOTICE_RETENTION,
                (now - LIMIT_ALERT_RETENTION).date_naive(),
            ),
            Prunable::Expired(now - EXPIRED_RETENTION),
            Prunable::Sessions(now - WEB_SESSION_IDLE),
            Prunable::LoginFailures(now - LOGIN_FAILURE_WINDOW - EXPIRED_RETENTION),
        ];
        let mut total = 0;
        for target in targets {
            loop {
                let deleted = self.store.prune_batch(target, PRUNE_BATCH).await?;
                total += deleted;
                if deleted < PRUNE_BATCH as u64 {
                    break;
                }
                // Between batches other writers get their turn.
                tokio::task::yield_now().await;
            }
        }
        if total > 0 {
            tracing::info!(rows = total, "pruned old rows");
        }
        Ok(total)
    }
}
