-- Twin of the `quote_create` scenario, written by bench/twins.py from PostgreSQL's statement log
-- of one real request (log_statement = 'all'): the handler's statements in order, with its
-- parameters as pgbench variables (values in the run's defs file). COMMIT became ROLLBACK.
SELECT COUNT(*) FROM "quotes" WHERE (("quotes"."email_hash" = :s1p1) AND ("quotes"."created_at" > :s1p2));
SELECT "evidence_summaries"."id", "evidence_summaries"."slug", "evidence_summaries"."condition", "evidence_summaries"."cell_type", "evidence_summaries"."study_slugs", "evidence_summaries"."plain_summary", "evidence_summaries"."unknowns", "evidence_summaries"."benefit_range", "evidence_summaries"."known_harms", "evidence_summaries"."regulatory_context", "evidence_summaries"."last_reviewed_at", "evidence_summaries"."source", "evidence_summaries"."certainty", "evidence_summaries"."certainty_reasons", "evidence_summaries"."study_count", "evidence_summaries"."participants_known", "evidence_summaries"."created_at", "evidence_summaries"."updated_at" FROM "evidence_summaries" WHERE ("evidence_summaries"."condition" = :s2p1) ORDER BY "evidence_summaries"."cell_type" ASC NULLS FIRST, "evidence_summaries"."slug" ASC;
WITH ranked AS (
             SELECT m.package_id, m.price_min_usd, (
    20
    + CASE WHEN cardinality(:s3p2::text[]) = 0 OR m.country_code = ANY(:s3p2::text[]) THEN 20 ELSE 0 END
    + CASE WHEN cardinality(:s3p3::text[]) = 0 OR m.cell_type = ANY(:s3p3::text[]) THEN 10 ELSE 0 END
    + CASE WHEN :s3p4::numeric IS NULL THEN CASE WHEN :s3p5 THEN 12 ELSE 0 END
           WHEN m.price_max_usd <= :s3p4::numeric THEN 25
           WHEN m.price_min_usd <= :s3p4::numeric THEN 12
           ELSE 0 END
    + LEAST(floor(m.clinic_score * 0.15), 15)::int
    + COALESCE((:s3p7::int[])[array_position(:s3p6::text[], m.cell_type)], :s3p8::int)) AS match_score
             FROM package_matching m
             WHERE m.condition = :s3p1
             ORDER BY match_score DESC, m.price_min_usd ASC, m.package_id ASC
             LIMIT :s3p9)
         SELECT p.*, c.name AS clinic_name, c.score AS clinic_score
         FROM ranked r
         JOIN treatment_packages p ON p.id = r.package_id
         JOIN clinics c ON c.id = p.clinic_id
         ORDER BY r.match_score DESC, r.price_min_usd ASC, r.package_id ASC;
BEGIN;
\set u5p1 random(1, 9223372036854775806)
INSERT INTO "quotes" ("access_token_hash", "condition_slug", "has_mri", "preferred_countries", "preferred_cell_types", "budget_amount", "budget_currency", "travel_from", "travel_to", "patient_country", "preferred_language", "contact_ciphertext", "notes_ciphertext", "email_hash", "consent_at", "share_mode", "estimates", "expires_at") VALUES (:u5p1, :s5p2, :s5p3, :s5p4, :s5p5, :s5p6, :s5p7, NULL, NULL, :s5p10, :s5p11, :s5p12, NULL, :s5p14, :s5p15, :s5p16, :s5p17, :s5p18) RETURNING "quotes"."id" \gset ret5_
INSERT INTO "quote_routes" ("quote_id", "clinic_id") VALUES (:ret5_id, :s6p2);
INSERT INTO "quote_routes" ("quote_id", "clinic_id") VALUES (:ret5_id, :s7p2);
SELECT "clinics"."id", "clinics"."partner_id" FROM "clinics" WHERE ("clinics"."id" = ANY(:s8p1));
SELECT "quotes"."id", "quotes"."status", "quotes"."condition_slug", "quotes"."has_mri", "quotes"."preferred_countries", "quotes"."preferred_cell_types", "quotes"."budget_amount", "quotes"."budget_currency", "quotes"."travel_from", "quotes"."travel_to", "quotes"."patient_country", "quotes"."preferred_language", "quotes"."contact_ciphertext", "quotes"."notes_ciphertext", "quotes"."share_mode", "quotes"."estimates", "quotes"."accepted_offer_id", "quotes"."expires_at", "quotes"."erased_at", "quotes"."created_at", "quotes"."updated_at" FROM "quotes" WHERE ("quotes"."id" = :ret5_id) LIMIT :s9p2;
SELECT "quote_routes"."clinic_id" FROM "quote_routes" WHERE ("quote_routes"."quote_id" = :ret5_id) ORDER BY "quote_routes"."routed_at" ASC;
ROLLBACK;
