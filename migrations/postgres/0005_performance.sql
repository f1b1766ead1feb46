-- Answers in milliseconds over years of history.
--
-- daily_totals: what an account's entries add up to per day, kind, currency and category,
-- kept by a trigger in the transaction of every change of `entries` (insert, edit, delete,
-- import, move between accounts), so that summaries, "month so far" and limit checks read at
-- most a few hundred rows whatever the history. A row whose entries are all gone stays with
-- entry_count 0 and is never shown.
CREATE TABLE daily_totals (
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day          DATE NOT NULL,
    kind         VARCHAR(8) NOT NULL,
    currency     CHAR(3) NOT NULL,
    category     VARCHAR(64) NOT NULL,
    total_minor  BIGINT NOT NULL,
    entry_count  BIGINT NOT NULL,
    PRIMARY KEY (account_id, day, kind, currency, category)
);

-- Writers of other replicas (a rolling deploy) wait while the totals are counted and the
-- trigger is made, so that no change falls between the two (the migration is one transaction).
LOCK TABLE entries IN SHARE ROW EXCLUSIVE MODE;

INSERT INTO daily_totals (account_id, day, kind, currency, category, total_minor, entry_count)
SELECT account_id, occurred_on, kind, currency, category, SUM(amount_minor), COUNT(*)
FROM entries GROUP BY account_id, occurred_on, kind, currency, category;

CREATE FUNCTION daily_totals_follow_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE daily_totals
           SET total_minor = total_minor - OLD.amount_minor, entry_count = entry_count - 1
         WHERE account_id = OLD.account_id AND day = OLD.occurred_on AND kind = OLD.kind
           AND currency = OLD.currency AND category = OLD.category;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO daily_totals (account_id, day, kind, currency, category, total_minor,
                                  entry_count)
        VALUES (NEW.account_id, NEW.occurred_on, NEW.kind, NEW.currency, NEW.category,
                NEW.amount_minor, 1)
        ON CONFLICT (account_id, day, kind, currency, category) DO UPDATE
           SET total_minor = daily_totals.total_minor + EXCLUDED.total_minor,
               entry_count = daily_totals.entry_count + 1;
    END IF;
    RETURN NULL;
END;
$$;

-- Only a change of what is summed: an entry's note or who recorded it changes no total.
CREATE TRIGGER entries_keep_daily_totals
    AFTER INSERT OR DELETE
       OR UPDATE OF account_id, occurred_on, kind, currency, category, amount_minor
    ON entries
    FOR EACH ROW EXECUTE FUNCTION daily_totals_follow_entries();

-- `list` in its order (newest day first, then newest id) read straight from an index.
CREATE INDEX entries_by_account_day_id ON entries (account_id, occurred_on, id);
