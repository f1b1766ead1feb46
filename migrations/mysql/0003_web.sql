-- The web side (MySQL 8 / MariaDB 10.6+): sign-in credentials, sessions, emailed and one-time
-- tokens, failed sign-ins, and a new outbox kind for emailed links.

CREATE TABLE web_logins (
    account_id     BIGINT NOT NULL PRIMARY KEY,
    -- Binary collation: the unicode one would find `anna@muller.de` for `anna@müller.de`.
    email          VARCHAR(254) COLLATE utf8mb4_bin NOT NULL,
    -- An argon2id PHC string; NULL for an account signed in by a chat link that set none yet.
    password_hash  VARCHAR(255) NULL,
    created_at     DATETIME(6) NOT NULL,
    UNIQUE KEY web_logins_email (email),
    CONSTRAINT web_logins_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- A session is found by the SHA-256 of its cookie value; the cookie itself is never stored.
CREATE TABLE web_sessions (
    id_hash       CHAR(64) NOT NULL PRIMARY KEY,
    account_id    BIGINT NOT NULL,
    csrf_token    VARCHAR(64) NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    last_seen_at  DATETIME(6) NOT NULL,
    KEY web_sessions_by_account (account_id),
    CONSTRAINT web_sessions_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Tokens of emailed links and of the chat's sign-in link, by the SHA-256 of the token.
CREATE TABLE web_tokens (
    token_hash  CHAR(64) NOT NULL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    purpose     VARCHAR(16) NOT NULL,
    email       VARCHAR(254) COLLATE utf8mb4_bin NULL,
    created_at  DATETIME(6) NOT NULL,
    expires_at  DATETIME(6) NOT NULL,
    used_at     DATETIME(6) NULL,
    KEY web_tokens_by_account (account_id),
    CONSTRAINT web_tokens_purpose_ck CHECK (purpose IN ('verify_email', 'reset_password', 'chat_login')),
    CONSTRAINT web_tokens_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE login_failures (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email      VARCHAR(254) COLLATE utf8mb4_bin NOT NULL,
    failed_at  DATETIME(6) NOT NULL,
    KEY login_failures_by_email (email, failed_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The outbox learns 'email_link' (verification and password-reset links).
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_ck;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_ck CHECK (kind IN ('limit', 'email_code', 'email_link'));
