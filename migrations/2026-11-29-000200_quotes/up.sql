-- Quotes: partners and their API keys, patients' quote requests (personal data encrypted),
-- routing with consent, offers, idempotency records and an append-only audit log.

CREATE TABLE partners (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CONSTRAINT partners_name_key UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE clinics ADD COLUMN partner_id uuid CONSTRAINT clinics_partner_fkey REFERENCES partners (id);
CREATE INDEX clinics_partner_idx ON clinics (partner_id);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The visible start of the key (e.g. `sk_live_a1b2c3d4`), unique, used to find the row.
    prefix       text NOT NULL CONSTRAINT api_keys_prefix_key UNIQUE,
    -- SHA-256 of the whole key; the key itself is never stored.
    secret_hash  bytea NOT NULL,
    role         text NOT NULL CONSTRAINT api_keys_role CHECK (role IN ('admin', 'coordinator', 'partner')),
    partner_id   uuid CONSTRAINT api_keys_partner_fkey REFERENCES partners (id),
    name         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    CONSTRAINT api_keys_partner_role CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

CREATE TABLE quotes (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status                text NOT NULL DEFAULT 'open'
        CONSTRAINT quotes_status CHECK (status IN ('open', 'offered', 'accepted', 'cancelled', 'expired')),
    access_token_hash     bytea NOT NULL CONSTRAINT quotes_access_token_key UNIQUE,
    condition_slug        text NOT NULL CONSTRAINT quotes_condition_fkey REFERENCES conditions (slug),
    has_mri               boolean NOT NULL,
    preferred_countries   text[] NOT NULL DEFAULT '{}',
    preferred_cell_types  text[] NOT NULL DEFAULT '{}',
    budget_amount         numeric(14,2),
    budget_currency       char(3),
    travel_from           date,
    travel_to             date,
    patient_country       char(2),
    preferred_language    text,
    -- AES-256-GCM ciphertexts (nonce || ciphertext) of the contact (JSON) and the free-text notes.
    contact_ciphertext    bytea,
    notes_ciphertext      bytea,
    -- Keyed hash of the normalised email, for per-email limits without storing the address.
    email_hash            bytea,
    consent_at            timestamptz NOT NULL,
    share_mode            text NOT NULL CONSTRAINT quotes_share_mode CHECK (share_mode IN ('none', 'clinics', 'top_matches')),
    estimates             jsonb NOT NULL DEFAULT '[]',
    accepted_offer_id     uuid,
    expires_at            timestamptz NOT NULL,
    erased_at             timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quotes_budget CHECK ((budget_amount IS NULL) = (budget_currency IS NULL)),
    CONSTRAINT quotes_travel CHECK (travel_to IS NULL OR travel_from IS NULL OR travel_to >= travel_from),
    CONSTRAINT quotes_erased CHECK (erased_at IS NULL OR (contact_ciphertext IS NULL AND notes_ciphertext IS NULL AND email_hash IS NULL))
);
CREATE INDEX quotes_created_idx ON quotes (created_at DESC, id DESC);
CREATE INDEX quotes_email_idx ON quotes (email_hash, created_at);
CREATE INDEX quotes_expiry_idx ON quotes (expires_at) WHERE status IN ('open', 'offered');

-- Which clinics may see a quote: only those the patient agreed to share it with.
CREATE TABLE quote_routes (
    quote_id   uuid NOT NULL CONSTRAINT quote_routes_quote_fkey REFERENCES quotes (id),
    clinic_id  uuid NOT NULL CONSTRAINT quote_routes_clinic_fkey REFERENCES clinics (id),
    routed_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT quote_routes_pkey PRIMARY KEY (quote_id, clinic_id)
);
CREATE INDEX quote_routes_clinic_idx ON quote_routes (clinic_id);

CREATE TABLE offers (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    quote_id                 uuid NOT NULL CONSTRAINT offers_quote_fkey REFERENCES quotes (id),
    clinic_id                uuid NOT NULL CONSTRAINT offers_clinic_fkey REFERENCES clinics (id),
    author_key_id            uuid NOT NULL CONSTRAINT offers_author_fkey REFERENCES api_keys (id),
    package_id               uuid CONSTRAINT offers_package_fkey REFERENCES treatment_packages (id),
    line_items               jsonb NOT NULL,
    total                    numeric(14,2) NOT NULL CONSTRAINT offers_total CHECK (total >= 0),
    currency                 char(3) NOT NULL,
    injections               integer CONSTRAINT offers_injections CHECK (injections BETWEEN 1 AND 50),
    cell_type                text CONSTRAINT offers_cell_type_fkey REFERENCES cell_types (slug),
    cell_source              text CONSTRAINT offers_cell_source CHECK (cell_source IN ('autologous', 'allogeneic')),
    exclusions               text[] NOT NULL,
    price_change_conditions  text,
    max_increase_percent     numeric(5,2) NOT NULL CONSTRAINT offers_max_increase CHECK (max_increase_percent BETWEEN 0 AND 100),
    deposit                  jsonb NOT NULL,
    refund_policy            jsonb NOT NULL,
    outcome_guarantee        text,
    valid_until              timestamptz NOT NULL,
    notes                    text,
    red_flags                jsonb NOT NULL DEFAULT '[]',
    status                   text NOT NULL DEFAULT 'pending'
        CONSTRAINT offers_status CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn', 'expired')),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offers_quote_idx ON offers (quote_id, created_at);
CREATE INDEX offers_expiry_idx ON offers (valid_until) WHERE status = 'pending';
-- At most one accepted offer per quote, whatever the application does.
CREATE UNIQUE INDEX offers_one_accepted_per_quote ON offers (quote_id) WHERE status = 'accepted';

-- The state machines, enforced by the database as well as by the code (src/quotes/state.rs).
CREATE FUNCTION quotes_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER quotes_status_transition BEFORE UPDATE OF status ON quotes
    FOR EACH ROW EXECUTE FUNCTION quotes_check_transition();

CREATE FUNCTION offers_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
        OLD.status = 'pending' AND NEW.status IN ('accepted', 'declined', 'withdrawn', 'expired')
    ) THEN
        RAISE EXCEPTION 'illegal offer transition % -> %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'offers_status_transition';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER offers_status_transition BEFORE UPDATE OF status ON offers
    FOR EACH ROW EXECUTE FUNCTION offers_check_transition();

-- Stored responses of POSTs made with an Idempotency-Key (kept 24 hours). The body is encrypted:
-- it may hold a patient's access token and contact details.
CREATE TABLE idempotency_keys (
    scope            text NOT NULL,
    key              text NOT NULL,
    request_hash     bytea NOT NULL,
    status_code      integer NOT NULL,
    location         text,
    etag             text,
    body_ciphertext  bytea NOT NULL,
    quote_id         uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Who read personal data, when, in which request. Append-only: updates and deletes are refused.
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_key_id  uuid,
    actor_role    text NOT NULL,
    action        text NOT NULL,
    quote_id      uuid NOT NULL,
    request_id    text
);
CREATE INDEX audit_log_quote_idx ON audit_log (quote_id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
