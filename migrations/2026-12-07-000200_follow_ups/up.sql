-- Issue 20 §3 and §5: outcome follow-up (baseline, 3, 6, 12, 24 months after treatment), the
-- patient's registry consent, the de-identified outcome registry, and webhook endpoints owned by
-- staff (coordinators), which receive `follow_up.due`.

-- One row per answered or skipped time point of a quote. The answer (scores, adverse events,
-- further procedures, work) is health data linked to a person: stored only as AES-256-GCM
-- ciphertext (nonce || ciphertext) of its JSON under the data key; erasure deletes the rows.
CREATE TABLE follow_up_responses (
    quote_id           uuid NOT NULL CONSTRAINT follow_up_responses_quote_fkey REFERENCES quotes (id),
    time_point         text NOT NULL CONSTRAINT follow_up_responses_time_point CHECK (
                           time_point IN ('baseline', 'month_3', 'month_6', 'month_12', 'month_24')),
    state              text NOT NULL CONSTRAINT follow_up_responses_state CHECK (state IN ('answered', 'skipped')),
    answer_ciphertext  bytea,
    responded_at       timestamptz NOT NULL,
    CONSTRAINT follow_up_responses_pkey PRIMARY KEY (quote_id, time_point),
    CONSTRAINT follow_up_responses_answer_shape CHECK ((state = 'answered') = (answer_ciphertext IS NOT NULL))
);

-- A follow-up announced as due (`follow_up.due`): the primary key makes the announcement
-- happen once, however many instances run the worker.
CREATE TABLE follow_up_announcements (
    quote_id      uuid NOT NULL CONSTRAINT follow_up_announcements_quote_fkey REFERENCES quotes (id),
    time_point    text NOT NULL CONSTRAINT follow_up_announcements_time_point CHECK (
                      time_point IN ('baseline', 'month_3', 'month_6', 'month_12', 'month_24')),
    announced_at  timestamptz NOT NULL,
    event_id      uuid CONSTRAINT follow_up_announcements_event_fkey REFERENCES webhook_events (id),
    CONSTRAINT follow_up_announcements_pkey PRIMARY KEY (quote_id, time_point)
);

-- The patient's separate, revocable consent to the registry: a row while it is granted.
CREATE TABLE registry_consents (
    quote_id    uuid PRIMARY KEY CONSTRAINT registry_consents_quote_fkey REFERENCES quotes (id),
    granted_at  timestamptz NOT NULL
);

-- The public registry's de-identified rows: one per consenting patient and follow-up time point
-- that has become due. No quote id, no contact data, no dates. `pseudonym` is a keyed hash
-- (HMAC-SHA256 under the data key) of the quote id, kept only so a withdrawal can remove the
-- rows; erasure sets it to NULL, after which nothing links a row to a person.
CREATE TABLE outcome_registry_entries (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pseudonym           bytea,
    clinic_id           uuid NOT NULL CONSTRAINT outcome_registry_entries_clinic_fkey REFERENCES clinics (id),
    condition_slug      text NOT NULL,
    cell_type_slug      text NOT NULL,
    country_code        char(2) NOT NULL,
    time_point          text NOT NULL CONSTRAINT outcome_registry_entries_time_point CHECK (
                            time_point IN ('month_3', 'month_6', 'month_12', 'month_24')),
    answered            boolean NOT NULL,
    back_pain_baseline  smallint CONSTRAINT outcome_registry_entries_back_pain_baseline CHECK (back_pain_baseline BETWEEN 0 AND 10),
    back_pain           smallint CONSTRAINT outcome_registry_entries_back_pain CHECK (back_pain BETWEEN 0 AND 10),
    leg_pain_baseline   smallint CONSTRAINT outcome_registry_entries_leg_pain_baseline CHECK (leg_pain_baseline BETWEEN 0 AND 10),
    leg_pain            smallint CONSTRAINT outcome_registry_entries_leg_pain CHECK (leg_pain BETWEEN 0 AND 10),
    odi_baseline        double precision CONSTRAINT outcome_registry_entries_odi_baseline CHECK (odi_baseline BETWEEN 0 AND 100),
    odi                 double precision CONSTRAINT outcome_registry_entries_odi CHECK (odi BETWEEN 0 AND 100),
    adverse_event       boolean,
    CONSTRAINT outcome_registry_entries_answered_shape CHECK (answered OR (
        back_pain IS NULL AND leg_pain IS NULL AND odi IS NULL AND adverse_event IS NULL))
);
CREATE INDEX outcome_registry_entries_pseudonym_idx ON outcome_registry_entries (pseudonym) WHERE pseudonym IS NOT NULL;

-- Webhook endpoints, events and deliveries with no partner belong to staff (the coordinators):
-- events about no partner's business (`follow_up.due`) fan out to them.
ALTER TABLE webhook_endpoints ALTER COLUMN partner_id DROP NOT NULL;
ALTER TABLE webhook_events ALTER COLUMN partner_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ALTER COLUMN partner_id DROP NOT NULL;
CREATE INDEX webhook_endpoints_staff_idx ON webhook_endpoints (created_at) WHERE partner_id IS NULL AND deleted_at IS NULL;

-- Merge note: every branch that adds an event type re-creates this list; keep the union.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_type;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_type CHECK (type IN (
    'quote.routed', 'offer.accepted', 'offer.declined', 'quote.cancelled', 'quote.erased',
    'listing.moderated', 'quote.treated', 'quote.not_treated', 'follow_up.due'));
