//! Panics kept to the piece of work that raised one. A panic is a bug, but one message, one
//! request or one alert must never stop the service for everyone: [`contained`] runs a piece
//! of work and turns its panic into an error its caller answers deliberately (a 500, an update
//! confirmed, an alert left for later), and [`install_hook`] logs every panic once, with its
//! location, and counts it in `/metrics`.
//!
//! It depends on nothing of the crate but `metrics`, so every layer that runs work may use it.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt as _;

/// Runs `work`; a panic in it comes back as `Err` with the panic's message (already logged,
/// with its location, by the hook).
pub async fn contained<T>(what: &'static str, work: impl Future<Output = T>) -> Result<T, String> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(value) => Ok(value),
        Err(panic) => {
            let message = message_of(panic.as_ref());
            tracing::error!(work = what, panic = %message, "a panic was contained; the service goes on");
            Err(message)
        }
    }
}

/// The text of a panic's payload.
pub fn message_of(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// Logs every panic through `tracing` with its location and counts it in
/// `spendbot_panics_total`, instead of the default hook's bare line on stderr.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        crate::metrics::panicked();
        let location = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_else(|| "unknown".to_owned());
        let message = message_of(info.payload());
        tracing::error!(%location, panic = %message, "panic");
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_with_its_message() {
        let caught = contained("test", async { panic!("boom {}", 7) }).await;
        assert_eq!(caught, Err::<(), _>("boom 7".to_owned()));
        assert_eq!(contained("test", async { 5 }).await, Ok(5));
    }
}
