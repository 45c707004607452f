-- Partner-managed listings: optimistic concurrency (version), the partner's own ids,
-- moderation, soft deletion and a fingerprint of the last accepted input (for "unchanged").

ALTER TABLE clinics
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN external_id text,
    ADD COLUMN languages text[] NOT NULL DEFAULT '{}',
    ADD COLUMN website text,
    ADD COLUMN input_hash bytea,
    ADD COLUMN moderation_note text,
    ADD COLUMN deleted_at timestamptz;
ALTER TABLE clinics DROP CONSTRAINT clinics_status;
ALTER TABLE clinics ADD CONSTRAINT clinics_status
    CHECK (status IN ('published', 'pending_review', 'rejected', 'unlisted'));
ALTER TABLE clinics ADD CONSTRAINT clinics_website_https CHECK (website IS NULL OR website LIKE 'https://%');
CREATE UNIQUE INDEX clinics_partner_external_id_key ON clinics (partner_id, external_id) WHERE external_id IS NOT NULL;

ALTER TABLE treatment_packages
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN protocol_url text,
    ADD COLUMN deleted_at timestamptz;
ALTER TABLE treatment_packages ADD CONSTRAINT treatment_packages_protocol_https
    CHECK (protocol_url IS NULL OR protocol_url LIKE 'https://%');

-- The audit log also records admin writes, which concern no quote.
ALTER TABLE audit_log ALTER COLUMN quote_id DROP NOT NULL;
ALTER TABLE audit_log ADD COLUMN subject text;
