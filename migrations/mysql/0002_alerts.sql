-- Overspend alerts (MySQL 8 / MariaDB 10.6+): verified email addresses, email verification
-- codes, and the outbox of alerts to deliver.

CREATE TABLE email_addresses (
    account_id   BIGINT NOT NULL PRIMARY KEY,
    email        VARCHAR(254) NOT NULL,
    verified_at  DATETIME(6) NULL,
    alerts_on    BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT email_addresses_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE email_codes (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    email       VARCHAR(254) NOT NULL,
    code        CHAR(6) NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    expires_at  DATETIME(6) NOT NULL,
    used_at     DATETIME(6) NULL,
    KEY email_codes_by_account (account_id, created_at),
    CONSTRAINT email_codes_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One row per alert to deliver. A limit alert is unique per (limit, period, threshold), so a
-- period alerts each threshold at most once; email-code rows have NULLs there and never collide.
CREATE TABLE outbox (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id       BIGINT NOT NULL,
    kind             VARCHAR(16) NOT NULL,
    limit_id         BIGINT NULL,
    period_from      DATE NULL,
    threshold        SMALLINT NULL,
    payload          TEXT NULL,
    status           VARCHAR(8) NOT NULL DEFAULT 'pending',
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  DATETIME(6) NOT NULL,
    claimed_at       DATETIME(6) NULL,
    claimed_by       VARCHAR(128) NULL,
    last_error       TEXT NULL,
    created_at       DATETIME(6) NOT NULL,
    sent_at          DATETIME(6) NULL,
    UNIQUE KEY outbox_once (limit_id, period_from, threshold),
    KEY outbox_due (status, next_attempt_at),
    KEY outbox_by_account (account_id),
    CONSTRAINT outbox_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT outbox_limit_fk FOREIGN KEY (limit_id) REFERENCES spending_limits (id) ON DELETE CASCADE,
    CONSTRAINT outbox_kind_ck CHECK (kind IN ('limit', 'email_code')),
    CONSTRAINT outbox_threshold_ck CHECK (threshold IN (80, 100)),
    CONSTRAINT outbox_status_ck CHECK (status IN ('pending', 'sending', 'sent', 'failed'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
