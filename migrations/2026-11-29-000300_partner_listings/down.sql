ALTER TABLE audit_log DROP COLUMN subject;
DELETE FROM audit_log WHERE quote_id IS NULL;
ALTER TABLE audit_log ALTER COLUMN quote_id SET NOT NULL;
ALTER TABLE treatment_packages DROP CONSTRAINT treatment_packages_protocol_https;
ALTER TABLE treatment_packages DROP COLUMN deleted_at, DROP COLUMN protocol_url, DROP COLUMN version;
DROP INDEX clinics_partner_external_id_key;
ALTER TABLE clinics DROP CONSTRAINT clinics_website_https;
ALTER TABLE clinics DROP CONSTRAINT clinics_status;
ALTER TABLE clinics ADD CONSTRAINT clinics_status CHECK (status IN ('published', 'pending_review', 'unlisted'));
ALTER TABLE clinics DROP COLUMN deleted_at, DROP COLUMN moderation_note, DROP COLUMN input_hash,
    DROP COLUMN website, DROP COLUMN languages, DROP COLUMN external_id, DROP COLUMN version;
