ALTER TABLE clinics
    DROP COLUMN price_from_min,
    DROP COLUMN price_from_max,
    DROP COLUMN price_from_kind,
    DROP COLUMN price_from_currency,
    DROP COLUMN price_from_provenance;
