//! Notifications leaving the service: alerts and notices by email and chat.
//!
//! [`delivery`] is the outbox worker: it claims due alerts from an [`AlertSource`] (the bot,
//! which words them), sends the chat messages through the [`ChatSender`]s the Telegram and
//! Discord adapters implement and records them as sent, then the email, which is retried on
//! its own; and records each outcome.
//!
//! [`sendgrid`] is the SendGrid v3 Mail Send client: one [`Mail`] becomes one
//! `POST /v3/mail/send`, retried (`backon`) with jittered exponential backoff on connection
//! failures, 429 and 5xx, never on any other 4xx, and answered with SendGrid's message id.
//!
//! What this layer never does: decide *whether* an alert is due (the ledger does, writing it
//! to the outbox in the expense's transaction), remember *that* a mail went out (the outbox
//! records the outcome; SendGrid has no idempotency key, so exactly-once is the outbox's job,
//! not the client's), talk to a chat platform's crate directly, or log an API key or a
//! recipient's address.

pub mod delivery;
pub mod sendgrid;

pub use delivery::{AlertSource, ChatSender, Delivery};
pub use sendgrid::{Mail, RetryPolicy, SendError, SendGrid};
