//! What the platform adapters share: why one cannot start.

/// Why an adapter cannot be built from the settings. Starting stops with this one line.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// A setting the adapter needs is not usable.
    #[error("{setting} is not valid: {reason}")]
    BadSetting {
        setting: &'static str,
        reason: String,
    },
    /// The HTTP client for the platform could not be made.
    #[error("cannot build the {platform} HTTP client: {reason}")]
    Client {
        platform: &'static str,
        reason: String,
    },
}
