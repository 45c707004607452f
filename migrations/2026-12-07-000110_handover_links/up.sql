-- Issue 20 §2: a time-limited, read-only link the patient gives their home doctor. Only the
-- token's hash is stored; the link reaches the handover pack of one quote and nothing else.
CREATE TABLE handover_links (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    quote_id    uuid NOT NULL CONSTRAINT handover_links_quote_fkey REFERENCES quotes (id),
    token_hash  bytea NOT NULL CONSTRAINT handover_links_token_key UNIQUE,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX handover_links_quote_idx ON handover_links (quote_id);

-- Erasure also deletes the quote's handover links (the treatment details as before).
CREATE OR REPLACE FUNCTION treatment_records_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE treatment_records SET details_ciphertext = NULL, updated_at = NEW.erased_at
    WHERE quote_id = NEW.id;
    DELETE FROM handover_links WHERE quote_id = NEW.id;
    RETURN NULL;
END $$;
