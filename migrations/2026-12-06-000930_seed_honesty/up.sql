-- Issue 18, "Seeds and evidence": facts carry their source or say plainly that none is known.

-- 1. A condition's cell types and administration methods are listed only where a source links them
-- to it; these are the studies (slugs in `studies`) that did.
ALTER TABLE conditions ADD COLUMN usage_study_slugs text[] NOT NULL DEFAULT '{}';

-- 2. Funding and conflicts of interest as a structure, never a bare null that reads as "none":
-- {"status": "declared" | "tie_reported" | "not_reported", "text": ..., "source": {...} | null}.
ALTER TABLE studies ALTER COLUMN funding_coi TYPE jsonb USING (
    CASE WHEN funding_coi IS NULL
         THEN jsonb_build_object('status', 'not_reported',
              'text', 'Not reported: StemCare has read no funding or competing-interests statement for this record.',
              'source', NULL)
         ELSE jsonb_build_object('status', 'declared', 'text', funding_coi, 'source', NULL)
    END);
ALTER TABLE studies
    ALTER COLUMN funding_coi SET NOT NULL,
    ADD CONSTRAINT studies_funding_coi_shape CHECK (
        funding_coi->>'status' IN ('declared', 'tie_reported', 'not_reported')
        AND jsonb_typeof(funding_coi->'text') = 'string');

-- 3. What a clinic's patients-per-year figure counts, and the figure StemCare verified (the score
-- counts a figure as verified only while it equals this value, so a later edit is unverified).
ALTER TABLE clinics
    ADD COLUMN patients_per_year_scope text
        CONSTRAINT clinics_patients_per_year_scope CHECK (patients_per_year_scope IN ('stem_cell_treatment', 'all_care')),
    ADD COLUMN patients_per_year_verified_value integer,
    -- Kept by `listings`: the clinic's texts about stem cell treatment (its description and every
    -- claim not tagged as about another treatment) raise an efficacy red flag.
    ADD COLUMN stem_cell_efficacy_claim boolean NOT NULL DEFAULT false;
