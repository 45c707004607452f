ALTER TABLE clinics DROP COLUMN stem_cell_efficacy_claim, DROP COLUMN patients_per_year_verified_value,
    DROP COLUMN patients_per_year_scope;
ALTER TABLE studies DROP CONSTRAINT studies_funding_coi_shape, ALTER COLUMN funding_coi DROP NOT NULL;
ALTER TABLE studies ALTER COLUMN funding_coi TYPE text USING (
    CASE WHEN funding_coi->>'status' = 'not_reported' THEN NULL ELSE funding_coi->>'text' END);
ALTER TABLE conditions DROP COLUMN usage_study_slugs;
