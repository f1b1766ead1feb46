//! Fakes of the remote platforms the service talks to. Only remote platforms are faked.

pub mod discord;
pub mod sendgrid;
pub mod server;
pub mod telegram;
