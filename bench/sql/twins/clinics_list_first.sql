-- Twin of the `clinics_list_first` scenario, written by bench/twins.py from PostgreSQL's statement log
-- of one real request (log_statement = 'all'): the handler's statements in order, with its
-- parameters as pgbench variables (values in the run's defs file). COMMIT became ROLLBACK.
SELECT c."id", c."slug", c."name", c."country_code", c."city", c."website", c."ownership", c."specialty_scope", c."specialties", c."years_experience", c."years_experience_note", c."patients_per_year", c."serves_adults", c."serves_children", c."min_age", c."patient_origin_regions", c."languages", c."notable_technology", c."description", c."claims", c."conditions_treated", c."accreditations", c."notes", c."source", c."promoted", c."score", c."score_parts", c."price_from_usd", c."price_from_min", c."price_from_max", c."price_from_kind", c."price_from_currency", c."price_from_provenance", c."condition_slugs", c."has_critical_flag", c."stem_cell_efficacy_claim", c."created_at", c."updated_at", c."protocol_disclosure", c."protocol_ref", c."ethics_disclosure", c."ethics_ref", c."deposit_due", c."deposit_refund_pct", c."review_hosting" FROM clinics c WHERE c.status = 'published' AND NOT c.has_critical_flag AND c.country_code = :s1p1::bpchar AND c.condition_slugs @> ARRAY[:s1p2::text] ORDER BY COALESCE(c.price_from_usd, 999999999999.99) ASC, c.id ASC LIMIT :s1p3;
SELECT count(*) AS n FROM clinics c WHERE c.status = 'published' AND c.has_critical_flag AND c.country_code = :s2p1::bpchar AND c.condition_slugs @> ARRAY[:s2p2::text];
SELECT d."subject_id", d."code", d."rule_version", d."severity", d."evidence_text", d."source_url" FROM red_flag_detections d WHERE d.subject_id = ANY(:s3p1) ORDER BY d.code;
SELECT r.clinic_id,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.first_at - r.routed_at)) / 3600.0)::float8 AS hours,
       count(*) AS answered
FROM quote_routes r
JOIN LATERAL (SELECT min(o.created_at) AS first_at FROM offers o
              WHERE o.quote_id = r.quote_id AND o.clinic_id = r.clinic_id) f ON f.first_at IS NOT NULL
WHERE r.clinic_id = ANY(:s4p1)
GROUP BY r.clinic_id;
