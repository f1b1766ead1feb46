//! The outbox worker: claims due alerts, carries them out by email and chat, and records the
//! outcome. Several workers (replicas) share one outbox safely, and an alert claimed by a
//! worker that died is delivered by another.
//!
//! It only moves messages. What is due, to whom and in which words comes from an
//! [`AlertSource`] (the bot implements it over the ledger); chat messages leave through the
//! [`ChatSender`]s the adapters implement, email through [`SendGrid`]. It never decides whether
//! an alert is due, never words one, and never names a platform's crate.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::sendgrid::{Mail, SendError, SendGrid};
use crate::domain::{ChatIdentity, Platform};

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
pub const MAX_ATTEMPTS: i32 = 8;

/// A boxed future, for the object-safe [`ChatSender`].
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// A chat platform that can send a person a message on the service's own initiative.
pub trait ChatSender: Send + Sync {
    /// The platform whose identities it reaches.
    fn platform(&self) -> Platform;
    /// Sends `text` to the person with this platform id; `false` when it did not arrive (a
    /// person who blocked the bot is marked unreachable by the adapter).
    fn send<'a>(&'a self, external_id: &'a str, text: &'a str) -> SendFuture<'a>;
}

/// An alert claimed for delivery: its outbox id and how often it has been tried (this attempt
/// included), with whatever the source needs to prepare it.
pub trait Claimed: Send + Sync {
    fn id(&self) -> i64;
    fn attempts(&self) -> i32;
    /// Its chat messages went out on an earlier attempt.
    fn chats_sent(&self) -> bool;
}

/// What an alert comes to once worded: an email, chat messages, or both.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub email: Option<Mail>,
    /// Whether the alert is the email alone (a code, a link): with email off it fails,
    /// instead of being done by its chat messages.
    pub email_only: bool,
    /// Where the chat message goes.
    pub chats: Vec<ChatIdentity>,
    /// The chat message.
    pub chat_text: String,
}

/// What the source made of a claimed alert.
pub enum Prepared {
    /// Send this.
    Send(Outgoing),
    /// Nothing is left to send (it was overtaken); done.
    Nothing,
    /// It could not be prepared now (the database did not answer): try again later.
    NotNow(String),
}

/// Where alerts come from: the outbox, and the words of each.
pub trait AlertSource: Send + Sync {
    type Alert: Claimed;
    /// Claims up to `max` due alerts for `worker` (pending ones whose time has come, and
    /// claims older than `stale_after`).
    fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        max: u32,
        stale_after: chrono::Duration,
    ) -> impl Future<Output = Result<Vec<Self::Alert>, String>> + Send;
    /// Words a claimed alert and says where it goes.
    fn prepare(&self, alert: &Self::Alert) -> impl Future<Output = Prepared> + Send;
    /// Records that `worker` sent an alert (only the claim's owner may).
    fn sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// Records that `worker` sent an alert's chat messages (its email may still be retried).
    fn chats_sent(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// Records a failure of `worker`: to be tried again at `retry_at`, or (without it) for good.
    fn failed(
        &self,
        id: i64,
        worker: &str,
        why: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// What became of one alert.
enum Outcome {
    Sent,
    /// Try again at this time.
    Retry(DateTime<Utc>, String),
    /// Failed for good (recorded with the reason).
    Failed(String),
}

/// The outbox worker.
pub struct Delivery<S> {
    source: S,
    chats: Vec<Arc<dyn ChatSender>>,
    mail: Option<SendGrid>,
    worker: String,
    stale_after: chrono::Duration,
    idle: Duration,
}

impl<S: AlertSource> Delivery<S> {
    /// A worker over `source`, sending through `chats` and (when email is on) `mail`.
    pub fn new(source: S, chats: Vec<Arc<dyn ChatSender>>, mail: Option<SendGrid>) -> Self {
        // Unique per process, so that a claim names the worker that made it.
        let nonce = {
            use rand::TryRngCore;
            rand::rngs::OsRng.try_next_u32().unwrap_or_default()
        };
        Self {
            source,
            chats,
            mail,
            worker: format!("{}-{nonce:08x}", std::process::id()),
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
            // A panic in one alert's delivery is contained: the worker backs off and goes on.
            let due = self.deliver_due_until(&stop);
            let wait = match crate::contain::contained("alert delivery", due).await {
                Ok(Ok(0)) => self.idle,
                Ok(Ok(_)) => {
                    backoff = self.idle;
                    continue;
                }
                Ok(Err(())) | Err(_) => {
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
        self.deliver_due_until(&CancellationToken::new()).await
    }

    /// [`Delivery::deliver_due`]; once `stop` is cancelled, emails waiting to be retried give
    /// up at once (their alerts go back to the outbox for later), so shutdown is not held up.
    async fn deliver_due_until(&self, stop: &CancellationToken) -> Result<usize, ()> {
        let alerts = self
            .source
            .claim(&self.worker, Utc::now(), BATCH, self.stale_after)
            .await
            .map_err(|e| tracing::warn!(error = %e, "alerts: cannot claim from the outbox"))?;
        let count = alerts.len();
        for alert in alerts {
            let (id, attempts) = (alert.id(), alert.attempts());
            let outcome = match self.source.prepare(&alert).await {
                Prepared::Send(mut outgoing) => {
                    if alert.chats_sent() {
                        outgoing.chats.clear();
                    }
                    self.deliver(id, &outgoing, attempts, stop).await
                }
                Prepared::Nothing => Outcome::Sent,
                Prepared::NotNow(why) => retry(attempts, why),
            };
            let saved = match outcome {
                Outcome::Sent => self.source.sent(id, &self.worker, Utc::now()).await,
                Outcome::Retry(at, why) if attempts < MAX_ATTEMPTS => {
                    tracing::info!(alert = id, attempts, "alerts: will retry: {why}");
                    self.source.failed(id, &self.worker, &why, Some(at)).await
                }
                Outcome::Retry(_, why) | Outcome::Failed(why) => {
                    tracing::warn!(alert = id, attempts, "alerts: failed: {why}");
                    self.source.failed(id, &self.worker, &why, None).await
                }
            };
            if let Err(e) = saved {
                // The claim goes stale and another attempt delivers it again.
                tracing::warn!(alert = id, error = %e, "alerts: cannot record an outcome");
            }
        }
        Ok(count)
    }

    /// The chat messages first, recorded as sent, then the email: a failing email is retried
    /// on its own, neither holding the chat messages back nor sending them twice.
    async fn deliver(
        &self,
        id: i64,
        out: &Outgoing,
        attempts: i32,
        stop: &CancellationToken,
    ) -> Outcome {
        if out.email_only && self.mail.is_none() {
            return Outcome::Failed("email is off: no SendGrid client".into());
        }
        if !out.chats.is_empty() {
            for identity in &out.chats {
                self.chat(identity, &out.chat_text).await;
            }
            if let Err(e) = self.source.chats_sent(id, &self.worker, Utc::now()).await {
                // Unrecorded, a retry may send them again: at least once, never lost.
                tracing::warn!(alert = id, error = %e, "alerts: cannot record the chat messages");
            }
        }
        let Some(mail) = &out.email else {
            return Outcome::Sent;
        };
        match self.email(mail, attempts, stop).await {
            None => Outcome::Sent,
            Some(outcome) => outcome,
        }
    }

    /// Sends one email; `None` when it went out (or email is off), else what to do.
    async fn email(&self, mail: &Mail, attempts: i32, stop: &CancellationToken) -> Option<Outcome> {
        let Some(client) = &self.mail else {
            tracing::debug!("alerts: email is off; not sent");
            return None;
        };
        match client.send_until(mail, stop).await {
            Ok(_) => {
                crate::metrics::delivery("email", "sent");
                None
            }
            Err(SendError::Rejected { status, errors }) => {
                crate::metrics::delivery("email", "failed");
                Some(Outcome::Failed(format!(
                    "SendGrid refused the email ({status}): {}",
                    errors.join("; ")
                )))
            }
            Err(SendError::GaveUp { last }) => {
                crate::metrics::delivery("email", "retry");
                Some(retry(attempts, format!("SendGrid: {last}")))
            }
        }
    }

    /// One chat message; a person who cannot be reached is marked so by the adapter.
    async fn chat(&self, to: &ChatIdentity, text: &str) {
        let platform = to.platform();
        let sender = self.chats.iter().find(|s| s.platform() == platform);
        let delivered = match sender {
            Some(sender) => sender.send(to.external_id(), text).await,
            None => false,
        };
        let outcome = if delivered { "sent" } else { "unreachable" };
        crate::metrics::delivery(platform.as_str(), outcome);
        if !delivered {
            tracing::debug!(
                platform = platform.as_str(),
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
