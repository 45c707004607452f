//! The names `fields=` may give for clinic reads, their companions, and the parameter's schema
//! (docs/SPARSE_FIELDS.md).

use utoipa::ToSchema;

use crate::sparse_fields::FieldCatalog;

/// The top-level fields of [`ClinicResponse`](crate::clinics::present::ClinicResponse) that `fields=` may name, in serialisation order,
/// and their companions (docs/SPARSE_FIELDS.md): the clinic's own words (claims, description,
/// disclosures, accreditations, technology) bring its red flags; a figure brings its source and
/// the source's wording; the evidence verdict brings the evidence it rests on.
pub static CLINIC_FIELDS: FieldCatalog = FieldCatalog {
    names: &CLINIC_FIELD_NAMES,
    companions: &CLINIC_COMPANIONS,
};

/// [`CLINIC_FIELDS`] plus the detail-only `treatment_packages`, `reviews`, `practitioners` and
/// `trial_claims`, for `GET /v1/clinics/{id}` (served by `clinic_detail`), in its serialisation
/// order.
pub static CLINIC_DETAIL_FIELDS: FieldCatalog = FieldCatalog {
    names: &CLINIC_DETAIL_FIELD_NAMES,
    companions: &CLINIC_COMPANIONS,
};

/// The `fields` parameter of the clinic list: names from [`CLINIC_FIELDS`].
pub struct ClinicFieldList;

impl utoipa::PartialSchema for ClinicFieldList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        CLINIC_FIELDS.param_schema()
    }
}

impl ToSchema for ClinicFieldList {}

/// The `fields` parameter of `GET /v1/clinics/{id}`: names from [`CLINIC_DETAIL_FIELDS`].
pub struct ClinicDetailFieldList;

impl utoipa::PartialSchema for ClinicDetailFieldList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        CLINIC_DETAIL_FIELDS.param_schema()
    }
}

impl ToSchema for ClinicDetailFieldList {}

const CLINIC_FIELD_NAMES: [&str; 37] = [
    "red_flags",
    "has_critical_red_flags",
    "listed_by_default",
    "id",
    "slug",
    "name",
    "country",
    "city",
    "website",
    "ownership",
    "specialty_scope",
    "specialties",
    "years_experience",
    "years_experience_note",
    "patients_per_year",
    "ages_served",
    "patient_origin_regions",
    "languages",
    "disclosures",
    "notable_technology",
    "description",
    "claims",
    "conditions_treated",
    "conditions",
    "accreditations",
    "regulatory_status",
    "rank_explanation",
    "promoted",
    "price_from",
    "response_time",
    "evidence",
    "claims_beyond_evidence",
    "unknown_fields",
    "notes",
    "source",
    "created_at",
    "updated_at",
];

/// The fields only the detail has, in its serialisation order after the clinic's own.
pub const DETAIL_ONLY_FIELDS: [&str; 4] = ["treatment_packages", "reviews", "practitioners", "trial_claims"];

const CLINIC_DETAIL_FIELD_NAMES: [&str; 41] = {
    let mut names = [""; 41];
    let mut i = 0;
    while i < CLINIC_FIELD_NAMES.len() {
        names[i] = CLINIC_FIELD_NAMES[i];
        i += 1;
    }
    let mut j = 0;
    while j < DETAIL_ONLY_FIELDS.len() {
        names[i + j] = DETAIL_ONLY_FIELDS[j];
        j += 1;
    }
    names
};

const RED_FLAGS: &[&str] = &["red_flags", "has_critical_red_flags"];

const CLINIC_COMPANIONS: [(&str, &[&str]); 8] = [
    ("claims", RED_FLAGS),
    ("description", RED_FLAGS),
    ("disclosures", RED_FLAGS),
    ("accreditations", RED_FLAGS),
    ("notable_technology", RED_FLAGS),
    ("years_experience", &["years_experience_note", "source"]),
    ("patients_per_year", &["source"]),
    ("claims_beyond_evidence", &["evidence"]),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::clinics::present::ClinicResponse;
    use crate::treatment_packages::present::{TreatmentPackageResponse, PACKAGE_FIELDS};

    fn properties<T: utoipa::PartialSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(T::schema()).expect("schema");
        schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .cloned()
            .collect()
    }

    fn names(catalog: &FieldCatalog) -> BTreeSet<String> {
        catalog.names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn catalogues_name_every_property_of_their_item() {
        assert_eq!(names(&CLINIC_FIELDS), properties::<ClinicResponse>());
        assert_eq!(names(&PACKAGE_FIELDS), properties::<TreatmentPackageResponse>());
        let mut detail = names(&CLINIC_FIELDS);
        detail.extend(DETAIL_ONLY_FIELDS.iter().map(|n| (*n).to_owned()));
        assert_eq!(names(&CLINIC_DETAIL_FIELDS), detail);
        for catalog in [&CLINIC_FIELDS, &CLINIC_DETAIL_FIELDS, &PACKAGE_FIELDS] {
            for (field, companions) in catalog.companions {
                assert!(catalog.names.contains(field), "{field}");
                for companion in *companions {
                    assert!(catalog.names.contains(companion), "{companion}");
                }
            }
        }
    }
}
