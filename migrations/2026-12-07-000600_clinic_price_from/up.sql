-- The listed price of each clinic's cheapest published package (ties: lowest id), kept by
-- `listings` beside `price_from_usd` (the same package's USD minimum), so a page of clinics shows
-- `price_from` from its own rows instead of reading packages again. All NULL when the clinic has
-- no published package.
ALTER TABLE clinics
    ADD COLUMN price_from_min        numeric(14,2),
    ADD COLUMN price_from_max        numeric(14,2),
    ADD COLUMN price_from_kind       text,
    ADD COLUMN price_from_currency   char(3),
    ADD COLUMN price_from_provenance text;

UPDATE clinics c
SET (price_from_min, price_from_max, price_from_kind, price_from_currency, price_from_provenance) =
    (SELECT p.price_min, p.price_max, p.price_kind, p.currency, p.price_provenance
     FROM treatment_packages p
     WHERE p.clinic_id = c.id AND p.status = 'published'
     ORDER BY p.price_min_usd ASC, p.id ASC
     LIMIT 1);
