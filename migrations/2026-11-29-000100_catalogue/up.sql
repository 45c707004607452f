-- Catalogue: reference data (conditions, cell types, administration methods, countries,
-- exchange rates, red-flag rules) and listings (clinics, treatment packages).
-- Every seeded row carries its source as JSON {title, url, section, retrieved_at}.

CREATE TABLE conditions (
    slug             text PRIMARY KEY CONSTRAINT conditions_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name             text NOT NULL,
    description      text NOT NULL,
    body_region      text NOT NULL,
    spine_indication boolean NOT NULL,
    -- Cell types and administration methods the source describes for this condition.
    cell_types       text[] NOT NULL DEFAULT '{}',
    administration_methods text[] NOT NULL DEFAULT '{}',
    usage_note       text,
    usage_source     jsonb,
    source           jsonb NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cell_types (
    slug              text PRIMARY KEY,
    name              text NOT NULL,
    abbreviation      text NOT NULL,
    source_tissue     text,
    collection_method text,
    autologous        boolean,
    allogeneic        boolean,
    clinical_status   text NOT NULL CONSTRAINT cell_types_clinical_status CHECK (clinical_status IN ('in_use', 'research')),
    description       text NOT NULL,
    source            jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE administration_methods (
    slug              text PRIMARY KEY,
    name              text NOT NULL,
    description       text NOT NULL,
    imaging_guidance  text,
    source            jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE countries (
    code                  char(2) PRIMARY KEY CONSTRAINT countries_code_format CHECK (code ~ '^[A-Z]{2}$'),
    name                  text NOT NULL,
    regulatory_status     text NOT NULL CONSTRAINT countries_regulatory_status CHECK (regulatory_status IN ('not_approved', 'approved_locally', 'unknown')),
    regulatory_note       text,
    insurance_note        text,
    injection_price_min   numeric(14,2),
    injection_price_max   numeric(14,2),
    package_price_min     numeric(14,2),
    package_price_max     numeric(14,2),
    price_currency        char(3) NOT NULL DEFAULT 'USD',
    price_as_of           date,
    price_date_note       text,
    price_source          jsonb,
    source                jsonb NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT countries_injection_range CHECK (injection_price_max IS NULL OR injection_price_max >= injection_price_min),
    CONSTRAINT countries_package_range CHECK (package_price_max IS NULL OR package_price_max >= package_price_min)
);

-- Units of `currency` per 1 USD, dated and sourced.
CREATE TABLE exchange_rates (
    currency       char(3) PRIMARY KEY CONSTRAINT exchange_rates_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    units_per_usd  numeric(24,10) NOT NULL CONSTRAINT exchange_rates_positive CHECK (units_per_usd > 0),
    as_of          date NOT NULL,
    source         jsonb NOT NULL,
    derivation     text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inclusion_items (
    code        text PRIMARY KEY,
    label       text NOT NULL,
    description text NOT NULL,
    position    integer NOT NULL,
    source      jsonb NOT NULL
);

CREATE TABLE red_flag_rules (
    code        text NOT NULL,
    version     integer NOT NULL,
    title       text NOT NULL,
    description text NOT NULL,
    severity    text NOT NULL CONSTRAINT red_flag_rules_severity CHECK (severity IN ('info', 'warn', 'critical')),
    detection   text NOT NULL CONSTRAINT red_flag_rules_detection CHECK (detection IN ('text', 'structured', 'always')),
    patterns    text[] NOT NULL DEFAULT '{}',
    source_url  text,
    source_note text,
    CONSTRAINT red_flag_rules_pkey PRIMARY KEY (code, version)
);

CREATE TABLE clinics (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug                    text NOT NULL CONSTRAINT clinics_slug_key UNIQUE,
    name                    text NOT NULL,
    country_code            char(2) NOT NULL CONSTRAINT clinics_country_fkey REFERENCES countries (code),
    city                    text,
    ownership               text CONSTRAINT clinics_ownership CHECK (ownership IN ('private', 'public')),
    specialty_scope         text CONSTRAINT clinics_specialty_scope CHECK (specialty_scope IN ('single', 'multi')),
    specialties             text[] NOT NULL DEFAULT '{}',
    years_experience        integer CONSTRAINT clinics_years_experience CHECK (years_experience >= 0),
    years_experience_note   text,
    patients_per_year       integer CONSTRAINT clinics_patients_per_year CHECK (patients_per_year >= 0),
    serves_adults           boolean,
    serves_children         boolean,
    min_age                 integer CONSTRAINT clinics_min_age CHECK (min_age BETWEEN 0 AND 120),
    patient_origin_regions  text[] NOT NULL DEFAULT '{}',
    notable_technology      text[] NOT NULL DEFAULT '{}',
    description             text NOT NULL,
    claims                  jsonb NOT NULL DEFAULT '[]',
    conditions_treated      text[] NOT NULL DEFAULT '{}',
    stem_cell_indications   text[] NOT NULL DEFAULT '{}',
    accreditations          jsonb NOT NULL DEFAULT '[]',
    accreditation_bodies    text[] NOT NULL DEFAULT '{}',
    notes                   text,
    source                  jsonb NOT NULL,
    promoted                boolean NOT NULL DEFAULT false,
    status                  text NOT NULL DEFAULT 'published' CONSTRAINT clinics_status CHECK (status IN ('published', 'pending_review', 'unlisted')),
    -- Derived on every write (see catalogue::scoring): kept here so lists can sort and filter.
    score                   numeric(5,1) NOT NULL DEFAULT 0,
    score_parts             jsonb NOT NULL DEFAULT '[]',
    price_from_usd          numeric(14,2),
    condition_slugs         text[] NOT NULL DEFAULT '{}',
    cell_type_slugs         text[] NOT NULL DEFAULT '{}',
    search                  tsvector NOT NULL DEFAULT ''::tsvector,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION clinics_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search :=
        setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.city, '')), 'A') ||
        setweight(to_tsvector('english', array_to_string(NEW.specialties, ' ')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C');
    RETURN NEW;
END $$;

CREATE TRIGGER clinics_search_vector BEFORE INSERT OR UPDATE ON clinics
    FOR EACH ROW EXECUTE FUNCTION clinics_search_vector();

CREATE INDEX clinics_search_idx ON clinics USING gin (search);
CREATE INDEX clinics_country_idx ON clinics (country_code);
CREATE INDEX clinics_conditions_idx ON clinics USING gin (condition_slugs);
CREATE INDEX clinics_name_idx ON clinics (name, id);
CREATE INDEX clinics_score_idx ON clinics (score, id);

CREATE TABLE treatment_packages (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug                   text NOT NULL CONSTRAINT treatment_packages_slug_key UNIQUE,
    clinic_id              uuid NOT NULL CONSTRAINT treatment_packages_clinic_fkey REFERENCES clinics (id),
    title                  text NOT NULL,
    conditions             text[] NOT NULL DEFAULT '{}',
    cell_type              text CONSTRAINT treatment_packages_cell_type_fkey REFERENCES cell_types (slug),
    cell_source            text CONSTRAINT treatment_packages_cell_source CHECK (cell_source IN ('autologous', 'allogeneic')),
    administration_method  text CONSTRAINT treatment_packages_method_fkey REFERENCES administration_methods (slug),
    injections             integer CONSTRAINT treatment_packages_injections CHECK (injections BETWEEN 1 AND 50),
    price_min              numeric(14,2) NOT NULL CONSTRAINT treatment_packages_price_min CHECK (price_min >= 0),
    price_max              numeric(14,2),
    price_kind             text NOT NULL CONSTRAINT treatment_packages_price_kind CHECK (price_kind IN ('exact', 'range', 'from')),
    currency               char(3) NOT NULL,
    price_basis            text NOT NULL CONSTRAINT treatment_packages_price_basis CHECK (price_basis IN ('per_injection', 'package')),
    price_provenance       text NOT NULL CONSTRAINT treatment_packages_price_provenance CHECK (price_provenance IN ('regional_indicative', 'clinic_listed', 'firm_offer')),
    price_as_of            date NOT NULL,
    price_date_note        text,
    price_source           jsonb NOT NULL,
    inclusions             text[] NOT NULL DEFAULT '{}',
    exclusions             text[] NOT NULL DEFAULT '{}',
    unknown_items          text[] NOT NULL DEFAULT '{}',
    add_ons                jsonb NOT NULL DEFAULT '[]',
    source                 jsonb NOT NULL,
    status                 text NOT NULL DEFAULT 'published' CONSTRAINT treatment_packages_status CHECK (status IN ('published', 'pending_review', 'unlisted')),
    -- The minimum price in USD at the current rate, for cross-currency filters and sorting.
    price_min_usd          numeric(14,2) NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT treatment_packages_price_range CHECK (
        (price_kind = 'exact' AND price_max = price_min) OR
        (price_kind = 'range' AND price_max > price_min) OR
        (price_kind = 'from' AND price_max IS NULL))
);

CREATE INDEX treatment_packages_clinic_idx ON treatment_packages (clinic_id);
CREATE INDEX treatment_packages_conditions_idx ON treatment_packages USING gin (conditions);
CREATE INDEX treatment_packages_price_idx ON treatment_packages (price_min_usd, id);
CREATE INDEX treatment_packages_updated_idx ON treatment_packages (updated_at, id);

-- Red flags found on a listing, with the rule version that found them (re-runs are reproducible).
CREATE TABLE red_flag_detections (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subject_type  text NOT NULL CONSTRAINT red_flag_detections_subject_type CHECK (subject_type IN ('clinic', 'treatment_package')),
    subject_id    uuid NOT NULL,
    code          text NOT NULL,
    rule_version  integer NOT NULL,
    severity      text NOT NULL,
    evidence_text text NOT NULL,
    source_url    text,
    detected_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT red_flag_detections_rule_fkey FOREIGN KEY (code, rule_version) REFERENCES red_flag_rules (code, version),
    CONSTRAINT red_flag_detections_unique UNIQUE (subject_type, subject_id, code)
);
CREATE INDEX red_flag_detections_subject_idx ON red_flag_detections (subject_id);
