//! Spendbot: a personal expense tracker people talk to from chat.
//!
//! The layers, from the inside out: [`domain`] (money, wallets, limits), [`intent`] (text to
//! intent), [`store`] (SQLite, PostgreSQL, MySQL), [`ledger`] (the use cases), [`bot`] (the
//! conversation), and the adapters that translate a platform's events into the bot's terms.
//! ARCHITECTURE.md has the map.

pub mod domain;
pub mod bot;
pub mod intent;
pub mod ledger;
pub mod settings;
pub mod telemetry;
pub mod console;
pub mod store;
pub mod metrics;
pub mod startup;
