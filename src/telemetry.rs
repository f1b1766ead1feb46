//! Logging: one `tracing` subscriber writing to stderr, filtered by `SPENDBOT_LOG` and written
//! as text or, with `SPENDBOT_LOG_FORMAT=json`, as one JSON object per line.
//!
//! It never writes to stdout (stdout belongs to `chat` and `parse`), and it never decides what
//! is logged: call sites keep tokens and message text out of their fields.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber. Does nothing when one is already installed (as happens
/// when several tests start the app in one process).
pub fn init(settings: &LogSettings) {
    // The filter was checked when the settings were loaded; `info` is only a safety net.
    let filter = EnvFilter::builder()
        .parse(&settings.filter)
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second install fails harmlessly; the first subscriber stays.
    let _ = match settings.format {
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}
