CREATE OR REPLACE FUNCTION treatment_records_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE treatment_records SET details_ciphertext = NULL, updated_at = NEW.erased_at
    WHERE quote_id = NEW.id;
    RETURN NULL;
END $$;

DROP TABLE handover_links;
