//! One text per statement. [`Sql`] is a statement as each engine runs it, built by `sql!` from
//! SQL written once with `?` placeholders (PostgreSQL's `$1, $2, …` are numbered at compile
//! time), with an engine's own text only where its dialect must differ. [`Conn`] is a
//! connection of any engine; `execute!`, `fetch!`, `scalar!` and `insert_id!` run a statement
//! on it, binding the same values in the same order on every engine. The `match` over the
//! engine that every statement needs is written once, in these macros.
//!
//! Nothing here builds SQL at run time: every text is a constant and every value is bound. A
//! `?` in a statement is always a parameter (no statement holds one in a literal).

use sqlx::{MySqlConnection, PgConnection, SqliteConnection};

/// How long one statement (or a begin, a commit, a rollback) may take. A database that stops
/// answering (frozen, or a network that drops packets) then fails the operation as
/// unavailable, which callers answer with 503 or by not confirming an update, instead of
/// holding the request, the update and the shutdown for as long as the freeze lasts.
pub(super) const STATEMENT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// `run` within [`STATEMENT_DEADLINE`]; past it, an I/O "timed out" error, which the store
/// reads as unavailable. Dropping the statement's future closes its connection, so a statement
/// given up on never finishes behind the caller's back on a connection in use again.
pub(super) async fn within<T>(
    run: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match tokio::time::timeout(STATEMENT_DEADLINE, run).await {
        Ok(result) => result,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the database did not answer in time",
        ))),
    }
}

/// A statement in each engine's dialect. Built by `sql!`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sql {
    pub sqlite: &'static str,
    pub postgres: &'static str,
    pub mysql: &'static str,
}

/// A connection of one of the three engines, borrowed for one or more statements.
pub(super) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
    MySql(&'c mut MySqlConnection),
}

/// The length of `sql` once its `?` placeholders are numbered (`$1`, `$2`, …).
pub(super) const fn numbered_len(sql: &str) -> usize {
    let bytes = sql.as_bytes();
    let (mut i, mut n, mut len) = (0, 0, 0);
    while i < bytes.len() {
        if bytes[i] == b'?' {
            n += 1;
            len += 1 + digits(n);
        } else {
            len += 1;
        }
        i += 1;
    }
    len
}

/// `sql` with its `?` placeholders numbered `$1`, `$2`, … in order, as PostgreSQL wants them.
/// `N` is [`numbered_len`] of `sql`.
pub(super) const fn number_placeholders<const N: usize>(sql: &str) -> [u8; N] {
    let bytes = sql.as_bytes();
    let mut out = [0_u8; N];
    let (mut i, mut o, mut n) = (0, 0, 0);
    while i < bytes.len() {
        if bytes[i] != b'?' {
            out[o] = bytes[i];
            o += 1;
            i += 1;
            continue;
        }
        n += 1;
        out[o] = b'$';
        let width = digits(n);
        let (mut k, mut rest) = (width, n);
        while k > 0 {
            // A digit: `rest % 10` is below 10.
            out[o + k] = b'0' + (rest % 10) as u8;
            rest /= 10;
            k -= 1;
        }
        o += 1 + width;
        i += 1;
    }
    out
}

const fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// A `&'static str` constant: the text with its `?` placeholders numbered for PostgreSQL.
macro_rules! numbered {
    ($text:expr) => {{
        const TEXT: &str = $text;
        const BYTES: [u8; $crate::store::sql::numbered_len(TEXT)] =
            $crate::store::sql::number_placeholders(TEXT);
        const NUMBERED: &str = match ::std::str::from_utf8(&BYTES) {
            Ok(text) => text,
            Err(_) => panic!("numbering placeholders keeps UTF-8 intact"),
        };
        NUMBERED
    }};
}

/// Builds a [`Sql`] constant from text written with `?` placeholders:
///
/// - `sql!("…")`: the same statement on every engine;
/// - `sql!("…", mysql: "…")`: SQLite and PostgreSQL share one text, MySQL has its own;
/// - `sql!(sqlite: "…", postgres: "…", mysql: "…")`: three texts;
/// - `sql!(for_update: "…")` and `sql!(for_update_skip_locked: "…")`: a read that locks its
///   rows on PostgreSQL and MySQL (SQLite's write transaction holds the whole database);
/// - `sql!(columns: list, "FROM …")` (and `…, for_update`): `SELECT` of a column list from the
///   macro `list!()`, which MySQL reads as `list!(mysql)` (its columns written with `as_text!`
///   and `as_bigint!`, which cast there), then the rest on every engine;
/// - `sql!(returning_id: "INSERT …")`: an insert for `insert_id!`: `RETURNING id` on SQLite and
///   PostgreSQL, `LAST_INSERT_ID()` on MySQL (MySQL 8 has no `RETURNING`).
macro_rules! sql {
    (sqlite: $sqlite:expr, postgres: $postgres:expr, mysql: $mysql:expr $(,)?) => {
        $crate::store::sql::Sql {
            sqlite: $sqlite,
            postgres: $crate::store::sql::numbered!($postgres),
            mysql: $mysql,
        }
    };
    (for_update: $text:expr) => {
        $crate::store::sql::sql!(
            sqlite: $text,
            postgres: concat!($text, " FOR UPDATE"),
            mysql: concat!($text, " FOR UPDATE"),
        )
    };
    (for_update_skip_locked: $text:expr) => {
        $crate::store::sql::sql!(
            sqlite: $text,
            postgres: concat!($text, " FOR UPDATE SKIP LOCKED"),
            mysql: concat!($text, " FOR UPDATE SKIP LOCKED"),
        )
    };
    (columns: $columns:ident, $rest:expr) => {
        $crate::store::sql::sql!(
            concat!("SELECT ", $columns!(), " ", $rest),
            mysql: concat!("SELECT ", $columns!(mysql), " ", $rest),
        )
    };
    (columns: $columns:ident, $rest:expr, for_update) => {
        $crate::store::sql::sql!(
            sqlite: concat!("SELECT ", $columns!(), " ", $rest),
            postgres: concat!("SELECT ", $columns!(), " ", $rest, " FOR UPDATE"),
            mysql: concat!("SELECT ", $columns!(mysql), " ", $rest, " FOR UPDATE"),
        )
    };
    (returning_id: $text:expr) => {
        $crate::store::sql::sql!(concat!($text, " RETURNING id"), mysql: $text)
    };
    ($text:expr, mysql: $mysql:expr $(,)?) => {
        $crate::store::sql::sql!(sqlite: $text, postgres: $text, mysql: $mysql)
    };
    ($text:expr) => {
        $crate::store::sql::sql!(sqlite: $text, postgres: $text, mysql: $text)
    };
}

/// A text column with a binary collation, as an engine selects it: MySQL answers such a
/// column as bytes unless it is cast. `as_text!("category")`, `as_text!("category", mysql)`,
/// with an alias `as_text!("l.category" AS "l_category")`.
macro_rules! as_text {
    ($column:literal) => {
        $column
    };
    ($column:literal, mysql) => {
        concat!("CAST(", $column, " AS CHAR) AS ", $column)
    };
    ($column:literal AS $alias:literal) => {
        concat!($column, " AS ", $alias)
    };
    ($column:literal AS $alias:literal, mysql) => {
        concat!("CAST(", $column, " AS CHAR) AS ", $alias)
    };
}

/// A sum as a 64-bit integer: PostgreSQL sums BIGINTs as NUMERIC and MySQL as DECIMAL, so the
/// sum is cast back (`SIGNED` is MySQL's word for it). `as_bigint!("SUM(amount_minor)")`,
/// `as_bigint!("SUM(amount_minor)", mysql)`.
macro_rules! as_bigint {
    ($expr:literal) => {
        concat!("CAST(", $expr, " AS BIGINT)")
    };
    ($expr:literal, mysql) => {
        concat!("CAST(", $expr, " AS SIGNED)")
    };
}

/// Runs `$body` with `q` bound to the statement of `$conn`'s engine and `c` to its connection:
/// the one `match` over the engine of every statement.
macro_rules! on_engine {
    ($conn:expr, $sql:expr, |$q:ident, $c:ident| $body:expr) => {
        match $conn {
            $crate::store::sql::Conn::Sqlite($c) => {
                let $q = $sql.sqlite;
                $body
            }
            $crate::store::sql::Conn::Postgres($c) => {
                let $q = $sql.postgres;
                $body
            }
            $crate::store::sql::Conn::MySql($c) => {
                let $q = $sql.mysql;
                $body
            }
        }
    };
}

/// `timed!(SQL, expression)`: the expression (a statement run) within [`STATEMENT_DEADLINE`],
/// its time recorded in [`crate::metrics`] under the statement's name as written
/// (`INSERT_ENTRY`).
macro_rules! timed {
    ($sql:expr, $run:expr) => {{
        let started = ::std::time::Instant::now();
        let result = $crate::store::sql::within(async { $run }).await;
        $crate::metrics::statement(stringify!($sql), started);
        result
    }};
}

/// `execute!(conn, SQL, values…)`: runs a statement; the number of rows it changed.
macro_rules! execute {
    ($conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {{
        // A `match` keeps the scrutinee's temporaries (a pooled connection) alive throughout.
        match $conn {
            conn => $crate::store::sql::timed!($sql, $crate::store::sql::on_engine!(conn, $sql, |q, c| {
                ::sqlx::query(q)$(.bind($arg))*.execute(c).await.map(|done| done.rows_affected())
            })),
        }
    }};
}

/// `fetch!(conn, fetch_one | fetch_optional | fetch_all, SQL, values…)`: rows as a `FromRow`
/// type.
macro_rules! fetch {
    ($conn:expr, $fetch:ident, $sql:expr $(, $arg:expr)* $(,)?) => {{
        match $conn {
            conn => $crate::store::sql::timed!($sql, $crate::store::sql::on_engine!(conn, $sql, |q, c| {
                ::sqlx::query_as(q)$(.bind($arg))*.$fetch(c).await
            })),
        }
    }};
}

/// `scalar!(conn, fetch_one | fetch_optional | fetch_all, SQL, values…)`: the first column.
macro_rules! scalar {
    ($conn:expr, $fetch:ident, $sql:expr $(, $arg:expr)* $(,)?) => {{
        match $conn {
            conn => $crate::store::sql::timed!($sql, $crate::store::sql::on_engine!(conn, $sql, |q, c| {
                ::sqlx::query_scalar(q)$(.bind($arg))*.$fetch(c).await
            })),
        }
    }};
}

/// `insert_id!(conn, SQL, values…)`: runs an insert built with `sql!(returning_id: …)`; the new
/// row's id.
macro_rules! insert_id {
    ($conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {{
        let sql: $crate::store::sql::Sql = $sql;
        let started = ::std::time::Instant::now();
        let id = match $conn { conn => $crate::store::sql::within(async { match conn {
            $crate::store::sql::Conn::Sqlite(c) => {
                ::sqlx::query_scalar(sql.sqlite)$(.bind($arg))*.fetch_one(c).await
            }
            $crate::store::sql::Conn::Postgres(c) => {
                ::sqlx::query_scalar(sql.postgres)$(.bind($arg))*.fetch_one(c).await
            }
            $crate::store::sql::Conn::MySql(c) => ::sqlx::query(sql.mysql)
                $(.bind($arg))*
                .execute(c)
                .await
                .map(|done| i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX)),
        } })
        .await };
        $crate::metrics::statement(stringify!($sql), started);
        id
    }};
}

pub(super) use {
    as_bigint, as_text, execute, fetch, insert_id, numbered, on_engine, scalar, sql, timed,
};

#[cfg(test)]
mod tests {
    use super::*;

    const SAME: Sql = sql!("UPDATE t SET a = ? WHERE b = ? AND c = ?");
    const LOCKED: Sql = sql!(for_update: "SELECT a FROM t WHERE b = ?");
    const INSERT: Sql = sql!(returning_id: "INSERT INTO t (a) VALUES (?)");

    macro_rules! columns {
        ($($engine:ident)?) => {
            concat!("a, ", as_text!("b" $(, $engine)?))
        };
    }
    const COLUMNS: Sql = sql!(columns: columns, "FROM t WHERE c = ?");

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        assert_eq!(SAME.sqlite, "UPDATE t SET a = ? WHERE b = ? AND c = ?");
        assert_eq!(SAME.mysql, SAME.sqlite);
        assert_eq!(SAME.postgres, "UPDATE t SET a = $1 WHERE b = $2 AND c = $3");
    }

    #[test]
    fn numbers_grow_past_one_digit_and_text_stays_intact() {
        const MANY: Sql = sql!("VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'é')");
        assert_eq!(
            MANY.postgres,
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'é')"
        );
    }

    #[test]
    fn dialects_differ_only_where_written() {
        assert_eq!(LOCKED.sqlite, "SELECT a FROM t WHERE b = ?");
        assert_eq!(LOCKED.postgres, "SELECT a FROM t WHERE b = $1 FOR UPDATE");
        assert_eq!(LOCKED.mysql, "SELECT a FROM t WHERE b = ? FOR UPDATE");
        assert_eq!(
            INSERT.postgres,
            "INSERT INTO t (a) VALUES ($1) RETURNING id"
        );
        assert_eq!(INSERT.mysql, "INSERT INTO t (a) VALUES (?)");
        assert_eq!(COLUMNS.postgres, "SELECT a, b FROM t WHERE c = $1");
        assert_eq!(
            COLUMNS.mysql,
            "SELECT a, CAST(b AS CHAR) AS b FROM t WHERE c = ?"
        );
    }
}
