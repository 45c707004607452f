-- Issue 21 §3: named practitioners of clinics, and the verification records coordinators keep of
-- what they checked against a primary source. A claim counts (in ranking, the scorecard and
-- NO_NAMED_DOCTOR) only while a verification says so; everything else is "claimed by the clinic".

-- 1. Practitioners, managed by the partner that owns the clinic (ETag = version, soft delete).
-- `status`: `published`, or `pending_review` while a red-flag rule fires on their free text.
CREATE TABLE practitioners (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    clinic_id        uuid NOT NULL CONSTRAINT practitioners_clinic_fk REFERENCES clinics (id) ON DELETE CASCADE,
    name             text NOT NULL,
    role             text NOT NULL,
    specialty        text,
    licence_number   text,
    licence_issuer   text,
    licence_country  text,
    languages        text[] NOT NULL DEFAULT '{}',
    status           text NOT NULL,
    red_flags        jsonb NOT NULL DEFAULT '[]',
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz,
    CONSTRAINT practitioners_role CHECK (role IN ('physician', 'surgeon', 'anaesthetist', 'nurse', 'laboratory_scientist', 'other')),
    CONSTRAINT practitioners_status CHECK (status IN ('published', 'pending_review')),
    CONSTRAINT practitioners_licence_country CHECK (licence_country IS NULL OR licence_country ~ '^[A-Z]{2}$')
);
CREATE INDEX practitioners_clinic_idx ON practitioners (clinic_id, id) WHERE deleted_at IS NULL;

-- 2. Verification records: append-only (a later record on the same subject supersedes an earlier
-- one; none is ever edited). `subject_id` is the practitioner (licence) or the clinic
-- (accreditation, trial claim); `subject_key` names the accreditation body (lower case) or the
-- NCT id, '' for a licence. `clinic_id` is the clinic the subject belongs to, for refreshes.
CREATE TABLE verifications (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sequence        bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT verifications_sequence_key UNIQUE,
    subject_kind    text NOT NULL,
    subject_id      uuid NOT NULL,
    subject_key     text NOT NULL DEFAULT '',
    clinic_id       uuid NOT NULL CONSTRAINT verifications_clinic_fk REFERENCES clinics (id) ON DELETE CASCADE,
    source_url      text NOT NULL,
    checked_at      timestamptz NOT NULL,
    checked_by_key  uuid NOT NULL,
    checked_by_role text NOT NULL,
    result          text NOT NULL,
    valid_until     date,
    note            text,
    recorded_at     timestamptz NOT NULL,
    CONSTRAINT verifications_subject_kind CHECK (subject_kind IN ('practitioner_licence', 'clinic_accreditation', 'trial_claim')),
    CONSTRAINT verifications_result CHECK (result IN ('verified', 'not_verified', 'contradicted')),
    CONSTRAINT verifications_verified_until CHECK (result <> 'verified' OR valid_until IS NOT NULL),
    CONSTRAINT verifications_source_https CHECK (source_url LIKE 'https://%'),
    CONSTRAINT verifications_checked_by_role CHECK (checked_by_role IN ('admin', 'coordinator'))
);
CREATE INDEX verifications_subject_idx ON verifications (subject_kind, subject_id, subject_key, sequence DESC);
CREATE INDEX verifications_clinic_idx ON verifications (clinic_id, sequence DESC);

CREATE FUNCTION verifications_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'verifications are append-only: record a new verification instead'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER verifications_no_update BEFORE UPDATE ON verifications
    FOR EACH ROW EXECUTE FUNCTION verifications_append_only();

-- 3. Which verified records the expiry worker has already applied (their clinic's flags and score
-- recomputed after `valid_until` passed), so each expiry is applied once.
CREATE TABLE verification_expiries (
    verification_id uuid PRIMARY KEY CONSTRAINT verification_expiries_verification_fk REFERENCES verifications (id) ON DELETE CASCADE,
    applied_at      timestamptz NOT NULL
);
CREATE INDEX verifications_verified_until_idx ON verifications (valid_until) WHERE result = 'verified';
