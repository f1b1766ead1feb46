-- Overspend alerts (SQLite): verified email addresses, email verification codes, and the outbox
-- of alerts to deliver. IF NOT EXISTS lets a racing migrator of a fresh file re-run this.

CREATE TABLE IF NOT EXISTS email_addresses (
    account_id   INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    verified_at  TEXT,
    alerts_on    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS email_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    code        TEXT NOT NULL CHECK (length(code) = 6),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX IF NOT EXISTS email_codes_by_account ON email_codes (account_id, created_at);

-- One row per alert to deliver. A limit alert is unique per (limit, period, threshold), so a
-- period alerts each threshold at most once; email-code rows have NULLs there and never collide.
CREATE TABLE IF NOT EXISTS outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('limit', 'email_code')),
    limit_id         INTEGER REFERENCES spending_limits (id) ON DELETE CASCADE,
    period_from      TEXT,
    threshold        INTEGER CHECK (threshold IN (80, 100)),
    payload          TEXT,
    status           TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    claimed_at       TEXT,
    claimed_by       TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    UNIQUE (limit_id, period_from, threshold)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_by_account ON outbox (account_id);
