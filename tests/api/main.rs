//! The one integration-test binary: every story of the service, against the real binary or
//! the real `startup`, over real databases (SQLite always; PostgreSQL and MySQL when
//! `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` are set).

mod alerts;
mod alerts_story;
mod browser;
mod cli;
mod console;
mod conversation;
mod deploy;
mod discord;
mod fakes;
mod hardening;
mod health;
mod helpers;
mod layers;
mod ledger_story;
mod plans;
mod privilege;
mod sendgrid;
mod stories;
mod telegram;
mod test_db;
mod tls;
mod transcripts;
mod web;
mod webdriver;
