-- Signed webhooks: partners' endpoints, a transactional outbox of events, one delivery per
-- event and endpoint, and every delivery attempt.

CREATE TABLE webhook_endpoints (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    partner_id         uuid NOT NULL CONSTRAINT webhook_endpoints_partner_fkey REFERENCES partners (id),
    url                text NOT NULL CONSTRAINT webhook_endpoints_url_length CHECK (char_length(url) BETWEEN 1 AND 2048),
    -- AES-256-GCM ciphertext (nonce || ciphertext) of the `whsec_…` signing secret.
    secret_ciphertext  bytea NOT NULL,
    description        text CONSTRAINT webhook_endpoints_description_length CHECK (char_length(description) <= 500),
    created_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE INDEX webhook_endpoints_partner_idx ON webhook_endpoints (partner_id) WHERE deleted_at IS NULL;

-- The outbox: written in the same transaction as the change it reports.
CREATE TABLE webhook_events (
    id          uuid PRIMARY KEY,
    partner_id  uuid NOT NULL CONSTRAINT webhook_events_partner_fkey REFERENCES partners (id),
    type        text NOT NULL CONSTRAINT webhook_events_type CHECK (type IN (
                    'quote.routed', 'offer.accepted', 'offer.declined', 'quote.cancelled',
                    'quote.erased', 'listing.moderated')),
    -- Ids and states only: never patient contact or health data.
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_partner_idx ON webhook_events (partner_id, created_at);

CREATE TABLE webhook_deliveries (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id          uuid NOT NULL CONSTRAINT webhook_deliveries_event_fkey REFERENCES webhook_events (id),
    endpoint_id       uuid NOT NULL CONSTRAINT webhook_deliveries_endpoint_fkey REFERENCES webhook_endpoints (id),
    -- Copied from the event so a partner's deliveries are listed without a join.
    partner_id        uuid NOT NULL CONSTRAINT webhook_deliveries_partner_fkey REFERENCES partners (id),
    status            text NOT NULL DEFAULT 'pending'
        CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts          integer NOT NULL DEFAULT 0 CONSTRAINT webhook_deliveries_attempts CHECK (attempts >= 0),
    -- When the worker may next pick it up (also a lease while an attempt is in flight).
    next_attempt_at   timestamptz,
    last_attempt_at   timestamptz,
    last_status_code  integer,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_event_endpoint_key UNIQUE (event_id, endpoint_id),
    CONSTRAINT webhook_deliveries_pending_scheduled CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_partner_idx ON webhook_deliveries (partner_id, created_at DESC, id DESC);

CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  uuid NOT NULL CONSTRAINT webhook_attempts_delivery_fkey REFERENCES webhook_deliveries (id),
    at           timestamptz NOT NULL,
    status_code  integer,
    error        text,
    duration_ms  integer NOT NULL CONSTRAINT webhook_attempts_duration CHECK (duration_ms >= 0)
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);
