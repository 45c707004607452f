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
    WHERE p.status = 'published' AND c.status = 'published';
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
      AND p.status = 'published' AND n.status = 'published';
    RETURN NULL;
END $$;

INSERT INTO package_matching
SELECT DISTINCT ON (u.condition, p.id)
       u.condition, p.id, p.clinic_id, p.country_code, p.cell_type, p.price_min_usd, p.price_max_usd, c.score
FROM treatment_packages p
JOIN clinics c ON c.id = p.clinic_id
CROSS JOIN LATERAL unnest(p.conditions) AS u(condition)
WHERE p.status = 'published' AND c.status = 'published' AND p.has_critical_flag
ON CONFLICT DO NOTHING;

DROP INDEX treatment_packages_critical_idx;
DROP INDEX clinics_critical_idx;
ALTER TABLE treatment_packages DROP COLUMN has_critical_flag;
ALTER TABLE clinics DROP COLUMN has_critical_flag;
ALTER TABLE countries DROP CONSTRAINT countries_regulatory_verified,
    DROP COLUMN regulatory_verified_source, DROP COLUMN regulatory_verified_at, DROP COLUMN regulatory_claim;
