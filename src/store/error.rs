//! What a failed store operation means to its caller: [`StoreError`], and the one place that
//! reads an sqlx error to decide it. Nothing here runs SQL.

/// Why a store operation failed: only what a caller branches on, plus one opaque case.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (connection, pool or I/O trouble).
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A unique key already holds this value.
    #[error("a row with this key already exists")]
    Conflict,
    #[error("no such row")]
    NotFound,
    #[error("database error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub(super) fn other(message: impl Into<String>) -> Self {
        Self::Other(message.into().into())
    }

    /// Whether the database gave up this transaction to break a deadlock (or a serialization
    /// conflict): running it again is safe.
    pub fn is_deadlock(&self) -> bool {
        let Self::Other(e) = self else { return false };
        let Some(sqlx::Error::Database(db)) = e.downcast_ref::<sqlx::Error>() else {
            return false;
        };
        matches!(db.code().as_deref(), Some("1213" | "40001" | "40P01"))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        match e {
            sqlx::migrate::MigrateError::Execute(e) => map_sqlx(e),
            other => Self::Other(Box::new(other)),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        map_sqlx(e)
    }
}

/// The one place that decides what an sqlx error means to callers.
fn map_sqlx(e: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match e {
        E::RowNotFound => StoreError::NotFound,
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
            StoreError::Unavailable(e)
        }
        E::Database(ref db) if db.is_unique_violation() => StoreError::Conflict,
        E::Database(ref db) if is_unavailable_code(db.code().as_deref()) => {
            StoreError::Unavailable(e)
        }
        E::Migrate(m) => StoreError::Other(m),
        other => StoreError::Other(Box::new(other)),
    }
}

/// Database error codes that mean "down or overloaded" rather than "this statement is wrong":
/// SQLite busy/locked/IO/cannot-open, PostgreSQL connection and shutdown classes, MySQL
/// connection-lost and too-many-connections.
fn is_unavailable_code(code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    matches!(
        code,
        "5" | "6" | "10" | "14" | "261" | "517" | "1040" | "2002" | "2006" | "2013"
    ) || code.starts_with("08")
        || code.starts_with("57P")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_trouble_codes_mean_unavailable() {
        assert!(is_unavailable_code(Some("08006")));
        assert!(is_unavailable_code(Some("57P01")));
        assert!(is_unavailable_code(Some("5")));
        assert!(!is_unavailable_code(Some("23505")));
        assert!(!is_unavailable_code(None));
    }
}
