-- Issue 20 §1: what happened after acceptance. A quote ends `treated` or `not_treated`, and the
-- offering clinic (or staff) records what was delivered.

ALTER TABLE quotes DROP CONSTRAINT quotes_status;
ALTER TABLE quotes ADD CONSTRAINT quotes_status CHECK (
    status IN ('open', 'offered', 'accepted', 'cancelled', 'expired', 'treated', 'not_treated'));

CREATE OR REPLACE FUNCTION quotes_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status = 'open' AND NEW.status IN ('offered', 'cancelled', 'expired')) OR
        (OLD.status = 'offered' AND NEW.status IN ('accepted', 'cancelled', 'expired')) OR
        (OLD.status = 'accepted' AND NEW.status IN ('treated', 'not_treated'))
    ) THEN
        RAISE EXCEPTION 'illegal quote transition % -> %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'quotes_status_transition';
    END IF;
    RETURN NEW;
END $$;

-- The treating clinic's partner hears of the record (ids and states only).
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_type;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_type CHECK (type IN (
    'quote.routed', 'offer.accepted', 'offer.declined', 'quote.cancelled',
    'quote.erased', 'listing.moderated', 'quote.treated', 'quote.not_treated'));

-- One record per quote. `treated_on`, `cell_type_slug` and `cell_source` stay in clear: follow-up
-- scheduling and the de-identified registry group by them. Everything else clinical (cell count,
-- administration method and sites, lot, certificate of analysis, medications, adverse events,
-- the free text of a not-treated reason) is health data linked to a patient: it is only stored
-- encrypted with the data key, and erasure sets it to NULL.
CREATE TABLE treatment_records (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    quote_id            uuid NOT NULL
        CONSTRAINT treatment_records_quote_key UNIQUE
        CONSTRAINT treatment_records_quote_fkey REFERENCES quotes (id),
    offer_id            uuid NOT NULL CONSTRAINT treatment_records_offer_fkey REFERENCES offers (id),
    clinic_id           uuid NOT NULL CONSTRAINT treatment_records_clinic_fkey REFERENCES clinics (id),
    outcome             text NOT NULL
        CONSTRAINT treatment_records_outcome CHECK (outcome IN ('treated', 'not_treated')),
    treated_on          date,
    cell_type_slug      text CONSTRAINT treatment_records_cell_type_fkey REFERENCES cell_types (slug),
    cell_source         text
        CONSTRAINT treatment_records_cell_source CHECK (cell_source IN ('autologous', 'allogeneic')),
    details_ciphertext  bytea,
    not_treated_reason  text CONSTRAINT treatment_records_not_treated_reason CHECK (not_treated_reason IN (
        'patient_did_not_travel', 'declined_after_examination', 'patient_withdrew', 'other')),
    recorded_by         text NOT NULL,
    recorded_by_key_id  uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT treatment_records_treated_shape CHECK (
        (outcome = 'treated' AND treated_on IS NOT NULL AND not_treated_reason IS NULL) OR
        (outcome = 'not_treated' AND treated_on IS NULL AND cell_type_slug IS NULL
            AND cell_source IS NULL AND not_treated_reason IS NOT NULL))
);

-- Follow-up scheduling and the registry read records by clinic and date.
CREATE INDEX treatment_records_clinic_idx ON treatment_records (clinic_id, treated_on);

-- Erasure of a quote (its `erased_at` set) deletes the record's clinical details whatever code
-- path erases it; the de-identified facts above stay for statistics.
CREATE FUNCTION treatment_records_erase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE treatment_records SET details_ciphertext = NULL, updated_at = NEW.erased_at
    WHERE quote_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER quotes_erase_treatment AFTER UPDATE OF erased_at ON quotes
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION treatment_records_erase();
