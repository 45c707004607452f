-- Twin of the `packages_list_eur` scenario, written by bench/twins.py from PostgreSQL's statement log
-- of one real request (log_statement = 'all'): the handler's statements in order, with its
-- parameters as pgbench variables (values in the run's defs file). COMMIT became ROLLBACK.
SELECT p.* FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id WHERE p.status = 'published' AND c.status = 'published' AND p.country_code = :s1p1::bpchar ORDER BY p.price_min_usd ASC, p.id ASC LIMIT :s1p2;
SELECT "clinics"."id", "clinics"."name", "clinics"."country_code", "countries"."regulatory_status" FROM ("clinics" INNER JOIN "countries" ON ("countries"."code" = "clinics"."country_code")) WHERE ("clinics"."id" = ANY(:s2p1));
SELECT "red_flag_detections"."subject_id", "red_flag_detections"."code", "red_flag_detections"."rule_version", "red_flag_detections"."severity", "red_flag_detections"."evidence_text", "red_flag_detections"."source_url" FROM "red_flag_detections" WHERE ("red_flag_detections"."subject_id" = ANY(:s3p1)) ORDER BY "red_flag_detections"."code" ASC;
