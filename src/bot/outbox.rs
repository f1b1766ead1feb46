//! The bot as the outbox worker's [`AlertSource`]: claims and outcomes go to the ledger, and a
//! claimed alert is worded here, in the account's language, for the worker to carry.

use super::*;
use crate::ledger::{Alert, AlertKind};
use crate::notify::Mail;
use crate::notify::delivery::{AlertSource, Claimed, Outgoing, Prepared};

/// The expenses an alert lists.
const RECENT: u32 = 5;

impl Claimed for Alert {
    fn id(&self) -> i64 {
        self.id
    }

    fn attempts(&self) -> i32 {
        self.attempts
    }

    fn chats_sent(&self) -> bool {
        self.chats_sent
    }
}

impl AlertSource for Bot {
    type Alert = Alert;

    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        max: u32,
        stale_after: Duration,
    ) -> Result<Vec<Alert>, String> {
        self.ledger
            .claim_alerts(worker, now, max, stale_after)
            .await
            .map_err(|e| e.to_string())
    }

    #[tracing::instrument(skip_all, fields(alert = alert.id))]
    async fn prepare(&self, alert: &Alert) -> Prepared {
        let lang = alert.account.language.as_str();
        match &alert.kind {
            AlertKind::EmailCode { email, code } => {
                let message = self.email_code_message(lang, code);
                notice(
                    email,
                    message,
                    format!("code-{}", alert.id),
                    "email-verification",
                )
            }
            AlertKind::EmailLink {
                email,
                link,
                purpose,
            } => {
                let message = self.email_link_message(lang, *purpose, link);
                let category = match purpose {
                    LinkPurpose::VerifyEmail => "email-verification",
                    LinkPurpose::ResetPassword => "password-reset",
                };
                notice(email, message, format!("link-{}", alert.id), category)
            }
            AlertKind::Limit {
                limit,
                range,
                threshold,
            } => {
                self.prepare_limit_alert(alert, limit, *range, *threshold)
                    .await
            }
        }
    }

    async fn sent(&self, id: i64, worker: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.ledger
            .alert_sent(id, worker, now)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    async fn chats_sent(&self, id: i64, worker: &str, now: DateTime<Utc>) -> Result<(), String> {
        self.ledger
            .alert_chats_sent(id, worker, now)
            .await
            .map_err(|e| e.to_string())
    }

    async fn failed(
        &self,
        id: i64,
        worker: &str,
        why: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), String> {
        self.ledger
            .alert_failed(id, worker, why, retry_at)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

/// A notice that goes by email only.
fn notice(to: &str, message: AlertMessage, alert_id: String, category: &str) -> Prepared {
    Prepared::Send(Outgoing {
        email: Some(Mail {
            to: to.to_owned(),
            subject: message.subject,
            text: message.text,
            html: message.html,
            alert_id,
            categories: vec![category.to_owned()],
        }),
        email_only: true,
        ..Outgoing::default()
    })
}

impl Bot {
    /// A limit passed: the email (overspend only, to a verified address) and the chat alerts
    /// to every reachable identity, in the account's words.
    async fn prepare_limit_alert(
        &self,
        alert: &Alert,
        limit: &crate::domain::Limit,
        range: DateRange,
        threshold: Threshold,
    ) -> Prepared {
        let to = match self.ledger.alert_recipients(alert.account.id).await {
            Ok(r) => r,
            Err(e) => return Prepared::NotNow(format!("recipients: {e}")),
        };
        let overview = match self
            .ledger
            .account_overview(alert.account.id, range, RECENT)
            .await
        {
            Ok(o) => o,
            Err(e) => return Prepared::NotNow(format!("overview: {e}")),
        };
        let spent = overview
            .summary
            .spent_in(limit.money.currency(), limit.category.as_ref());
        if threshold == Threshold::Warning && spent >= limit.money.amount() {
            // Already over: the overspend alert says it all; one alert, not two.
            return Prepared::Nothing;
        }
        let today = Utc::now()
            .with_timezone(&alert.account.timezone)
            .date_naive();
        let message = self.limit_alert(&AlertView {
            account: &alert.account,
            limit,
            range,
            threshold,
            summary: &overview.summary,
            recent: &overview.recent,
            today,
        });
        let email = match (threshold, to.email) {
            (Threshold::Over, Some(to)) => Some(Mail {
                to,
                subject: message.subject.clone(),
                text: message.text.clone(),
                html: message.html.clone(),
                alert_id: format!("limit-{}", alert.id),
                categories: vec!["overspend-alert".into()],
            }),
            _ => None,
        };
        Prepared::Send(Outgoing {
            email,
            email_only: false,
            chats: to.chats,
            chat_text: message.text,
        })
    }
}
