-- What a clinic listing discloses for the rules NO_PROTOCOL, NO_IRB_OR_REGULATOR,
-- DEPOSIT_BEFORE_CONSULT and REVIEWS_ONLY_SELF_HOSTED. Every disclosure has three states:
-- not stated (NULL), stated as none, or given. A reference is stored exactly when it is given.

ALTER TABLE clinics
    ADD COLUMN protocol_disclosure text
        CONSTRAINT clinics_protocol_disclosure CHECK (protocol_disclosure IN ('none', 'given')),
    ADD COLUMN protocol_ref text,
    ADD COLUMN ethics_disclosure text
        CONSTRAINT clinics_ethics_disclosure CHECK (ethics_disclosure IN ('none', 'given')),
    ADD COLUMN ethics_ref text,
    ADD COLUMN deposit_due text
        CONSTRAINT clinics_deposit_due CHECK (deposit_due IN ('none', 'after_medical_review', 'before_medical_review')),
    ADD COLUMN deposit_refund_pct smallint
        CONSTRAINT clinics_deposit_refund_pct CHECK (deposit_refund_pct BETWEEN 0 AND 100),
    ADD COLUMN review_hosting text
        CONSTRAINT clinics_review_hosting CHECK (review_hosting IN ('self_hosted_only', 'independent', 'no_reviews'));

ALTER TABLE clinics
    ADD CONSTRAINT clinics_protocol_ref_given
        CHECK ((protocol_ref IS NOT NULL) = (protocol_disclosure IS NOT DISTINCT FROM 'given')),
    ADD CONSTRAINT clinics_ethics_ref_given
        CHECK ((ethics_ref IS NOT NULL) = (ethics_disclosure IS NOT DISTINCT FROM 'given')),
    -- A refund percentage only means something for a deposit that is asked for.
    ADD CONSTRAINT clinics_deposit_refund_needs_deposit
        CHECK (deposit_refund_pct IS NULL OR deposit_due IN ('after_medical_review', 'before_medical_review'));
