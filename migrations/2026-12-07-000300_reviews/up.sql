-- Verified reviews (issue 20 §4): one review per treated quote, its earlier versions, and one
-- reply by the clinic that treated. The review text is published by design, so it is stored in
-- clear; what is private is the link between a review and its quote (a person): `quote_id` is
-- never served publicly, and erasing the quote deletes the review, its revisions and the reply.
-- Earlier versions are not published, so their text is encrypted (AES-256-GCM, the data key).

CREATE TABLE reviews (
    id             uuid PRIMARY KEY,
    quote_id       uuid NOT NULL CONSTRAINT reviews_quote_fkey REFERENCES quotes (id),
    clinic_id      uuid NOT NULL CONSTRAINT reviews_clinic_fkey REFERENCES clinics (id),
    rating         smallint NOT NULL CONSTRAINT reviews_rating CHECK (rating BETWEEN 1 AND 5),
    body           text NOT NULL CONSTRAINT reviews_body_length CHECK (char_length(body) BETWEEN 1 AND 4000),
    -- Only the month is kept ("verified patient, treated March 2027"): the first day of it.
    treated_month  date NOT NULL CONSTRAINT reviews_treated_month CHECK (extract(day FROM treated_month) = 1),
    -- The red flags the text raised when it was written (the wire shape of a red flag).
    red_flags      jsonb NOT NULL DEFAULT '[]',
    created_at     timestamptz NOT NULL,
    edited_at      timestamptz,
    CONSTRAINT reviews_quote_key UNIQUE (quote_id)
);
-- The public list: a clinic's reviews, newest first.
CREATE INDEX reviews_clinic_created_idx ON reviews (clinic_id, created_at DESC, id DESC);

-- Each edit keeps the version it replaces.
CREATE TABLE review_revisions (
    id               uuid PRIMARY KEY,
    review_id        uuid NOT NULL CONSTRAINT review_revisions_review_fkey REFERENCES reviews (id) ON DELETE CASCADE,
    rating           smallint NOT NULL CONSTRAINT review_revisions_rating CHECK (rating BETWEEN 1 AND 5),
    body_ciphertext  bytea NOT NULL,
    -- When this version was written, and when an edit replaced it.
    written_at       timestamptz NOT NULL,
    replaced_at      timestamptz NOT NULL
);
CREATE INDEX review_revisions_review_idx ON review_revisions (review_id, replaced_at);

-- One reply per review (the primary key), by the partner of the clinic reviewed.
CREATE TABLE review_replies (
    review_id   uuid PRIMARY KEY CONSTRAINT review_replies_review_fkey REFERENCES reviews (id) ON DELETE CASCADE,
    partner_id  uuid NOT NULL CONSTRAINT review_replies_partner_fkey REFERENCES partners (id),
    body        text NOT NULL CONSTRAINT review_replies_body_length CHECK (char_length(body) BETWEEN 1 AND 4000),
    red_flags   jsonb NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL
);

-- The outbox learns the two review events. Other migrations of the same day add their own events
-- to this constraint, so this one appends to whatever list it finds instead of restating it.
DO $$
DECLARE
    definition text;
BEGIN
    SELECT pg_get_constraintdef(oid) INTO definition
    FROM pg_constraint WHERE conname = 'webhook_events_type' AND conrelid = 'webhook_events'::regclass;
    IF definition IS NULL OR position(']' IN definition) = 0 THEN
        RAISE EXCEPTION 'webhook_events_type has an unexpected shape: %', definition;
    END IF;
    ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_type;
    EXECUTE 'ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_type '
        || regexp_replace(definition, '\]', ', ''review.published''::text, ''review.replied''::text]');
END $$;
