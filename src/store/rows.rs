//! Row types shared by the three engines. `FromRow` is implemented by hand (generically over
//! the engine) because the sqlx derive would compile the database drivers a second time. The
//! rooms turn their rows into domain types. Nothing here runs SQL.

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::domain::Currency;

/// Declares a row struct and its `FromRow` for every engine that can decode its field types;
/// columns are read by field name.
macro_rules! row {
    ($(#[$m:meta])* pub struct $name:ident { $(pub $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub struct $name { $(pub $field: $ty),* }

        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for $name
        where
            &'r str: sqlx::ColumnIndex<R>,
            $($ty: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)*
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok(Self { $($field: row.try_get(stringify!($field))?),* })
            }
        }
    };
}

row! {
    pub struct AccountRow {
        pub id: i64,
        pub currency: String,
        pub timezone: String,
        pub language: String,
    }
}

row! {
    /// A chat identity joined with its account.
    pub struct MemberRow {
        pub identity_id: i64,
        pub unreachable: bool,
        pub account_id: i64,
        pub currency: String,
        pub timezone: String,
        pub language: String,
    }
}

row! {
    pub struct EntryRow {
        pub id: i64,
        pub account_id: i64,
        pub kind: String,
        pub amount_minor: i64,
        pub currency: String,
        pub category: String,
        pub note: Option<String>,
        pub occurred_on: NaiveDate,
        pub recorded_at: DateTime<Utc>,
        pub recorded_by: Option<i64>,
    }
}

row! {
    pub struct LimitRow {
        pub id: i64,
        pub account_id: i64,
        pub period: String,
        pub category: String,
        pub amount_minor: i64,
        pub currency: String,
    }
}

row! {
    /// The sum and count of one (kind, category, currency) group of entries.
    pub struct TotalRow {
        pub kind: String,
        pub category: String,
        pub currency: String,
        pub total_minor: i64,
        pub count: i64,
    }
}

row! {
    /// A link code as stored.
    pub struct LinkCodeRow {
        pub code: String,
        pub account_id: i64,
        pub expires_at: DateTime<Utc>,
        pub used_at: Option<DateTime<Utc>>,
    }
}

row! {
    /// An outbox row joined with its account and, for limit alerts, its limit (`l_*`).
    pub struct AlertRow {
        pub id: i64,
        pub account_id: i64,
        pub currency: String,
        pub timezone: String,
        pub language: String,
        pub kind: String,
        pub limit_id: Option<i64>,
        pub l_period: Option<String>,
        pub l_category: Option<String>,
        pub l_amount_minor: Option<i64>,
        pub l_currency: Option<String>,
        pub period_from: Option<NaiveDate>,
        pub threshold: Option<i16>,
        pub payload: Option<String>,
        pub attempts: i32,
        pub next_attempt_at: DateTime<Utc>,
        pub chats_sent_at: Option<DateTime<Utc>>,
    }
}

row! {
    /// An email verification code as stored.
    pub struct EmailCodeRow {
        pub id: i64,
        pub email: String,
        pub code_hash: String,
        pub expires_at: DateTime<Utc>,
        pub used_at: Option<DateTime<Utc>>,
        pub failed_attempts: i32,
    }
}

row! {
    pub struct EmailAddressRow {
        pub email: String,
        pub verified_at: Option<DateTime<Utc>>,
        pub alerts_on: bool,
    }
}

row! {
    pub struct IdentityRow {
        pub platform: String,
        pub external_id: String,
    }
}

row! {
    pub struct PendingRow {
        pub payload: String,
        pub expires_at: DateTime<Utc>,
    }
}

row! {
    /// A web sign-in: the account, its address, and its argon2id hash when a password is set.
    pub struct LoginRow {
        pub account_id: i64,
        pub email: String,
        pub password_hash: Option<String>,
    }
}

row! {
    /// A web session, found by the hash of its cookie.
    pub struct WebSessionRow {
        pub account_id: i64,
        pub csrf_token: String,
        pub last_seen_at: DateTime<Utc>,
    }
}

row! {
    /// An emailed or one-time token, found by its hash.
    pub struct WebTokenRow {
        pub account_id: i64,
        pub purpose: String,
        pub email: Option<String>,
        pub expires_at: DateTime<Utc>,
        pub used_at: Option<DateTime<Utc>>,
    }
}

row! {
    /// Failed sign-ins for one address since a moment: how many, and the oldest.
    pub struct FailureRow {
        pub failures: i64,
        pub oldest: Option<DateTime<Utc>>,
    }
}

row! {
    /// A chat identity of an account, as listed in the web settings.
    pub struct LinkedIdentityRow {
        pub id: i64,
        pub platform: String,
        pub external_id: String,
        pub display_name: Option<String>,
    }
}

row! {
    /// Expenses of one day, in minor units.
    pub struct DayTotalRow {
        pub day: NaiveDate,
        pub total_minor: i64,
    }
}

/// A stored ISO currency code as a [`Currency`].
pub(super) fn parse_currency(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).ok_or_else(|| StoreError::other("stored currency code is invalid"))
}
