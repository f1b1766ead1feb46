//! Limits: setting one per (period, category), removing it, listing them, and where spending
//! stands against each in the period holding a day. Which thresholds a change crosses is
//! decided where the change is written (recording and edits), not here.

use chrono::{NaiveDate, Utc};

use super::{Ledger, LedgerError, Session, claim};
use crate::domain::{
    Category, DateRange, EventKey, Limit, LimitPeriod, LimitStatus, Money, NewLimit,
    crossed_thresholds,
};

impl Ledger {
    /// Sets the limit for (period, category), replacing an earlier one. A changed amount
    /// re-arms the running period's alerts, so the new amount is alerted on too.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, period = %limit.period))]
    pub async fn set_limit(
        &self,
        s: &Session,
        limit: &NewLimit,
        event: Option<&EventKey>,
    ) -> Result<Limit, LedgerError> {
        let now = Utc::now();
        // The limit it replaces, if any: a new amount re-arms the alerts of the running period.
        let before = self
            .store
            .limits(s.account.id)
            .await?
            .into_iter()
            .find(|l| l.period == limit.period && l.category == limit.category);
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, now).await?;
        let set = tx.upsert_limit(s.account.id, limit, now).await?;
        if let Some(old) = before.filter(|old| old.money != set.money) {
            // Thresholds of the old amount said nothing about the new one: the running period
            // alerts again for the new amount's 80 % and 100 %, at once for a mark that the
            // spending already passed (a lowered limit), else when spending passes it.
            let today = now.with_timezone(&s.account.timezone).date_naive();
            let running = set.period.range_containing(today);
            tx.rearm_limit_alerts(old.id, running.from).await?;
            let currency = set.money.currency();
            let spent = tx
                .spent(s.account.id, currency, set.category.as_ref(), running)
                .await?;
            for threshold in crossed_thresholds(set.money.minor_units(), 0, spent) {
                tx.insert_limit_alert(s.account.id, set.id, running.from, threshold.as_i16(), now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(set)
    }

    /// Removes the limit for (period, category); `false` when there was none.
    #[tracing::instrument(skip_all, fields(account = %s.account.id, period = %period))]
    pub async fn remove_limit(
        &self,
        s: &Session,
        period: LimitPeriod,
        category: Option<&Category>,
        event: Option<&EventKey>,
    ) -> Result<bool, LedgerError> {
        let mut tx = self.store.begin_write().await?;
        claim(&mut tx, event, s, Utc::now()).await?;
        let removed = tx.delete_limit(s.account.id, period, category).await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// The account's limits, oldest first.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn limits(&self, s: &Session) -> Result<Vec<Limit>, LedgerError> {
        Ok(self.store.limits(s.account.id).await?)
    }

    /// Where spending stands against every limit, in the period holding `today`.
    #[tracing::instrument(skip_all, fields(account = %s.account.id))]
    pub async fn limit_statuses(
        &self,
        s: &Session,
        today: NaiveDate,
    ) -> Result<Vec<LimitStatus>, LedgerError> {
        let mut statuses = Vec::new();
        for limit in self.store.limits(s.account.id).await? {
            let range = limit.period.range_containing(today);
            let spent = self
                .store
                .spent(
                    s.account.id,
                    limit.money.currency(),
                    limit.category.as_ref(),
                    range,
                )
                .await?;
            statuses.push(status(limit, range, spent));
        }
        Ok(statuses)
    }
}

pub(super) fn status(limit: Limit, range: DateRange, spent_minor: i64) -> LimitStatus {
    let spent = Money::from_minor(spent_minor, limit.money.currency()).amount();
    LimitStatus {
        limit,
        range,
        spent,
    }
}
