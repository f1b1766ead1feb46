//! Notifications leaving the service: overspend and warning alerts by email (and, through the
//! delivery worker, by chat).
//!
//! [`sendgrid`] is the SendGrid v3 Mail Send client: one [`Mail`] becomes one
//! `POST /v3/mail/send`, retried with jittered exponential backoff on connection failures,
//! 429 and 5xx, never on any other 4xx, and answered with SendGrid's message id.
//!
//! What this layer never does: decide *whether* an alert is due (the ledger does, writing it
//! to the outbox in the expense's transaction), remember *that* a mail went out (the outbox
//! records the outcome; SendGrid has no idempotency key, so exactly-once is the outbox's job,
//! not the client's), talk to a chat platform's crate directly, or log an API key or a
//! recipient's address.

pub mod sendgrid;

pub use sendgrid::{Mail, RetryPolicy, SendError, SendGrid};
