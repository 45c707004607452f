-- Issue 21 §1-2: NCT identifiers cited by listings checked against ClinicalTrials.gov in the
-- background, and a local mirror of registry studies for the trial finder.

-- One row per NCT id to look up. NULL next_attempt_at = due at once (writers enqueue without a
-- clock); a worker leases a row by moving next_attempt_at ahead, so two instances never fetch one
-- id at the same time; after a fetch it says when to look again (retry or periodic recheck).
CREATE TABLE trial_registry_lookups (
    nct_id          text PRIMARY KEY CONSTRAINT trial_registry_lookups_nct_id CHECK (nct_id ~ '^NCT[0-9]{8}$'),
    next_attempt_at timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    last_error      text,
    enqueued_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trial_registry_lookups_due_idx ON trial_registry_lookups (next_attempt_at NULLS FIRST);

-- What the registry said about one NCT id when StemCare last fetched it.
CREATE TABLE trial_registry_snapshots (
    nct_id             text PRIMARY KEY CONSTRAINT trial_registry_snapshots_nct_id CHECK (nct_id ~ '^NCT[0-9]{8}$'),
    record             text NOT NULL CONSTRAINT trial_registry_snapshots_record CHECK (record IN ('found', 'not_found')),
    title              text,
    overall_status     text,
    phases             text[] NOT NULL DEFAULT '{}',
    lead_sponsor       text,
    conditions         text[] NOT NULL DEFAULT '{}',
    interventions      text[] NOT NULL DEFAULT '{}',
    location_countries text[] NOT NULL DEFAULT '{}',
    enrollment         integer,
    results_posted     boolean,
    completion_date    text,
    last_update_date   date,
    fetched_at         timestamptz NOT NULL
);

-- Which listing text cites which NCT id: the clinic itself or one of its packages (subject_id).
CREATE TABLE trial_registry_citations (
    subject_id uuid NOT NULL,
    clinic_id  uuid NOT NULL CONSTRAINT trial_registry_citations_clinic_fkey REFERENCES clinics (id) ON DELETE CASCADE,
    nct_id     text NOT NULL CONSTRAINT trial_registry_citations_nct_id CHECK (nct_id ~ '^NCT[0-9]{8}$'),
    CONSTRAINT trial_registry_citations_pkey PRIMARY KEY (subject_id, nct_id)
);
CREATE INDEX trial_registry_citations_nct_idx ON trial_registry_citations (nct_id);
CREATE INDEX trial_registry_citations_clinic_idx ON trial_registry_citations (clinic_id);

-- Clinics whose registry flags must be re-evaluated by a worker (it has the clock the
-- "completed over a year ago" rule needs).
CREATE TABLE trial_registry_stale_clinics (
    clinic_id uuid PRIMARY KEY CONSTRAINT trial_registry_stale_clinics_clinic_fkey REFERENCES clinics (id) ON DELETE CASCADE
);

-- Registry flags are stored beside the rule engine's detections under their own subject type, so
-- the listing refresh (which replaces a clinic's or package's engine detections) leaves them be,
-- while every reader of a subject's detections (red_flags, has_critical_flag) sees them.
ALTER TABLE red_flag_detections DROP CONSTRAINT red_flag_detections_subject_type;
ALTER TABLE red_flag_detections ADD CONSTRAINT red_flag_detections_subject_type
    CHECK (subject_type IN ('clinic', 'treatment_package', 'trial_registry'));

-- The trial finder's mirror: registry studies with stem cell / MSC interventions for the
-- catalogue's conditions, plus seeded trials named in StemCare's sources.
CREATE TABLE trials (
    id                 uuid NOT NULL DEFAULT gen_random_uuid() CONSTRAINT trials_id_key UNIQUE,
    nct_id             text PRIMARY KEY CONSTRAINT trials_nct_id CHECK (nct_id ~ '^NCT[0-9]{8}$'),
    title              text,
    overall_status     text,
    phases             text[] NOT NULL DEFAULT '{}',
    lead_sponsor       text,
    conditions         text[] NOT NULL DEFAULT '{}',
    interventions      text[] NOT NULL DEFAULT '{}',
    location_countries text[] NOT NULL DEFAULT '{}',
    country_codes      text[] NOT NULL DEFAULT '{}',
    condition_slugs    text[] NOT NULL DEFAULT '{}',
    enrollment         integer,
    results_posted     boolean,
    completion_date    text,
    last_update_date   date,
    origin             text NOT NULL CONSTRAINT trials_origin CHECK (origin IN ('registry', 'seed')),
    source             jsonb NOT NULL,
    fetched_at         timestamptz NOT NULL
);
CREATE INDEX trials_condition_slugs_idx ON trials USING gin (condition_slugs);
CREATE INDEX trials_country_codes_idx ON trials USING gin (country_codes);
