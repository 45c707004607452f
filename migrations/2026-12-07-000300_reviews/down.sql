DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT d.id FROM webhook_deliveries d JOIN webhook_events e
    ON e.id = d.event_id WHERE e.type IN ('review.published', 'review.replied'));
DELETE FROM webhook_deliveries WHERE event_id IN
    (SELECT id FROM webhook_events WHERE type IN ('review.published', 'review.replied'));
DELETE FROM webhook_events WHERE type IN ('review.published', 'review.replied');
DO $$
DECLARE
    definition text;
BEGIN
    SELECT pg_get_constraintdef(oid) INTO definition
    FROM pg_constraint WHERE conname = 'webhook_events_type' AND conrelid = 'webhook_events'::regclass;
    ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_type;
    EXECUTE 'ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_type '
        || replace(definition, ', ''review.published''::text, ''review.replied''::text', '');
END $$;
DROP TABLE review_replies;
DROP TABLE review_revisions;
DROP TABLE reviews;
