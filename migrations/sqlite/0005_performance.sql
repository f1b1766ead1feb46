-- Answers in milliseconds over years of history.
--
-- daily_totals: what an account's entries add up to per day, kind, currency and category,
-- kept by triggers in the transaction of every change of `entries` (insert, edit, delete,
-- import, move between accounts), so that summaries, "month so far" and limit checks read at
-- most a few hundred rows whatever the history. A row whose entries are all gone stays with
-- entry_count 0 and is never shown.
CREATE TABLE IF NOT EXISTS daily_totals (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    category     TEXT NOT NULL,
    total_minor  INTEGER NOT NULL,
    entry_count  INTEGER NOT NULL,
    PRIMARY KEY (account_id, day, kind, currency, category)
) WITHOUT ROWID;

INSERT OR IGNORE INTO daily_totals
    (account_id, day, kind, currency, category, total_minor, entry_count)
SELECT account_id, occurred_on, kind, currency, category, SUM(amount_minor), COUNT(*)
FROM entries GROUP BY account_id, occurred_on, kind, currency, category;

CREATE TRIGGER IF NOT EXISTS entries_totals_insert AFTER INSERT ON entries
BEGIN
    INSERT INTO daily_totals
        (account_id, day, kind, currency, category, total_minor, entry_count)
    SELECT NEW.account_id, NEW.occurred_on, NEW.kind, NEW.currency, NEW.category, 0, 0
    WHERE NOT EXISTS (
        SELECT 1 FROM daily_totals
         WHERE account_id = NEW.account_id AND day = NEW.occurred_on AND kind = NEW.kind
           AND currency = NEW.currency AND category = NEW.category);
    UPDATE daily_totals
       SET total_minor = total_minor + NEW.amount_minor, entry_count = entry_count + 1
     WHERE account_id = NEW.account_id AND day = NEW.occurred_on AND kind = NEW.kind
       AND currency = NEW.currency AND category = NEW.category;
END;

CREATE TRIGGER IF NOT EXISTS entries_totals_delete AFTER DELETE ON entries
BEGIN
    UPDATE daily_totals
       SET total_minor = total_minor - OLD.amount_minor, entry_count = entry_count - 1
     WHERE account_id = OLD.account_id AND day = OLD.occurred_on AND kind = OLD.kind
       AND currency = OLD.currency AND category = OLD.category;
END;

-- Only a change of what is summed: an entry's note or who recorded it changes no total.
-- (The row is added with NOT EXISTS, not OR IGNORE: a foreign key's SET NULL runs this with
-- its own conflict handling, which would override an OR IGNORE here.)
CREATE TRIGGER IF NOT EXISTS entries_totals_update
    AFTER UPDATE OF account_id, occurred_on, kind, currency, category, amount_minor ON entries
BEGIN
    UPDATE daily_totals
       SET total_minor = total_minor - OLD.amount_minor, entry_count = entry_count - 1
     WHERE account_id = OLD.account_id AND day = OLD.occurred_on AND kind = OLD.kind
       AND currency = OLD.currency AND category = OLD.category;
    INSERT INTO daily_totals
        (account_id, day, kind, currency, category, total_minor, entry_count)
    SELECT NEW.account_id, NEW.occurred_on, NEW.kind, NEW.currency, NEW.category, 0, 0
    WHERE NOT EXISTS (
        SELECT 1 FROM daily_totals
         WHERE account_id = NEW.account_id AND day = NEW.occurred_on AND kind = NEW.kind
           AND currency = NEW.currency AND category = NEW.category);
    UPDATE daily_totals
       SET total_minor = total_minor + NEW.amount_minor, entry_count = entry_count + 1
     WHERE account_id = NEW.account_id AND day = NEW.occurred_on AND kind = NEW.kind
       AND currency = NEW.currency AND category = NEW.category;
END;

-- `list` in its order (newest day first, then newest id) read straight from an index.
CREATE INDEX IF NOT EXISTS entries_by_account_day_id ON entries (account_id, occurred_on, id);
