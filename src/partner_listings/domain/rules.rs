//! The field rules of clinic and package listings.

use rust_decimal::Decimal;

use super::{FieldErrors, Vocabularies};
use crate::partner_listings::dto::{ClinicInput, PackageInput};

/// The rules of a clinic listing, each error under `errors`' prefix.
pub(super) fn check_clinic(listing: &ClinicInput, errors: &mut FieldErrors<'_>, vocab: &Vocabularies<'_>) {
    if let Some(external_id) = &listing.external_id {
        errors.text("/external_id", external_id, 1, 100);
    }
    errors.text("/name", &listing.name, 1, 200);
    errors.known(
        "/country",
        &listing.country,
        vocab.countries,
        "listed country (ISO 3166-1 alpha-2)",
    );
    if let Some(city) = &listing.city {
        errors.text("/city", city, 1, 100);
    }
    if let Some(ownership) = &listing.ownership {
        errors.one_of("/ownership", ownership, &["private", "public"]);
    }
    if let Some(scope) = &listing.specialty_scope {
        errors.one_of("/specialty_scope", scope, &["single", "multi"]);
    }
    errors.texts("/specialties", &listing.specialties, 30, 100);
    errors.range("/years_experience", listing.years_experience, 0, 200);
    errors.range("/patients_per_year", listing.patients_per_year, 0, 10_000_000);
    errors.range("/min_age", listing.min_age, 0, 120);
    errors.texts(
        "/patient_origin_regions",
        &listing.patient_origin_regions,
        20,
        100,
    );
    errors.texts("/notable_technology", &listing.notable_technology, 30, 200);
    errors.text("/description", &listing.description, 1, 5000);
    errors.texts("/claims", &listing.claims, 20, 1000);
    errors.texts("/conditions_treated", &listing.conditions_treated, 50, 100);
    errors.texts("/stem_cell_indications", &listing.stem_cell_indications, 50, 100);
    if listing.accreditations.len() > 20 {
        errors.add("/accreditations", "must have at most 20 items");
    }
    for (i, accreditation) in listing.accreditations.iter().enumerate() {
        errors.text(&format!("/accreditations/{i}/body"), &accreditation.body, 1, 100);
        if let Some(id) = &accreditation.id {
            errors.text(&format!("/accreditations/{i}/id"), id, 1, 100);
        }
        if let Some(url) = &accreditation.evidence_url {
            errors.https(&format!("/accreditations/{i}/evidence_url"), url);
        }
    }
    if listing.languages.len() > 20 {
        errors.add("/languages", "must have at most 20 items");
    }
    for (i, tag) in listing.languages.iter().enumerate() {
        if !crate::openapi::items::plausible_language_tag(tag) {
            errors.add(
                &format!("/languages/{i}"),
                "must be a BCP 47 language tag such as en or es-MX",
            );
        }
    }
    if let Some(website) = &listing.website {
        errors.https("/website", website);
    }
    if let Some(disclosures) = &listing.disclosures {
        disclosures.validate("/disclosures", &mut |pointer, message| {
            errors.add(&pointer, message)
        });
    }
}

pub(super) fn check_package(listing: &PackageInput, errors: &mut FieldErrors<'_>, vocab: &Vocabularies<'_>) {
    errors.text("/title", &listing.title, 1, 200);
    if listing.conditions.is_empty() || listing.conditions.len() > 10 {
        errors.add("/conditions", "must have 1 to 10 items");
    }
    for (i, slug) in listing.conditions.iter().enumerate() {
        errors.known(
            &format!("/conditions/{i}"),
            slug,
            vocab.conditions,
            "condition slug",
        );
    }
    if let Some(cell) = &listing.cell_type {
        errors.known("/cell_type", cell, vocab.cell_types, "cell type slug");
    }
    if let Some(source) = &listing.cell_source {
        errors.one_of("/cell_source", source, &["autologous", "allogeneic"]);
    }
    if let Some(method) = &listing.administration_method {
        errors.known(
            "/administration_method",
            method,
            vocab.methods,
            "administration method slug",
        );
    }
    errors.range("/injections", listing.injections, 1, 50);
    let price = &listing.price;
    if price.min < Decimal::ZERO || price.min.scale() > 2 || price.min > Decimal::from(10_000_000) {
        errors.add(
            "/price/min",
            "must be between 0 and 10000000 with at most 2 decimals",
        );
    }
    if price
        .max
        .is_some_and(|max| max < price.min || max.scale() > 2 || max > Decimal::from(10_000_000))
    {
        errors.add(
            "/price/max",
            "must be at least min, at most 10000000, with at most 2 decimals",
        );
    }
    errors.known(
        "/price/currency",
        &price.currency,
        vocab.currencies,
        "currency with an exchange rate",
    );
    errors.one_of(
        "/price_basis",
        &listing.price_basis,
        &["per_injection", "package"],
    );
    for (field, items) in [
        ("inclusions", &listing.inclusions),
        ("exclusions", &listing.exclusions),
    ] {
        if items.len() > 50 {
            errors.add(&format!("/{field}"), "must have at most 50 items");
        }
        for (i, code) in items.iter().enumerate() {
            errors.known(
                &format!("/{field}/{i}"),
                code,
                vocab.inclusions,
                "inclusion vocabulary code",
            );
        }
    }
    for code in &listing.inclusions {
        if listing.exclusions.contains(code) {
            errors.add(
                "/exclusions",
                format!("{code} cannot be both included and excluded"),
            );
        }
    }
    if listing.add_ons.len() > 20 {
        errors.add("/add_ons", "must have at most 20 items");
    }
    for (i, add_on) in listing.add_ons.iter().enumerate() {
        errors.text(&format!("/add_ons/{i}/description"), &add_on.description, 1, 300);
        errors.known(
            &format!("/add_ons/{i}/currency"),
            &add_on.currency,
            vocab.currencies,
            "currency",
        );
        if add_on.amount < Decimal::ZERO
            || add_on.amount.scale() > 2
            || add_on.amount > Decimal::from(10_000_000)
        {
            errors.add(
                &format!("/add_ons/{i}/amount"),
                "must be between 0 and 10000000 with at most 2 decimals",
            );
        }
    }
    if let Some(url) = &listing.protocol_url {
        errors.https("/protocol_url", url);
    }
}
