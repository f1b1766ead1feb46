-- Email codes are kept only as a hash of (account, code), never as typed, and die after five
-- wrong guesses. Codes still pending when this runs had no hash and are no longer accepted;
-- they expire within minutes anyway, and /email sends a new one.
ALTER TABLE email_codes ADD COLUMN code_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE email_codes ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE email_codes DROP COLUMN code;

-- A delivered or abandoned notice no longer holds its code or link.
UPDATE outbox SET payload = NULL WHERE kind <> 'limit' AND status IN ('sent', 'failed');

-- Old rows are pruned in small batches by their time (see store/prune.rs).
CREATE INDEX inbound_events_by_time ON inbound_events (created_at);
CREATE INDEX outbox_by_time ON outbox (created_at);
CREATE INDEX login_failures_by_time ON login_failures (failed_at);

-- A limit alert's chat messages and its email are delivered on their own: once the chat
-- messages went out this is set, so that retries of a failing email never repeat them and a
-- failing email never holds them back.
ALTER TABLE outbox ADD COLUMN chats_sent_at TEXT;
