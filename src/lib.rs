//! Spendbot: a personal expense tracker people talk to from chat.
//!
//! The layers, from the inside out: [`domain`] (money, wallets, limits), [`intent`] (text to
//! intent), [`store`] (SQLite, PostgreSQL, MySQL), [`ledger`] (the use cases), [`bot`] (the
//! conversation), and the adapters that translate a platform's events into the bot's terms.
//! ARCHITECTURE.md has the map.

pub mod adapter;
pub mod bot;
pub mod chart;
pub mod console;
pub mod contain;
pub mod discord;
pub mod domain;
pub mod intent;
pub mod ledger;
pub mod metrics;
pub mod notify;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telegram;
pub mod telemetry;
pub mod web;
