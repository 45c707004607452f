//! Table definitions for diesel, matching `migrations/` (kept in the layout `diesel print-schema`
//! produces; regenerate with it when the CLI is available, never edit columns by hand alone).

pub mod sql_types {
    /// Postgres `tsvector`, only used inside SQL (full-text search); never read into Rust.
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector"))]
    pub struct Tsvector;
}

diesel::table! {
    app_meta (key) {
        key -> Text,
        value -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    conditions (slug) {
        slug -> Text,
        name -> Text,
        description -> Text,
        body_region -> Text,
        spine_indication -> Bool,
        cell_types -> Array<Text>,
        administration_methods -> Array<Text>,
        usage_note -> Nullable<Text>,
        usage_source -> Nullable<Jsonb>,
        source -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    cell_types (slug) {
        slug -> Text,
        name -> Text,
        abbreviation -> Text,
        source_tissue -> Nullable<Text>,
        collection_method -> Nullable<Text>,
        autologous -> Nullable<Bool>,
        allogeneic -> Nullable<Bool>,
        clinical_status -> Text,
        description -> Text,
        source -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    administration_methods (slug) {
        slug -> Text,
        name -> Text,
        description -> Text,
        imaging_guidance -> Nullable<Text>,
        source -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    countries (code) {
        code -> Bpchar,
        name -> Text,
        regulatory_status -> Text,
        regulatory_note -> Nullable<Text>,
        insurance_note -> Nullable<Text>,
        injection_price_min -> Nullable<Numeric>,
        injection_price_max -> Nullable<Numeric>,
        package_price_min -> Nullable<Numeric>,
        package_price_max -> Nullable<Numeric>,
        price_currency -> Bpchar,
        price_as_of -> Nullable<Date>,
        price_date_note -> Nullable<Text>,
        price_source -> Nullable<Jsonb>,
        source -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    exchange_rates (currency) {
        currency -> Bpchar,
        units_per_usd -> Numeric,
        as_of -> Date,
        source -> Jsonb,
        derivation -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    inclusion_items (code) {
        code -> Text,
        label -> Text,
        description -> Text,
        position -> Int4,
        source -> Jsonb,
    }
}

diesel::table! {
    red_flag_rules (code, version) {
        code -> Text,
        version -> Int4,
        title -> Text,
        description -> Text,
        severity -> Text,
        detection -> Text,
        patterns -> Array<Text>,
        source_url -> Nullable<Text>,
        source_note -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    clinics (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        country_code -> Bpchar,
        city -> Nullable<Text>,
        ownership -> Nullable<Text>,
        specialty_scope -> Nullable<Text>,
        specialties -> Array<Text>,
        years_experience -> Nullable<Int4>,
        years_experience_note -> Nullable<Text>,
        patients_per_year -> Nullable<Int4>,
        serves_adults -> Nullable<Bool>,
        serves_children -> Nullable<Bool>,
        min_age -> Nullable<Int4>,
        patient_origin_regions -> Array<Text>,
        notable_technology -> Array<Text>,
        description -> Text,
        claims -> Jsonb,
        conditions_treated -> Array<Text>,
        stem_cell_indications -> Array<Text>,
        accreditations -> Jsonb,
        accreditation_bodies -> Array<Text>,
        notes -> Nullable<Text>,
        source -> Jsonb,
        promoted -> Bool,
        status -> Text,
        score -> Numeric,
        score_parts -> Jsonb,
        price_from_usd -> Nullable<Numeric>,
        condition_slugs -> Array<Text>,
        cell_type_slugs -> Array<Text>,
        search -> Tsvector,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    treatment_packages (id) {
        id -> Uuid,
        slug -> Text,
        clinic_id -> Uuid,
        title -> Text,
        conditions -> Array<Text>,
        cell_type -> Nullable<Text>,
        cell_source -> Nullable<Text>,
        administration_method -> Nullable<Text>,
        injections -> Nullable<Int4>,
        price_min -> Numeric,
        price_max -> Nullable<Numeric>,
        price_kind -> Text,
        currency -> Bpchar,
        price_basis -> Text,
        price_provenance -> Text,
        price_as_of -> Date,
        price_date_note -> Nullable<Text>,
        price_source -> Jsonb,
        inclusions -> Array<Text>,
        exclusions -> Array<Text>,
        unknown_items -> Array<Text>,
        add_ons -> Jsonb,
        source -> Jsonb,
        status -> Text,
        price_min_usd -> Numeric,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    red_flag_detections (id) {
        id -> Uuid,
        subject_type -> Text,
        subject_id -> Uuid,
        code -> Text,
        rule_version -> Int4,
        severity -> Text,
        evidence_text -> Text,
        source_url -> Nullable<Text>,
        detected_at -> Timestamptz,
    }
}

diesel::table! {
    studies (id) {
        id -> Uuid,
        slug -> Text,
        title -> Text,
        publication -> Nullable<Text>,
        year -> Nullable<Int4>,
        url -> Nullable<Text>,
        pmcid -> Nullable<Text>,
        doi -> Nullable<Text>,
        design -> Text,
        oxford_level -> Nullable<Int4>,
        participants -> Nullable<Int4>,
        follow_up_months -> Nullable<Int4>,
        has_control_group -> Nullable<Bool>,
        conditions -> Array<Text>,
        population -> Text,
        intervention -> Jsonb,
        comparator -> Nullable<Text>,
        outcome_measures -> Array<Text>,
        result_as_stated -> Text,
        adverse_events_as_stated -> Nullable<Text>,
        reported_via -> Text,
        article_text -> Nullable<Text>,
        cited_source -> Nullable<Text>,
        possible_origin_note -> Nullable<Text>,
        funding_coi -> Nullable<Text>,
        source -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    evidence_summaries (id) {
        id -> Uuid,
        slug -> Text,
        condition -> Text,
        cell_type -> Nullable<Text>,
        study_slugs -> Array<Text>,
        plain_summary -> Text,
        unknowns -> Array<Text>,
        benefit_range -> Nullable<Text>,
        known_harms -> Nullable<Text>,
        regulatory_context -> Text,
        last_reviewed_at -> Date,
        source -> Jsonb,
        certainty -> Text,
        certainty_reasons -> Jsonb,
        study_count -> Int4,
        participants_known -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(treatment_packages -> clinics (clinic_id));
diesel::allow_tables_to_appear_in_same_query!(clinics, treatment_packages, countries, exchange_rates);
