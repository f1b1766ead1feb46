-- The web side (SQLite): sign-in credentials, sessions, emailed and one-time tokens, failed
-- sign-ins, and a new outbox kind for emailed links.

CREATE TABLE IF NOT EXISTS web_logins (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    email          TEXT NOT NULL UNIQUE,
    -- An argon2id PHC string; NULL for an account signed in by a chat link that set none yet.
    password_hash  TEXT,
    created_at     TEXT NOT NULL
);

-- A session is found by the SHA-256 of its cookie value; the cookie itself is never stored.
CREATE TABLE IF NOT EXISTS web_sessions (
    id_hash       TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS web_sessions_by_account ON web_sessions (account_id);

-- Tokens of emailed links and of the chat's sign-in link, by the SHA-256 of the token.
CREATE TABLE IF NOT EXISTS web_tokens (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'chat_login')),
    email       TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS web_tokens_by_account ON web_tokens (account_id);

CREATE TABLE IF NOT EXISTS login_failures (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    email      TEXT NOT NULL,
    failed_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_by_email ON login_failures (email, failed_at);

-- The outbox learns 'email_link' (verification and password-reset links). SQLite cannot
-- change a CHECK in place: the table is rebuilt with the same columns and indexes.
DROP TABLE IF EXISTS outbox_rebuilt;
CREATE TABLE outbox_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('limit', 'email_code', 'email_link')),
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
INSERT INTO outbox_rebuilt SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS outbox_by_account ON outbox (account_id);
