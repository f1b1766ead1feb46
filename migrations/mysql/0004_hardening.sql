-- Email codes are kept only as a hash of (account, code), never as typed, and die after five
-- wrong guesses. Codes still pending when this runs had no hash and are no longer accepted;
-- they expire within minutes anyway, and /email sends a new one.
ALTER TABLE email_codes
    ADD COLUMN code_hash CHAR(64) NOT NULL DEFAULT '',
    ADD COLUMN failed_attempts INT NOT NULL DEFAULT 0,
    DROP COLUMN code;

-- A delivered or abandoned notice no longer holds its code or link.
UPDATE outbox SET payload = NULL WHERE kind <> 'limit' AND status IN ('sent', 'failed');
