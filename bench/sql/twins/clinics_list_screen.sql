-- Twin of the `clinics_list_screen` scenario, written by bench/twins.py from PostgreSQL's statement log
-- of one real request (log_statement = 'all'): the handler's statements in order, with its
-- parameters as pgbench variables (values in the run's defs file). COMMIT became ROLLBACK.
SELECT c."id", c."name", c."country_code", c."city", c."languages", c."promoted", c."price_from_usd", c."price_from_min", c."price_from_max", c."price_from_kind", c."price_from_currency", c."price_from_provenance" FROM clinics c WHERE c.status = 'published' AND NOT c.has_critical_flag AND c.country_code = :s1p1::bpchar AND c.condition_slugs @> ARRAY[:s1p2::text] ORDER BY COALESCE(c.price_from_usd, 999999999999.99) ASC, c.id ASC LIMIT :s1p3;
SELECT count(*) AS n FROM clinics c WHERE c.status = 'published' AND c.has_critical_flag AND c.country_code = :s2p1::bpchar AND c.condition_slugs @> ARRAY[:s2p2::text];
SELECT d."subject_id", d."code", d."rule_version", d."severity", d."evidence_text", d."source_url" FROM red_flag_detections d WHERE d.subject_id = ANY(:s3p1) ORDER BY d.code;
