-- Answers in milliseconds over years of history.
--
-- daily_totals: what an account's entries add up to per day, kind, currency and category,
-- kept by triggers in the transaction of every change of `entries` (insert, edit, delete,
-- import, move between accounts), so that summaries, "month so far" and limit checks read at
-- most a few hundred rows whatever the history. A row whose entries are all gone stays with
-- entry_count 0 and is never shown.
CREATE TABLE daily_totals (
    account_id   BIGINT NOT NULL,
    day          DATE NOT NULL,
    kind         VARCHAR(8) NOT NULL,
    currency     CHAR(3) NOT NULL,
    category     VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    total_minor  BIGINT NOT NULL,
    entry_count  BIGINT NOT NULL,
    PRIMARY KEY (account_id, day, kind, currency, category),
    CONSTRAINT daily_totals_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TRIGGER entries_totals_insert AFTER INSERT ON entries FOR EACH ROW
    INSERT INTO daily_totals (account_id, day, kind, currency, category, total_minor, entry_count)
    VALUES (NEW.account_id, NEW.occurred_on, NEW.kind, NEW.currency, NEW.category,
            NEW.amount_minor, 1)
    ON DUPLICATE KEY UPDATE total_minor = total_minor + NEW.amount_minor,
                            entry_count = entry_count + 1;

CREATE TRIGGER entries_totals_delete AFTER DELETE ON entries FOR EACH ROW
    UPDATE daily_totals
       SET total_minor = total_minor - OLD.amount_minor, entry_count = entry_count - 1
     WHERE account_id = OLD.account_id AND day = OLD.occurred_on AND kind = OLD.kind
       AND currency = OLD.currency AND category = OLD.category;

-- An edit is the old row taken away, then the new row added (two triggers, in that order).
CREATE TRIGGER entries_totals_update_old AFTER UPDATE ON entries FOR EACH ROW
    UPDATE daily_totals
       SET total_minor = total_minor - OLD.amount_minor, entry_count = entry_count - 1
     WHERE account_id = OLD.account_id AND day = OLD.occurred_on AND kind = OLD.kind
       AND currency = OLD.currency AND category = OLD.category;

CREATE TRIGGER entries_totals_update_new AFTER UPDATE ON entries FOR EACH ROW
    FOLLOWS entries_totals_update_old
    INSERT INTO daily_totals (account_id, day, kind, currency, category, total_minor, entry_count)
    VALUES (NEW.account_id, NEW.occurred_on, NEW.kind, NEW.currency, NEW.category,
            NEW.amount_minor, 1)
    ON DUPLICATE KEY UPDATE total_minor = total_minor + NEW.amount_minor,
                            entry_count = entry_count + 1;

-- The count of what was there, after the triggers exist (MySQL runs no migration in one
-- transaction, and other replicas may be writing): a change made before this statement reads
-- its rows is in the recount, which replaces whatever a trigger added for it; a change made
-- while it reads waits for the shared locks InnoDB's INSERT … SELECT takes on what it reads,
-- and is added by a trigger afterwards.
REPLACE INTO daily_totals (account_id, day, kind, currency, category, total_minor, entry_count)
SELECT account_id, occurred_on, kind, currency, category, SUM(amount_minor), COUNT(*)
FROM entries GROUP BY account_id, occurred_on, kind, currency, category;

-- `list` in its order (newest day first, then newest id) read straight from an index.
CREATE INDEX entries_by_account_day_id ON entries (account_id, occurred_on, id);
