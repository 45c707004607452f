ALTER TABLE clinics
    DROP COLUMN protocol_disclosure,
    DROP COLUMN protocol_ref,
    DROP COLUMN ethics_disclosure,
    DROP COLUMN ethics_ref,
    DROP COLUMN deposit_due,
    DROP COLUMN deposit_refund_pct,
    DROP COLUMN review_hosting;
