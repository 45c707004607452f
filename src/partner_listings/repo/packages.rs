//! Treatment packages of partners' clinics.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::treatment_packages;
use crate::partner_listings::dto::{PackageInput, PriceInput};
use crate::states::ListingStatus;
use crate::treatment_packages::model::TreatmentPackage;

/// The writable fields of a stored package (the base a merge patch applies to).
pub fn package_input_of(package: &TreatmentPackage) -> PackageInput {
    PackageInput {
        title: package.title.clone(),
        conditions: package.conditions.clone(),
        cell_type: package.cell_type.clone(),
        cell_source: package.cell_source.clone(),
        administration_method: package.administration_method.clone(),
        injections: package.injections,
        price: PriceInput {
            min: package.price_min,
            max: if package.price_kind == "from" {
                None
            } else {
                package.price_max
            },
            currency: package.currency.clone(),
        },
        price_basis: package.price_basis.clone(),
        inclusions: package.inclusions.clone(),
        exclusions: package.exclusions.clone(),
        add_ons: serde_json::from_value(package.add_ons.clone()).unwrap_or_default(),
        protocol_url: package.protocol_url.clone(),
    }
}

/// Inserts or updates (at `expected_version`) a package of `clinic_id`.
pub async fn write_package(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
    existing: Option<(Uuid, i32)>,
    input: &PackageInput,
    inclusion_vocabulary: &[String],
) -> QueryResult<Option<(Uuid, i32)>> {
    let kind = match input.price.max {
        None => "from",
        Some(max) if max == input.price.min => "exact",
        Some(_) => "range",
    };
    let unknown: Vec<String> = inclusion_vocabulary
        .iter()
        .filter(|code| !input.inclusions.contains(code) && !input.exclusions.contains(code))
        .cloned()
        .collect();
    let today = Utc::now().date_naive();
    let source = serde_json::json!({"title": "Price listed by the clinic", "url": null, "section": null, "retrieved_at": today.to_string()});
    let values = (
        treatment_packages::title.eq(&input.title),
        treatment_packages::conditions.eq(&input.conditions),
        treatment_packages::cell_type.eq(&input.cell_type),
        treatment_packages::cell_source.eq(&input.cell_source),
        treatment_packages::administration_method.eq(&input.administration_method),
        treatment_packages::injections.eq(input.injections),
        treatment_packages::price_min.eq(input.price.min),
        treatment_packages::price_max.eq(if kind == "from" { None } else { input.price.max }),
        treatment_packages::price_kind.eq(kind),
        treatment_packages::currency.eq(&input.price.currency),
        treatment_packages::price_basis.eq(&input.price_basis),
        treatment_packages::price_provenance.eq("clinic_listed"),
        treatment_packages::price_as_of.eq(today),
        treatment_packages::price_source.eq(&source),
        treatment_packages::inclusions.eq(&input.inclusions),
        treatment_packages::exclusions.eq(&input.exclusions),
    );
    let more = (
        treatment_packages::unknown_items.eq(&unknown),
        treatment_packages::add_ons.eq(serde_json::to_value(&input.add_ons).unwrap_or_default()),
        treatment_packages::protocol_url.eq(&input.protocol_url),
        treatment_packages::source.eq(&source),
    );
    match existing {
        None => {
            let slug = format!("pkg-{}", Uuid::new_v4().simple());
            let row: (Uuid, i32) = diesel::insert_into(treatment_packages::table)
                .values((
                    values,
                    more,
                    treatment_packages::slug.eq(slug),
                    treatment_packages::clinic_id.eq(clinic_id),
                    treatment_packages::price_min_usd.eq(input.price.min),
                ))
                .returning((treatment_packages::id, treatment_packages::version))
                .get_result(conn)
                .await?;
            Ok(Some(row))
        }
        Some((id, version)) => diesel::update(
            treatment_packages::table
                .filter(treatment_packages::id.eq(id))
                .filter(treatment_packages::version.eq(version))
                .filter(treatment_packages::deleted_at.is_null()),
        )
        .set((
            values,
            more,
            treatment_packages::version.eq(version + 1),
            treatment_packages::updated_at.eq(diesel::dsl::now),
        ))
        .returning((treatment_packages::id, treatment_packages::version))
        .get_result(conn)
        .await
        .optional(),
    }
}

/// A clinic's packages that are not deleted, oldest first.
pub async fn live_packages(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
) -> QueryResult<Vec<TreatmentPackage>> {
    treatment_packages::table
        .filter(treatment_packages::clinic_id.eq(clinic_id))
        .filter(treatment_packages::deleted_at.is_null())
        .order(treatment_packages::created_at.asc())
        .select(TreatmentPackage::as_select())
        .load(conn)
        .await
}

/// Replaces a clinic's live packages with `packages` (old ones are unlisted, not deleted).
pub async fn replace_packages(
    conn: &mut AsyncPgConnection,
    clinic_id: Uuid,
    packages: &[PackageInput],
    inclusion_vocabulary: &[String],
) -> QueryResult<()> {
    diesel::update(
        treatment_packages::table
            .filter(treatment_packages::clinic_id.eq(clinic_id))
            .filter(treatment_packages::deleted_at.is_null()),
    )
    .set((
        treatment_packages::status.eq(ListingStatus::Unlisted),
        treatment_packages::deleted_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    for package in packages {
        write_package(conn, clinic_id, None, package, inclusion_vocabulary).await?;
    }
    Ok(())
}

/// Unlists one package (soft delete), moving it past `version`.
pub async fn unlist_package(conn: &mut AsyncPgConnection, id: Uuid, version: i32) -> QueryResult<()> {
    diesel::update(treatment_packages::table.find(id))
        .set((
            treatment_packages::status.eq(ListingStatus::Unlisted),
            treatment_packages::deleted_at.eq(diesel::dsl::now),
            treatment_packages::version.eq(version + 1),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
