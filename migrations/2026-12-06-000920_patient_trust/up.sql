-- Issue 18, "Presentation": what a patient sees is verified, sourced or plainly labelled.

-- 1. Regulatory status as a sourced structure. `regulatory_status` keeps what the source states
-- (`approved_locally`, `not_approved`, `unknown`); `regulatory_claim` holds the source's own words,
-- quoted; a status counts as verified only when StemCare checked it, which needs the date and a
-- source with a URL (both, or neither).
ALTER TABLE countries
    ADD COLUMN regulatory_claim text,
    ADD COLUMN regulatory_verified_at date,
    ADD COLUMN regulatory_verified_source jsonb,
    ADD CONSTRAINT countries_regulatory_verified CHECK (
        (regulatory_verified_at IS NULL AND regulatory_verified_source IS NULL)
        OR (regulatory_verified_at IS NOT NULL AND regulatory_verified_source ? 'url'
            AND jsonb_typeof(regulatory_verified_source -> 'url') = 'string'));

-- 2. Critical red flags leave default lists (shared/reference/red-flags.md). Kept by `listings`
-- wherever detections are stored:
-- clinics.has_critical_flag: a critical detection on the clinic or on one of its published packages;
-- treatment_packages.has_critical_flag: a critical detection on the package, or its clinic's flag.
ALTER TABLE clinics ADD COLUMN has_critical_flag boolean NOT NULL DEFAULT false;
ALTER TABLE treatment_packages ADD COLUMN has_critical_flag boolean NOT NULL DEFAULT false;

UPDATE clinics c SET has_critical_flag = true
WHERE EXISTS (SELECT 1 FROM red_flag_detections d WHERE d.subject_id = c.id AND d.severity = 'critical')
   OR EXISTS (SELECT 1 FROM treatment_packages p JOIN red_flag_detections d ON d.subject_id = p.id
              WHERE p.clinic_id = c.id AND p.status = 'published' AND d.severity = 'critical');
UPDATE treatment_packages p SET has_critical_flag = true
WHERE EXISTS (SELECT 1 FROM clinics c WHERE c.id = p.clinic_id AND c.has_critical_flag)
   OR EXISTS (SELECT 1 FROM red_flag_detections d WHERE d.subject_id = p.id AND d.severity = 'critical');

-- Counting what a list left out reads only the (few) flagged rows.
CREATE INDEX clinics_critical_idx ON clinics (id) WHERE status = 'published' AND has_critical_flag;
CREATE INDEX treatment_packages_critical_idx ON treatment_packages (id)
    WHERE status = 'published' AND has_critical_flag;

-- 3. Quote estimates never rank a critically flagged package: `package_matching` (migration 000700)
-- holds only packages without the flag. A flag change is an UPDATE of the package, so the
-- package trigger rebuilds its rows.
CREATE OR REPLACE FUNCTION package_matching_after_packages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM package_matching m USING changed_packages p WHERE m.package_id = p.id;
    END IF;
    INSERT INTO package_matching
    SELECT DISTINCT ON (u.condition, p.id)
           u.condition, p.id, p.clinic_id, p.country_code, p.cell_type, p.price_min_usd, p.price_max_usd, c.score
    FROM changed_packages p
    JOIN clinics c ON c.id = p.clinic_id
    CROSS JOIN LATERAL unnest(p.conditions) AS u(condition)
    WHERE p.status = 'published' AND c.status = 'published' AND NOT p.has_critical_flag;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION package_matching_after_clinics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM package_matching m
    USING new_clinics n JOIN old_clinics o ON o.id = n.id
    WHERE m.clinic_id = n.id AND (o.status IS DISTINCT FROM n.status OR o.score IS DISTINCT FROM n.score);
    INSERT INTO package_matching
    SELECT DISTINCT ON (u.condition, p.id)
           u.condition, p.id, p.clinic_id, p.country_code, p.cell_type, p.price_min_usd, p.price_max_usd, n.score
    FROM new_clinics n
    JOIN old_clinics o ON o.id = n.id
    JOIN treatment_packages p ON p.clinic_id = n.id
    CROSS JOIN LATERAL unnest(p.conditions) AS u(condition)
    WHERE (o.status IS DISTINCT FROM n.status OR o.score IS DISTINCT FROM n.score)
      AND p.status = 'published' AND n.status = 'published' AND NOT p.has_critical_flag;
    RETURN NULL;
END $$;

DELETE FROM package_matching m USING treatment_packages p WHERE p.id = m.package_id AND p.has_critical_flag;
