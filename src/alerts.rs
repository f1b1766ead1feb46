//! Delivery of the alerts the ledger writes to its outbox: a limit crossed (a chat alert to
//! every reachable identity of the account, and for an overspend one email to its verified
//! address) and email verification codes. A worker of `serve` claims due alerts, delivers
//! them and records the outcome; several workers (replicas) share one outbox safely, and an
//! alert claimed by a worker that died is delivered by another. It only moves messages: the
//! ledger decides what is due, the bot words it, the adapters and SendGrid carry it.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::bot::{AlertMessage, AlertView, Bot};
use crate::discord::Discord;
use tokio_util::sync::CancellationToken;

use crate::domain::{ChatIdentity, DateRange, Limit, Platform};
use crate::ledger::{Alert, AlertKind, Ledger, LinkPurpose, Threshold};
use crate::notify::{Mail, SendError, SendGrid};
use crate::telegram::Telegram;

/// Alerts one worker claims at a time: one, so that a claim is never older than the delivery
/// of a single alert, which `STALE_AFTER` is sized for.
const BATCH: u32 = 1;
/// How long between looks at the outbox when it was empty.
const IDLE: Duration = Duration::from_millis(500);
/// A claim older than this belongs to a worker that died; another may take the alert. Well
/// above the longest a live worker can spend on one alert (SendGrid's retries: five attempts
/// of at most 15 s plus 30 s waits), so a slow worker is never overtaken and nothing is sent
/// twice by two live workers.
const STALE_AFTER: chrono::Duration = chrono::Duration::minutes(10);
/// Attempts before an alert that keeps failing is given up.
const MAX_ATTEMPTS: i32 = 8;
/// The expenses an alert lists.
const RECENT: u32 = 5;

/// The alert worker. Cheap to share behind an `Arc`.
pub struct Delivery {
    ledger: Ledger,
    bot: Bot,
    telegram: Option<Arc<Telegram>>,
    discord: Option<Arc<Discord>>,
    mail: Option<SendGrid>,
    from: String,
    worker: String,
    stale_after: chrono::Duration,
    idle: Duration,
}

/// What became of one alert.
enum Outcome {
    Sent,
    /// Try again at this time.
    Retry(DateTime<Utc>, String),
    /// Failed for good (recorded with the reason).
    Failed(String),
}

impl Delivery {
    pub fn new(
        ledger: Ledger,
        bot: Bot,
        telegram: Option<Arc<Telegram>>,
        discord: Option<Arc<Discord>>,
        mail: Option<SendGrid>,
        from: &str,
    ) -> Self {
        // Unique per process, so that a claim names the worker that made it.
        let nonce = {
            use rand::TryRngCore;
            rand::rngs::OsRng.try_next_u32().unwrap_or_default()
        };
        let worker = format!("{}-{nonce:08x}", std::process::id());
        Self {
            ledger,
            bot,
            telegram,
            discord,
            mail,
            from: from.to_owned(),
            worker,
            stale_after: STALE_AFTER,
            idle: IDLE,
        }
    }

    /// Shortens how long a claim counts as alive and how long the worker idles (tests).
    pub fn with_timing(mut self, stale_after: chrono::Duration, idle: Duration) -> Self {
        self.stale_after = stale_after;
        self.idle = idle;
        self
    }

    /// Delivers due alerts until `stop` is cancelled. It checks between batches and never
    /// cuts a delivery off in the middle (which could send an alert twice); its waits end at
    /// once.
    pub async fn run(&self, stop: CancellationToken) {
        let mut backoff = self.idle;
        while !stop.is_cancelled() {
            let wait = match self.deliver_due().await {
                Ok(0) => self.idle,
                Ok(_) => {
                    backoff = self.idle;
                    continue;
                }
                Err(()) => {
                    let wait = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    wait
                }
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Claims the due alerts and delivers them; returns how many it handled.
    pub async fn deliver_due(&self) -> Result<usize, ()> {
        let alerts = self
            .ledger
            .claim_alerts(&self.worker, Utc::now(), BATCH, self.stale_after)
            .await
            .map_err(|e| tracing::warn!(error = %e, "alerts: cannot claim from the outbox"))?;
        let count = alerts.len();
        for alert in alerts {
            let id = alert.id;
            let saved = match self.deliver(&alert).await {
                Outcome::Sent => self.ledger.alert_sent(id, Utc::now()).await,
                Outcome::Retry(at, why) if alert.attempts < MAX_ATTEMPTS => {
                    tracing::info!(
                        alert = id,
                        attempts = alert.attempts,
                        "alerts: will retry: {why}"
                    );
                    self.ledger.alert_failed(id, &why, Some(at)).await
                }
                Outcome::Retry(_, why) | Outcome::Failed(why) => {
                    tracing::warn!(
                        alert = id,
                        attempts = alert.attempts,
                        "alerts: failed: {why}"
                    );
                    self.ledger.alert_failed(id, &why, None).await
                }
            };
            if let Err(e) = saved {
                // The claim goes stale and another attempt delivers it again.
                tracing::warn!(alert = id, error = %e, "alerts: cannot record an outcome");
            }
        }
        Ok(count)
    }

    /// Emails a notice (a code or a link) that goes by email only.
    async fn notice(
        &self,
        alert: &Alert,
        to: &str,
        message: AlertMessage,
        alert_id: String,
        category: &str,
    ) -> Outcome {
        if self.mail.is_none() {
            return Outcome::Failed("email is off: no SendGrid client".into());
        }
        let mail = Mail {
            to: to.to_owned(),
            subject: message.subject,
            text: message.text,
            html: message.html,
            alert_id,
            categories: vec![category.to_owned()],
        };
        self.email(&mail, alert.attempts)
            .await
            .unwrap_or(Outcome::Sent)
    }

    #[tracing::instrument(skip_all, fields(alert = alert.id))]
    async fn deliver(&self, alert: &Alert) -> Outcome {
        let lang = alert.account.language.as_str();
        match &alert.kind {
            AlertKind::EmailCode { email, code } => {
                let message = self.bot.email_code_message(lang, code);
                let id = format!("code-{}", alert.id);
                self.notice(alert, email, message, id, "email-verification")
                    .await
            }
            AlertKind::EmailLink {
                email,
                link,
                purpose,
            } => {
                let message = self.bot.email_link_message(lang, *purpose, link);
                let category = match purpose {
                    LinkPurpose::VerifyEmail => "email-verification",
                    LinkPurpose::ResetPassword => "password-reset",
                };
                let id = format!("link-{}", alert.id);
                self.notice(alert, email, message, id, category).await
            }
            AlertKind::Limit {
                limit,
                range,
                threshold,
            } => self.limit_alert(alert, limit, *range, *threshold).await,
        }
    }

    /// A limit passed: the email (overspend only) and the chat alerts, in the account's words.
    async fn limit_alert(
        &self,
        alert: &Alert,
        limit: &Limit,
        range: DateRange,
        threshold: Threshold,
    ) -> Outcome {
        let to = match self.ledger.alert_recipients(alert.account.id).await {
            Ok(r) => r,
            Err(e) => return retry(alert.attempts, format!("recipients: {e}")),
        };
        let overview = match self
            .ledger
            .account_overview(alert.account.id, range, RECENT)
            .await
        {
            Ok(o) => o,
            Err(e) => return retry(alert.attempts, format!("overview: {e}")),
        };
        let spent = overview
            .summary
            .spent_in(limit.money.currency(), limit.category.as_ref());
        if threshold == Threshold::Warning && spent >= limit.money.amount() {
            // Already over: the overspend alert says it all; one alert, not two.
            return Outcome::Sent;
        }
        let today = Utc::now()
            .with_timezone(&alert.account.timezone)
            .date_naive();
        let message = self.bot.limit_alert(&AlertView {
            account: &alert.account,
            limit,
            range,
            threshold,
            summary: &overview.summary,
            recent: &overview.recent,
            today,
        });
        // The email goes first: while it is retried no chat alert has gone out, so a retry
        // never repeats one.
        let mut email_failure = None;
        if let (Threshold::Over, Some(to)) = (threshold, to.email) {
            let mail = Mail {
                to,
                subject: message.subject.clone(),
                text: message.text.clone(),
                html: message.html.clone(),
                alert_id: format!("limit-{}", alert.id),
                categories: vec!["overspend-alert".into()],
            };
            match self.email(&mail, alert.attempts).await {
                None => {}
                Some(Outcome::Failed(why)) => email_failure = Some(why),
                // The email's last chance failed: the chat alerts still go out.
                Some(Outcome::Retry(_, why)) if alert.attempts >= MAX_ATTEMPTS => {
                    email_failure = Some(why);
                }
                Some(other) => return other,
            }
        }
        for identity in &to.chats {
            self.chat(identity, &message.text).await;
        }
        match email_failure {
            Some(why) => Outcome::Failed(why),
            None => Outcome::Sent,
        }
    }

    /// Sends one email; `None` when it went out (or email is off), else what to do.
    async fn email(&self, mail: &Mail, attempts: i32) -> Option<Outcome> {
        let Some(client) = &self.mail else {
            tracing::debug!(from = %self.from, "alerts: email is off; not sent");
            return None;
        };
        match client.send(mail).await {
            Ok(_) => None,
            Err(SendError::Rejected { status, errors }) => Some(Outcome::Failed(format!(
                "SendGrid refused the email ({status}): {}",
                errors.join("; ")
            ))),
            Err(SendError::GaveUp { last }) => Some(retry(attempts, format!("SendGrid: {last}"))),
        }
    }

    /// One chat alert; a person who cannot be reached is marked so by the adapter.
    async fn chat(&self, to: &ChatIdentity, text: &str) {
        let delivered = match to.platform() {
            Platform::Telegram => match &self.telegram {
                Some(tg) => tg.send_text(to.external_id(), text).await,
                None => false,
            },
            Platform::Discord => match (&self.discord, to.external_id().parse::<u64>()) {
                (Some(dc), Ok(id)) => dc.send_dm(id, text).await.is_ok(),
                _ => false,
            },
            Platform::Console | Platform::Web => false,
        };
        if !delivered {
            tracing::debug!(
                platform = to.platform().as_str(),
                "alerts: no chat alert delivered"
            );
        }
    }
}

/// Try again later, with exponential backoff by attempt.
fn retry(attempts: i32, why: String) -> Outcome {
    let exponent = u32::try_from(attempts.clamp(1, 10) - 1).unwrap_or(0);
    let wait =
        chrono::Duration::seconds(5 * 2_i64.pow(exponent)).min(chrono::Duration::minutes(30));
    Outcome::Retry(Utc::now() + wait, why)
}
