DROP TRIGGER quotes_erase_treatment ON quotes;
DROP FUNCTION treatment_records_erase();
DROP TABLE treatment_records;

DELETE FROM webhook_attempts WHERE delivery_id IN (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
    WHERE e.type IN ('quote.treated', 'quote.not_treated'));
DELETE FROM webhook_deliveries WHERE event_id IN (
    SELECT id FROM webhook_events WHERE type IN ('quote.treated', 'quote.not_treated'));
DELETE FROM webhook_events WHERE type IN ('quote.treated', 'quote.not_treated');
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_type;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_type CHECK (type IN (
    'quote.routed', 'offer.accepted', 'offer.declined', 'quote.cancelled',
    'quote.erased', 'listing.moderated'));

-- Treated and not-treated quotes go back to `accepted` (the transition trigger would refuse it).
ALTER TABLE quotes DISABLE TRIGGER quotes_status_transition;
UPDATE quotes SET status = 'accepted' WHERE status IN ('treated', 'not_treated');
ALTER TABLE quotes ENABLE TRIGGER quotes_status_transition;

CREATE OR REPLACE FUNCTION quotes_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
        (OLD.status = 'open' AND NEW.status IN ('offered', 'cancelled', 'expired')) OR
        (OLD.status = 'offered' AND NEW.status IN ('accepted', 'cancelled', 'expired'))
    ) THEN
        RAISE EXCEPTION 'illegal quote transition % -> %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'quotes_status_transition';
    END IF;
    RETURN NEW;
END $$;

ALTER TABLE quotes DROP CONSTRAINT quotes_status;
ALTER TABLE quotes ADD CONSTRAINT quotes_status CHECK (
    status IN ('open', 'offered', 'accepted', 'cancelled', 'expired'));
