DROP TABLE outcome_registry_entries;
DROP TABLE registry_consents;
DROP TABLE follow_up_announcements;
DROP TABLE follow_up_responses;
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_type;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_type CHECK (type IN (
    'quote.routed', 'offer.accepted', 'offer.declined', 'quote.cancelled', 'quote.erased',
    'listing.moderated', 'quote.treated', 'quote.not_treated'));
DROP INDEX webhook_endpoints_staff_idx;
DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE partner_id IS NULL);
DELETE FROM webhook_deliveries WHERE partner_id IS NULL;
DELETE FROM webhook_events WHERE partner_id IS NULL;
DELETE FROM webhook_endpoints WHERE partner_id IS NULL;
ALTER TABLE webhook_deliveries ALTER COLUMN partner_id SET NOT NULL;
ALTER TABLE webhook_events ALTER COLUMN partner_id SET NOT NULL;
ALTER TABLE webhook_endpoints ALTER COLUMN partner_id SET NOT NULL;
