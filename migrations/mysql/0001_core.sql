-- Spendbot core schema (MySQL 8 / MariaDB 10.6+). InnoDB, utf8mb4 everywhere (emoji in notes
-- round-trip); keys stay within 191 characters. Identifiers, keys and codes compare
-- byte-wise (utf8mb4_bin) so that 'Alice' and 'alice' are different people.

CREATE TABLE accounts (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    currency    CHAR(3) NOT NULL,
    timezone    VARCHAR(64) NOT NULL,
    language    VARCHAR(35) NOT NULL,
    created_at  DATETIME(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE identities (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    platform      VARCHAR(16) COLLATE utf8mb4_bin NOT NULL,
    external_id   VARCHAR(128) COLLATE utf8mb4_bin NOT NULL,
    display_name  TEXT,
    account_id    BIGINT NOT NULL,
    unreachable   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DATETIME(6) NOT NULL,
    UNIQUE KEY identities_platform_external (platform, external_id),
    KEY identities_by_account (account_id),
    CONSTRAINT identities_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE entries (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id      BIGINT NOT NULL,
    kind            VARCHAR(8) NOT NULL,
    amount_minor    BIGINT NOT NULL,
    currency        CHAR(3) NOT NULL,
    category        VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    note            TEXT,
    occurred_on     DATE NOT NULL,
    recorded_at     DATETIME(6) NOT NULL,
    recorded_by     BIGINT NULL,
    source_message  VARCHAR(191) COLLATE utf8mb4_bin NULL,
    -- Covers the sums of summaries and limits, which then never touch the table rows.
    KEY entries_by_account_day (account_id, occurred_on, kind, currency, category, amount_minor),
    KEY entries_by_account_recent (account_id, id),
    KEY entries_by_source (account_id, source_message),
    CONSTRAINT entries_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT entries_identity_fk FOREIGN KEY (recorded_by) REFERENCES identities (id) ON DELETE SET NULL,
    CONSTRAINT entries_kind_ck CHECK (kind IN ('expense', 'income')),
    CONSTRAINT entries_amount_ck CHECK (amount_minor > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- category '' is the whole wallet, so the unique key also holds for wallet limits.
CREATE TABLE spending_limits (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_id    BIGINT NOT NULL,
    period        VARCHAR(8) NOT NULL,
    category      VARCHAR(64) COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    amount_minor  BIGINT NOT NULL,
    currency      CHAR(3) NOT NULL,
    created_at    DATETIME(6) NOT NULL,
    updated_at    DATETIME(6) NOT NULL,
    UNIQUE KEY spending_limits_key (account_id, period, category),
    CONSTRAINT spending_limits_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT spending_limits_period_ck CHECK (period IN ('daily', 'weekly', 'monthly', 'yearly')),
    CONSTRAINT spending_limits_amount_ck CHECK (amount_minor > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One row per applied platform event, written in the same transaction as its effect.
CREATE TABLE inbound_events (
    event_key   VARCHAR(191) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    account_id  BIGINT NULL,
    created_at  DATETIME(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE link_codes (
    code        VARCHAR(16) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    created_at  DATETIME(6) NOT NULL,
    expires_at  DATETIME(6) NOT NULL,
    used_at     DATETIME(6) NULL,
    used_by     BIGINT NULL,
    KEY link_codes_by_account (account_id),
    CONSTRAINT link_codes_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT link_codes_identity_fk FOREIGN KEY (used_by) REFERENCES identities (id) ON DELETE SET NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE pending_states (
    identity_id  BIGINT NOT NULL PRIMARY KEY,
    payload      TEXT NOT NULL,
    expires_at   DATETIME(6) NOT NULL,
    CONSTRAINT pending_states_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
