//! The upsert statement of each seed file: a seed run inserts new records and updates changed ones,
//! keyed by slug or code, so loading the seeds twice changes nothing.

pub(super) const UPSERT_CONDITIONS: &str = "
INSERT INTO conditions (slug, name, description, body_region, spine_indication, cell_types, administration_methods,
    usage_study_slugs, usage_note, usage_source, source)
SELECT slug, name, description, body_region, spine_indication, ARRAY(SELECT jsonb_array_elements_text(cell_types)),
    ARRAY(SELECT jsonb_array_elements_text(administration_methods)),
    ARRAY(SELECT jsonb_array_elements_text(usage_study_slugs)), usage_note, usage_source, source
FROM jsonb_to_recordset($1) AS x(slug text, name text, description text, body_region text, spine_indication boolean,
    cell_types jsonb, administration_methods jsonb, usage_study_slugs jsonb, usage_note text, usage_source jsonb,
    source jsonb)
ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
    body_region = EXCLUDED.body_region, spine_indication = EXCLUDED.spine_indication,
    cell_types = EXCLUDED.cell_types, administration_methods = EXCLUDED.administration_methods,
    usage_study_slugs = EXCLUDED.usage_study_slugs,
    usage_note = EXCLUDED.usage_note, usage_source = EXCLUDED.usage_source, source = EXCLUDED.source,
    updated_at = now()
WHERE (conditions.name, conditions.description, conditions.body_region, conditions.spine_indication,
       conditions.cell_types, conditions.administration_methods, conditions.usage_study_slugs,
       conditions.usage_note, conditions.usage_source, conditions.source)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.body_region, EXCLUDED.spine_indication,
       EXCLUDED.cell_types, EXCLUDED.administration_methods, EXCLUDED.usage_study_slugs, EXCLUDED.usage_note,
       EXCLUDED.usage_source, EXCLUDED.source)";

pub(super) const UPSERT_CELL_TYPES: &str = "
INSERT INTO cell_types (slug, name, abbreviation, source_tissue, collection_method, autologous, allogeneic, clinical_status, description, source)
SELECT slug, name, abbreviation, source_tissue, collection_method, autologous, allogeneic, clinical_status, description, source
FROM jsonb_to_recordset($1) AS x(slug text, name text, abbreviation text, source_tissue text, collection_method text,
    autologous boolean, allogeneic boolean, clinical_status text, description text, source jsonb)
ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, abbreviation = EXCLUDED.abbreviation,
    source_tissue = EXCLUDED.source_tissue, collection_method = EXCLUDED.collection_method,
    autologous = EXCLUDED.autologous, allogeneic = EXCLUDED.allogeneic, clinical_status = EXCLUDED.clinical_status,
    description = EXCLUDED.description, source = EXCLUDED.source, updated_at = now()
WHERE (cell_types.name, cell_types.abbreviation, cell_types.source_tissue, cell_types.collection_method,
       cell_types.autologous, cell_types.allogeneic, cell_types.clinical_status, cell_types.description, cell_types.source)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.abbreviation, EXCLUDED.source_tissue, EXCLUDED.collection_method,
       EXCLUDED.autologous, EXCLUDED.allogeneic, EXCLUDED.clinical_status, EXCLUDED.description, EXCLUDED.source)";

pub(super) const UPSERT_METHODS: &str = "
INSERT INTO administration_methods (slug, name, description, imaging_guidance, source)
SELECT slug, name, description, imaging_guidance, source
FROM jsonb_to_recordset($1) AS x(slug text, name text, description text, imaging_guidance text, source jsonb)
ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
    imaging_guidance = EXCLUDED.imaging_guidance, source = EXCLUDED.source, updated_at = now()
WHERE (administration_methods.name, administration_methods.description, administration_methods.imaging_guidance, administration_methods.source)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.imaging_guidance, EXCLUDED.source)";

pub(super) const UPSERT_COUNTRIES: &str = "
INSERT INTO countries (code, name, regulatory_status, regulatory_claim, regulatory_note, insurance_note,
    injection_price_min, injection_price_max, package_price_min, package_price_max, price_currency,
    price_as_of, price_date_note, price_source, source)
SELECT code, name, regulatory_status, regulatory_claim, regulatory_note, insurance_note,
    (injection_price->>'min')::numeric, (injection_price->>'max')::numeric,
    (package_price->>'min')::numeric, (package_price->>'max')::numeric,
    coalesce(injection_price->>'currency', package_price->>'currency', 'USD'),
    price_as_of, price_date_note, price_source, source
FROM jsonb_to_recordset($1) AS x(code text, name text, regulatory_status text, regulatory_claim text, regulatory_note text, insurance_note text,
    injection_price jsonb, package_price jsonb, price_as_of date, price_date_note text, price_source jsonb, source jsonb)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, regulatory_status = EXCLUDED.regulatory_status,
    regulatory_claim = EXCLUDED.regulatory_claim, regulatory_note = EXCLUDED.regulatory_note, insurance_note = EXCLUDED.insurance_note,
    injection_price_min = EXCLUDED.injection_price_min, injection_price_max = EXCLUDED.injection_price_max,
    package_price_min = EXCLUDED.package_price_min, package_price_max = EXCLUDED.package_price_max,
    price_currency = EXCLUDED.price_currency, price_as_of = EXCLUDED.price_as_of,
    price_date_note = EXCLUDED.price_date_note, price_source = EXCLUDED.price_source, source = EXCLUDED.source,
    updated_at = now()
WHERE (countries.name, countries.regulatory_status, countries.regulatory_claim, countries.regulatory_note, countries.insurance_note,
       countries.injection_price_min, countries.injection_price_max, countries.package_price_min, countries.package_price_max,
       countries.price_currency, countries.price_as_of, countries.price_date_note, countries.price_source, countries.source)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.regulatory_status, EXCLUDED.regulatory_claim, EXCLUDED.regulatory_note, EXCLUDED.insurance_note,
       EXCLUDED.injection_price_min, EXCLUDED.injection_price_max, EXCLUDED.package_price_min, EXCLUDED.package_price_max,
       EXCLUDED.price_currency, EXCLUDED.price_as_of, EXCLUDED.price_date_note, EXCLUDED.price_source, EXCLUDED.source)";

pub(super) const UPSERT_RATES: &str = "
INSERT INTO exchange_rates (currency, units_per_usd, as_of, source, derivation)
SELECT currency, units_per_usd, as_of, source, derivation
FROM jsonb_to_recordset($1) AS x(currency text, units_per_usd numeric, as_of date, source jsonb, derivation text)
ON CONFLICT (currency) DO UPDATE SET units_per_usd = EXCLUDED.units_per_usd, as_of = EXCLUDED.as_of,
    source = EXCLUDED.source, derivation = EXCLUDED.derivation, updated_at = now()
WHERE (exchange_rates.units_per_usd, exchange_rates.as_of, exchange_rates.source, exchange_rates.derivation)
    IS DISTINCT FROM (EXCLUDED.units_per_usd, EXCLUDED.as_of, EXCLUDED.source, EXCLUDED.derivation)
  -- A rate refreshed from the ECB (or corrected by an admin) since is newer than the seed's: keep it.
  AND exchange_rates.as_of <= EXCLUDED.as_of";

pub(super) const UPSERT_VOCABULARY: &str = "
INSERT INTO inclusion_items (code, label, description, position, source)
SELECT code, label, description, position, source
FROM jsonb_to_recordset($1) AS x(code text, label text, description text, position integer, source jsonb)
ON CONFLICT (code) DO UPDATE SET label = EXCLUDED.label, description = EXCLUDED.description,
    position = EXCLUDED.position, source = EXCLUDED.source
WHERE (inclusion_items.label, inclusion_items.description, inclusion_items.position, inclusion_items.source)
    IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.position, EXCLUDED.source)";

pub(super) const UPSERT_RULES: &str = "
INSERT INTO red_flag_rules (code, version, title, description, severity, detection, patterns, source_url, source_note)
SELECT code, version, title, description, severity, detection,
    ARRAY(SELECT jsonb_array_elements_text(patterns)), source_url, source_note
FROM jsonb_to_recordset($1) AS x(code text, version integer, title text, description text, severity text,
    detection text, patterns jsonb, source_url text, source_note text)
ON CONFLICT (code, version) DO NOTHING";

pub(super) const UPSERT_CLINICS: &str = "
INSERT INTO clinics (slug, name, country_code, city, ownership, specialty_scope, specialties, years_experience,
    years_experience_note, patients_per_year, patients_per_year_scope, patients_per_year_verified_value,
    serves_adults, serves_children, min_age, patient_origin_regions,
    notable_technology, description, claims, conditions_treated, stem_cell_indications, accreditations,
    accreditation_bodies, notes, source)
SELECT slug, name, country, city, ownership, specialty_scope,
    ARRAY(SELECT jsonb_array_elements_text(specialties)), years_experience, years_experience_note,
    patients_per_year, patients_per_year_scope, patients_per_year_verified_value, serves_adults, serves_children,
    min_age,
    ARRAY(SELECT jsonb_array_elements_text(patient_origin_regions)),
    ARRAY(SELECT jsonb_array_elements_text(notable_technology)), description, claims,
    ARRAY(SELECT jsonb_array_elements_text(conditions_treated)),
    ARRAY(SELECT jsonb_array_elements_text(stem_cell_indications)), accreditations,
    ARRAY(SELECT a->>'body' FROM jsonb_array_elements(accreditations) a WHERE a ? 'body'), notes, source
FROM jsonb_to_recordset($1) AS x(slug text, name text, country text, city text, ownership text, specialty_scope text,
    specialties jsonb, years_experience integer, years_experience_note text, patients_per_year integer,
    patients_per_year_scope text, patients_per_year_verified_value integer,
    serves_adults boolean, serves_children boolean, min_age integer, patient_origin_regions jsonb,
    notable_technology jsonb, description text, claims jsonb, conditions_treated jsonb,
    stem_cell_indications jsonb, accreditations jsonb, notes text, source jsonb)
ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, country_code = EXCLUDED.country_code, city = EXCLUDED.city,
    ownership = EXCLUDED.ownership, specialty_scope = EXCLUDED.specialty_scope, specialties = EXCLUDED.specialties,
    years_experience = EXCLUDED.years_experience, years_experience_note = EXCLUDED.years_experience_note,
    patients_per_year = EXCLUDED.patients_per_year, patients_per_year_scope = EXCLUDED.patients_per_year_scope,
    patients_per_year_verified_value = EXCLUDED.patients_per_year_verified_value, serves_adults = EXCLUDED.serves_adults,
    serves_children = EXCLUDED.serves_children, min_age = EXCLUDED.min_age,
    patient_origin_regions = EXCLUDED.patient_origin_regions, notable_technology = EXCLUDED.notable_technology,
    description = EXCLUDED.description, claims = EXCLUDED.claims, conditions_treated = EXCLUDED.conditions_treated,
    stem_cell_indications = EXCLUDED.stem_cell_indications, accreditations = EXCLUDED.accreditations,
    accreditation_bodies = EXCLUDED.accreditation_bodies, notes = EXCLUDED.notes, source = EXCLUDED.source,
    updated_at = now()
WHERE (clinics.name, clinics.country_code, clinics.city, clinics.ownership, clinics.specialty_scope, clinics.specialties,
       clinics.years_experience, clinics.years_experience_note, clinics.patients_per_year,
       clinics.patients_per_year_scope, clinics.patients_per_year_verified_value, clinics.serves_adults,
       clinics.serves_children, clinics.min_age, clinics.patient_origin_regions, clinics.notable_technology,
       clinics.description, clinics.claims, clinics.conditions_treated, clinics.stem_cell_indications,
       clinics.accreditations, clinics.accreditation_bodies, clinics.notes, clinics.source)
    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.country_code, EXCLUDED.city, EXCLUDED.ownership, EXCLUDED.specialty_scope,
       EXCLUDED.specialties, EXCLUDED.years_experience, EXCLUDED.years_experience_note, EXCLUDED.patients_per_year,
       EXCLUDED.patients_per_year_scope, EXCLUDED.patients_per_year_verified_value,
       EXCLUDED.serves_adults, EXCLUDED.serves_children, EXCLUDED.min_age, EXCLUDED.patient_origin_regions,
       EXCLUDED.notable_technology, EXCLUDED.description, EXCLUDED.claims, EXCLUDED.conditions_treated,
       EXCLUDED.stem_cell_indications, EXCLUDED.accreditations, EXCLUDED.accreditation_bodies, EXCLUDED.notes,
       EXCLUDED.source)";

// price_min_usd starts at the listed amount and is corrected by `listings::refresh_all` in the
// same transaction (it needs the exchange rates).
pub(super) const UPSERT_PACKAGES: &str = "
INSERT INTO treatment_packages (slug, clinic_id, title, conditions, cell_type, cell_source, administration_method,
    injections, price_min, price_max, price_kind, currency, price_basis, price_provenance, price_as_of,
    price_source, inclusions, exclusions, unknown_items, add_ons, source, price_min_usd)
SELECT x.slug, c.id, x.title, ARRAY(SELECT jsonb_array_elements_text(x.conditions)), x.cell_type, x.cell_source,
    x.administration_method, x.injections, (x.price->>'min')::numeric, (x.price->>'max')::numeric,
    CASE WHEN x.price->>'max' IS NULL THEN 'from'
         WHEN (x.price->>'max')::numeric = (x.price->>'min')::numeric THEN 'exact' ELSE 'range' END,
    x.price->>'currency', x.price_basis, x.price_provenance, x.price_as_of, x.price_source,
    ARRAY(SELECT jsonb_array_elements_text(x.inclusions)), ARRAY(SELECT jsonb_array_elements_text(x.exclusions)),
    ARRAY(SELECT jsonb_array_elements_text(x.unknown_items)), x.add_ons, x.source, (x.price->>'min')::numeric
FROM jsonb_to_recordset($1) AS x(slug text, clinic_slug text, title text, conditions jsonb, cell_type text,
    cell_source text, administration_method text, injections integer, price jsonb, price_basis text,
    price_provenance text, price_as_of date, price_source jsonb, inclusions jsonb, exclusions jsonb,
    unknown_items jsonb, add_ons jsonb, source jsonb)
JOIN clinics c ON c.slug = x.clinic_slug
ON CONFLICT (slug) DO UPDATE SET clinic_id = EXCLUDED.clinic_id, title = EXCLUDED.title, conditions = EXCLUDED.conditions,
    cell_type = EXCLUDED.cell_type, cell_source = EXCLUDED.cell_source,
    administration_method = EXCLUDED.administration_method, injections = EXCLUDED.injections,
    price_min = EXCLUDED.price_min, price_max = EXCLUDED.price_max, price_kind = EXCLUDED.price_kind,
    currency = EXCLUDED.currency, price_basis = EXCLUDED.price_basis, price_provenance = EXCLUDED.price_provenance,
    price_as_of = EXCLUDED.price_as_of, price_source = EXCLUDED.price_source, inclusions = EXCLUDED.inclusions,
    exclusions = EXCLUDED.exclusions, unknown_items = EXCLUDED.unknown_items, add_ons = EXCLUDED.add_ons,
    source = EXCLUDED.source, updated_at = now()
WHERE (treatment_packages.clinic_id, treatment_packages.title, treatment_packages.conditions, treatment_packages.cell_type,
       treatment_packages.cell_source, treatment_packages.administration_method, treatment_packages.injections,
       treatment_packages.price_min, treatment_packages.price_max, treatment_packages.price_kind,
       treatment_packages.currency, treatment_packages.price_basis, treatment_packages.price_provenance,
       treatment_packages.price_as_of, treatment_packages.price_source, treatment_packages.inclusions,
       treatment_packages.exclusions, treatment_packages.unknown_items, treatment_packages.add_ons,
       treatment_packages.source)
    IS DISTINCT FROM (EXCLUDED.clinic_id, EXCLUDED.title, EXCLUDED.conditions, EXCLUDED.cell_type, EXCLUDED.cell_source,
       EXCLUDED.administration_method, EXCLUDED.injections, EXCLUDED.price_min, EXCLUDED.price_max,
       EXCLUDED.price_kind, EXCLUDED.currency, EXCLUDED.price_basis, EXCLUDED.price_provenance, EXCLUDED.price_as_of,
       EXCLUDED.price_source, EXCLUDED.inclusions, EXCLUDED.exclusions, EXCLUDED.unknown_items, EXCLUDED.add_ons,
       EXCLUDED.source)";

pub(super) const UPSERT_STUDIES: &str = "
INSERT INTO studies (slug, title, publication, year, url, pmcid, doi, design, oxford_level, participants,
    follow_up_months, has_control_group, conditions, population, intervention, comparator, outcome_measures,
    result_as_stated, adverse_events_as_stated, reported_via, article_text, cited_source, possible_origin_note,
    funding_coi, source)
SELECT slug, title, publication, year, url, pmcid, doi, design, oxford_level, participants, follow_up_months,
    has_control_group, ARRAY(SELECT jsonb_array_elements_text(conditions)), population, intervention, comparator,
    ARRAY(SELECT jsonb_array_elements_text(outcome_measures)), result_as_stated, adverse_events_as_stated,
    reported_via, article_text, cited_source, possible_origin_note, funding_coi, source
FROM jsonb_to_recordset($1) AS x(slug text, title text, publication text, year integer, url text, pmcid text,
    doi text, design text, oxford_level integer, participants integer, follow_up_months integer,
    has_control_group boolean, conditions jsonb, population text, intervention jsonb, comparator text,
    outcome_measures jsonb, result_as_stated text, adverse_events_as_stated text, reported_via text,
    article_text text, cited_source text, possible_origin_note text, funding_coi jsonb, source jsonb)
ON CONFLICT (slug) DO UPDATE SET title = EXCLUDED.title, publication = EXCLUDED.publication, year = EXCLUDED.year,
    url = EXCLUDED.url, pmcid = EXCLUDED.pmcid, doi = EXCLUDED.doi, design = EXCLUDED.design,
    oxford_level = EXCLUDED.oxford_level, participants = EXCLUDED.participants,
    follow_up_months = EXCLUDED.follow_up_months, has_control_group = EXCLUDED.has_control_group,
    conditions = EXCLUDED.conditions, population = EXCLUDED.population, intervention = EXCLUDED.intervention,
    comparator = EXCLUDED.comparator, outcome_measures = EXCLUDED.outcome_measures,
    result_as_stated = EXCLUDED.result_as_stated, adverse_events_as_stated = EXCLUDED.adverse_events_as_stated,
    reported_via = EXCLUDED.reported_via, article_text = EXCLUDED.article_text,
    cited_source = EXCLUDED.cited_source, possible_origin_note = EXCLUDED.possible_origin_note,
    funding_coi = EXCLUDED.funding_coi, source = EXCLUDED.source, updated_at = now()
WHERE (studies.title, studies.publication, studies.year, studies.url, studies.pmcid, studies.doi, studies.design,
       studies.oxford_level, studies.participants, studies.follow_up_months, studies.has_control_group,
       studies.conditions, studies.population, studies.intervention, studies.comparator, studies.outcome_measures,
       studies.result_as_stated, studies.adverse_events_as_stated, studies.reported_via, studies.article_text,
       studies.cited_source, studies.possible_origin_note, studies.funding_coi, studies.source)
    IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.publication, EXCLUDED.year, EXCLUDED.url, EXCLUDED.pmcid,
       EXCLUDED.doi, EXCLUDED.design, EXCLUDED.oxford_level, EXCLUDED.participants, EXCLUDED.follow_up_months,
       EXCLUDED.has_control_group, EXCLUDED.conditions, EXCLUDED.population, EXCLUDED.intervention,
       EXCLUDED.comparator, EXCLUDED.outcome_measures, EXCLUDED.result_as_stated,
       EXCLUDED.adverse_events_as_stated, EXCLUDED.reported_via, EXCLUDED.article_text, EXCLUDED.cited_source,
       EXCLUDED.possible_origin_note, EXCLUDED.funding_coi, EXCLUDED.source)";

// certainty, certainty_reasons and the counts are computed afterwards (evidence::repo::refresh_certainty);
// expected_certainty is only checked by a unit test (evidence::grading).
pub(super) const UPSERT_SUMMARIES: &str = "
INSERT INTO evidence_summaries (slug, condition, cell_type, study_slugs, plain_summary, unknowns, benefit_range,
    known_harms, regulatory_context, last_reviewed_at, source)
SELECT slug, condition, cell_type, ARRAY(SELECT jsonb_array_elements_text(study_slugs)), plain_summary,
    ARRAY(SELECT jsonb_array_elements_text(unknowns)), benefit_range, known_harms, regulatory_context,
    last_reviewed_at, source
FROM jsonb_to_recordset($1) AS x(slug text, condition text, cell_type text, study_slugs jsonb, plain_summary text,
    unknowns jsonb, benefit_range text, known_harms text, regulatory_context text, last_reviewed_at date,
    source jsonb)
ON CONFLICT (slug) DO UPDATE SET condition = EXCLUDED.condition, cell_type = EXCLUDED.cell_type,
    study_slugs = EXCLUDED.study_slugs, plain_summary = EXCLUDED.plain_summary, unknowns = EXCLUDED.unknowns,
    benefit_range = EXCLUDED.benefit_range, known_harms = EXCLUDED.known_harms,
    regulatory_context = EXCLUDED.regulatory_context, last_reviewed_at = EXCLUDED.last_reviewed_at,
    source = EXCLUDED.source, updated_at = now()
WHERE (evidence_summaries.condition, evidence_summaries.cell_type, evidence_summaries.study_slugs,
       evidence_summaries.plain_summary, evidence_summaries.unknowns, evidence_summaries.benefit_range,
       evidence_summaries.known_harms, evidence_summaries.regulatory_context, evidence_summaries.last_reviewed_at,
       evidence_summaries.source)
    IS DISTINCT FROM (EXCLUDED.condition, EXCLUDED.cell_type, EXCLUDED.study_slugs, EXCLUDED.plain_summary,
       EXCLUDED.unknowns, EXCLUDED.benefit_range, EXCLUDED.known_harms, EXCLUDED.regulatory_context,
       EXCLUDED.last_reviewed_at, EXCLUDED.source)";
