-- Spendbot core schema (SQLite). Amounts are integer minor units plus an ISO 4217 code;
-- days are 'YYYY-MM-DD' text, instants are RFC 3339 text in UTC.
-- IF NOT EXISTS lets a second, racing migrator of a fresh file re-run this harmlessly.

CREATE TABLE IF NOT EXISTS accounts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    currency    TEXT NOT NULL CHECK (length(currency) = 3),
    timezone    TEXT NOT NULL,
    language    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS identities (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    platform      TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    display_name  TEXT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    unreachable   INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    UNIQUE (platform, external_id)
);
CREATE INDEX IF NOT EXISTS identities_by_account ON identities (account_id);

CREATE TABLE IF NOT EXISTS entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('expense', 'income')),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    currency        TEXT NOT NULL CHECK (length(currency) = 3),
    category        TEXT NOT NULL,
    note            TEXT,
    occurred_on     TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    recorded_by     INTEGER REFERENCES identities (id) ON DELETE SET NULL,
    source_message  TEXT
);
-- Covers the sums of summaries and limits, which then never touch the table rows.
CREATE INDEX IF NOT EXISTS entries_by_account_day
    ON entries (account_id, occurred_on, kind, currency, category, amount_minor);
CREATE INDEX IF NOT EXISTS entries_by_account_recent ON entries (account_id, id);
CREATE INDEX IF NOT EXISTS entries_by_source ON entries (account_id, source_message)
    WHERE source_message IS NOT NULL;

-- category '' is the whole wallet, so the unique key also holds for wallet limits.
CREATE TABLE IF NOT EXISTS spending_limits (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    period        TEXT NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'yearly')),
    category      TEXT NOT NULL DEFAULT '',
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    currency      TEXT NOT NULL CHECK (length(currency) = 3),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (account_id, period, category)
);

-- One row per applied platform event, written in the same transaction as its effect.
CREATE TABLE IF NOT EXISTS inbound_events (
    event_key   TEXT PRIMARY KEY,
    account_id  INTEGER,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS link_codes (
    code        TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER REFERENCES identities (id) ON DELETE SET NULL
);
CREATE INDEX IF NOT EXISTS link_codes_by_account ON link_codes (account_id);

CREATE TABLE IF NOT EXISTS pending_states (
    identity_id  INTEGER PRIMARY KEY REFERENCES identities (id) ON DELETE CASCADE,
    payload      TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
