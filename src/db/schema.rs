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
        usage_study_slugs -> Array<Text>,
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
        regulatory_claim -> Nullable<Text>,
        regulatory_verified_at -> Nullable<Date>,
        regulatory_verified_source -> Nullable<Jsonb>,
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
        partner_id -> Nullable<Uuid>,
        version -> Int4,
        external_id -> Nullable<Text>,
        languages -> Array<Text>,
        website -> Nullable<Text>,
        input_hash -> Nullable<Bytea>,
        moderation_note -> Nullable<Text>,
        deleted_at -> Nullable<Timestamptz>,
        has_critical_flag -> Bool,
        protocol_disclosure -> Nullable<Text>,
        protocol_ref -> Nullable<Text>,
        ethics_disclosure -> Nullable<Text>,
        ethics_ref -> Nullable<Text>,
        deposit_due -> Nullable<Text>,
        deposit_refund_pct -> Nullable<Int2>,
        review_hosting -> Nullable<Text>,
        patients_per_year_scope -> Nullable<Text>,
        patients_per_year_verified_value -> Nullable<Int4>,
        stem_cell_efficacy_claim -> Bool,
        price_from_min -> Nullable<Numeric>,
        price_from_max -> Nullable<Numeric>,
        price_from_kind -> Nullable<Text>,
        price_from_currency -> Nullable<Bpchar>,
        price_from_provenance -> Nullable<Text>,
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
        version -> Int4,
        protocol_url -> Nullable<Text>,
        deleted_at -> Nullable<Timestamptz>,
        country_code -> Bpchar,
        price_max_usd -> Nullable<Numeric>,
        has_critical_flag -> Bool,
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
    partners (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        prefix -> Text,
        secret_hash -> Bytea,
        role -> Text,
        partner_id -> Nullable<Uuid>,
        name -> Nullable<Text>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    quotes (id) {
        id -> Uuid,
        status -> Text,
        access_token_hash -> Bytea,
        condition_slug -> Text,
        has_mri -> Bool,
        preferred_countries -> Array<Text>,
        preferred_cell_types -> Array<Text>,
        budget_amount -> Nullable<Numeric>,
        budget_currency -> Nullable<Bpchar>,
        travel_from -> Nullable<Date>,
        travel_to -> Nullable<Date>,
        patient_country -> Nullable<Bpchar>,
        preferred_language -> Nullable<Text>,
        contact_ciphertext -> Nullable<Bytea>,
        notes_ciphertext -> Nullable<Bytea>,
        email_hash -> Nullable<Bytea>,
        consent_at -> Timestamptz,
        share_mode -> Text,
        estimates -> Jsonb,
        accepted_offer_id -> Nullable<Uuid>,
        expires_at -> Timestamptz,
        erased_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    quote_routes (quote_id, clinic_id) {
        quote_id -> Uuid,
        clinic_id -> Uuid,
        routed_at -> Timestamptz,
    }
}

diesel::table! {
    offers (id) {
        id -> Uuid,
        quote_id -> Uuid,
        clinic_id -> Uuid,
        author_key_id -> Uuid,
        package_id -> Nullable<Uuid>,
        line_items -> Jsonb,
        total -> Numeric,
        currency -> Bpchar,
        injections -> Nullable<Int4>,
        cell_type -> Nullable<Text>,
        cell_source -> Nullable<Text>,
        exclusions -> Array<Text>,
        price_change_conditions -> Nullable<Text>,
        max_increase_percent -> Numeric,
        deposit -> Jsonb,
        refund_policy -> Jsonb,
        outcome_guarantee -> Nullable<Text>,
        valid_until -> Timestamptz,
        notes -> Nullable<Text>,
        red_flags -> Jsonb,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Bytea,
        status_code -> Int4,
        location -> Nullable<Text>,
        etag -> Nullable<Text>,
        body_ciphertext -> Bytea,
        quote_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_key_id -> Nullable<Uuid>,
        actor_role -> Text,
        action -> Text,
        quote_id -> Nullable<Uuid>,
        request_id -> Nullable<Text>,
        subject -> Nullable<Text>,
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
        funding_coi -> Jsonb,
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

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        partner_id -> Nullable<Uuid>,
        url -> Text,
        secret_ciphertext -> Bytea,
        description -> Nullable<Text>,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Uuid,
        partner_id -> Nullable<Uuid>,
        #[sql_name = "type"]
        type_ -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        event_id -> Uuid,
        endpoint_id -> Uuid,
        partner_id -> Nullable<Uuid>,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        last_attempt_at -> Nullable<Timestamptz>,
        last_status_code -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        delivery_id -> Uuid,
        at -> Timestamptz,
        status_code -> Nullable<Int4>,
        error -> Nullable<Text>,
        duration_ms -> Int4,
    }
}

diesel::table! {
    practitioners (id) {
        id -> Uuid,
        clinic_id -> Uuid,
        name -> Text,
        role -> Text,
        specialty -> Nullable<Text>,
        licence_number -> Nullable<Text>,
        licence_issuer -> Nullable<Text>,
        licence_country -> Nullable<Text>,
        languages -> Array<Text>,
        status -> Text,
        red_flags -> Jsonb,
        version -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    trial_registry_lookups (nct_id) {
        nct_id -> Text,
        next_attempt_at -> Nullable<Timestamptz>,
        attempts -> Int4,
        last_attempt_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        enqueued_at -> Timestamptz,
    }
}

diesel::table! {
    treatment_records (id) {
        id -> Uuid,
        quote_id -> Uuid,
        offer_id -> Uuid,
        clinic_id -> Uuid,
        outcome -> Text,
        treated_on -> Nullable<Date>,
        cell_type_slug -> Nullable<Text>,
        cell_source -> Nullable<Text>,
        details_ciphertext -> Nullable<Bytea>,
        not_treated_reason -> Nullable<Text>,
        recorded_by -> Text,
        recorded_by_key_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    trial_registry_snapshots (nct_id) {
        nct_id -> Text,
        record -> Text,
        title -> Nullable<Text>,
        overall_status -> Nullable<Text>,
        phases -> Array<Text>,
        lead_sponsor -> Nullable<Text>,
        conditions -> Array<Text>,
        interventions -> Array<Text>,
        location_countries -> Array<Text>,
        enrollment -> Nullable<Int4>,
        results_posted -> Nullable<Bool>,
        completion_date -> Nullable<Text>,
        last_update_date -> Nullable<Date>,
        fetched_at -> Timestamptz,
    }
}

diesel::table! {
    verifications (id) {
        id -> Uuid,
        sequence -> Int8,
        subject_kind -> Text,
        subject_id -> Uuid,
        subject_key -> Text,
        clinic_id -> Uuid,
        source_url -> Text,
        checked_at -> Timestamptz,
        checked_by_key -> Uuid,
        checked_by_role -> Text,
        result -> Text,
        valid_until -> Nullable<Date>,
        note -> Nullable<Text>,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    trial_registry_citations (subject_id, nct_id) {
        subject_id -> Uuid,
        clinic_id -> Uuid,
        nct_id -> Text,
    }
}

diesel::table! {
    verification_expiries (verification_id) {
        verification_id -> Uuid,
        applied_at -> Timestamptz,
    }
}

diesel::table! {
    trial_registry_stale_clinics (clinic_id) {
        clinic_id -> Uuid,
    }
}

diesel::table! {
    handover_links (id) {
        id -> Uuid,
        quote_id -> Uuid,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reviews (id) {
        id -> Uuid,
        quote_id -> Uuid,
        clinic_id -> Uuid,
        rating -> Int2,
        body -> Text,
        treated_month -> Date,
        red_flags -> Jsonb,
        created_at -> Timestamptz,
        edited_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    review_revisions (id) {
        id -> Uuid,
        review_id -> Uuid,
        rating -> Int2,
        body_ciphertext -> Bytea,
        written_at -> Timestamptz,
        replaced_at -> Timestamptz,
    }
}

diesel::table! {
    review_replies (review_id) {
        review_id -> Uuid,
        partner_id -> Uuid,
        body -> Text,
        red_flags -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    trials (nct_id) {
        id -> Uuid,
        nct_id -> Text,
        title -> Nullable<Text>,
        overall_status -> Nullable<Text>,
        phases -> Array<Text>,
        lead_sponsor -> Nullable<Text>,
        conditions -> Array<Text>,
        interventions -> Array<Text>,
        location_countries -> Array<Text>,
        country_codes -> Array<Text>,
        condition_slugs -> Array<Text>,
        enrollment -> Nullable<Int4>,
        results_posted -> Nullable<Bool>,
        completion_date -> Nullable<Text>,
        last_update_date -> Nullable<Date>,
        origin -> Text,
        source -> Jsonb,
        fetched_at -> Timestamptz,
    }
}

diesel::table! {
    follow_up_responses (quote_id, time_point) {
        quote_id -> Uuid,
        time_point -> Text,
        state -> Text,
        answer_ciphertext -> Nullable<Bytea>,
        responded_at -> Timestamptz,
    }
}

diesel::table! {
    follow_up_announcements (quote_id, time_point) {
        quote_id -> Uuid,
        time_point -> Text,
        announced_at -> Timestamptz,
        event_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    registry_consents (quote_id) {
        quote_id -> Uuid,
        granted_at -> Timestamptz,
    }
}

diesel::table! {
    outcome_registry_entries (id) {
        id -> Int8,
        pseudonym -> Nullable<Bytea>,
        clinic_id -> Uuid,
        condition_slug -> Text,
        cell_type_slug -> Text,
        country_code -> Bpchar,
        time_point -> Text,
        answered -> Bool,
        back_pain_baseline -> Nullable<Int2>,
        back_pain -> Nullable<Int2>,
        leg_pain_baseline -> Nullable<Int2>,
        leg_pain -> Nullable<Int2>,
        odi_baseline -> Nullable<Float8>,
        odi -> Nullable<Float8>,
        adverse_event -> Nullable<Bool>,
    }
}

diesel::joinable!(treatment_packages -> clinics (clinic_id));
diesel::joinable!(quote_routes -> clinics (clinic_id));
diesel::joinable!(quote_routes -> quotes (quote_id));
diesel::joinable!(offers -> quotes (quote_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(practitioners -> clinics (clinic_id));
diesel::joinable!(verifications -> clinics (clinic_id));
diesel::joinable!(verification_expiries -> verifications (verification_id));
diesel::joinable!(treatment_records -> quotes (quote_id));
diesel::joinable!(treatment_records -> clinics (clinic_id));
diesel::joinable!(handover_links -> quotes (quote_id));
diesel::joinable!(trial_registry_citations -> clinics (clinic_id));
diesel::joinable!(reviews -> clinics (clinic_id));
diesel::joinable!(review_revisions -> reviews (review_id));
diesel::joinable!(review_replies -> reviews (review_id));
diesel::joinable!(follow_up_responses -> quotes (quote_id));
diesel::joinable!(follow_up_announcements -> quotes (quote_id));
diesel::joinable!(registry_consents -> quotes (quote_id));
diesel::allow_tables_to_appear_in_same_query!(
    clinics,
    treatment_packages,
    countries,
    exchange_rates,
    quotes,
    quote_routes,
    offers,
    partners,
    api_keys,
    webhook_endpoints,
    webhook_events,
    webhook_deliveries,
    webhook_attempts,
    red_flag_detections,
    practitioners,
    verifications,
    verification_expiries,
    treatment_records,
    handover_links,
    trial_registry_citations,
    reviews,
    review_revisions,
    review_replies,
    follow_up_responses,
    follow_up_announcements,
    registry_consents,
    outcome_registry_entries
);
