//! Derived listing data, recomputed after every change to clinics, packages, rates or rules:
//! USD prices for cross-currency filters, per-clinic aggregates, red flags and scores.
//! Each write only touches rows whose derived values actually changed.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Jsonb, Nullable, Numeric, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::clinics::model::Clinic;
use crate::clinics::scoring::{self, PackageTransparency, ScoreInput};
use crate::db::schema::{clinics, conditions, treatment_packages};
use crate::red_flags::disclosures::DISCLOSURE_RULES;
use crate::red_flags::engine::{
    self, Detection, Disclosed, Disclosures, Facts, PackageFacts, RuleBook, Subject,
};
use crate::red_flags::verified::VerifiedFacts;
use crate::states::ListingStatus;
use crate::treatment_packages::model::TreatmentPackage;

const REFRESH_PRICES: &str = "
UPDATE treatment_packages p SET price_min_usd = round(p.price_min / r.units_per_usd, 2),
    price_max_usd = round(p.price_max / r.units_per_usd, 2)
FROM exchange_rates r
WHERE r.currency = p.currency
  AND (p.price_min_usd, p.price_max_usd)
      IS DISTINCT FROM (round(p.price_min / r.units_per_usd, 2), round(p.price_max / r.units_per_usd, 2))
  AND ($1::uuid IS NULL OR p.clinic_id = $1)";

/// Each clinic's aggregates over its published packages: the cheapest one's USD minimum
/// (`price_from_usd`, for filters and the price order) and listed price (`price_from_*`, what a
/// page of clinics shows; ties: lowest id), and its conditions and cell types.
const REFRESH_CLINIC_AGGREGATES: &str = "
WITH agg AS (
    SELECT c.id, cp.price_min_usd AS price_from_usd, cp.price_min, cp.price_max, cp.price_kind,
        cp.currency, cp.price_provenance,
        ARRAY(SELECT DISTINCT unnest(p.conditions) FROM treatment_packages p
              WHERE p.clinic_id = c.id AND p.status = $2 ORDER BY 1) AS condition_slugs,
        ARRAY(SELECT DISTINCT p.cell_type FROM treatment_packages p
              WHERE p.clinic_id = c.id AND p.status = $2 AND p.cell_type IS NOT NULL ORDER BY 1) AS cell_type_slugs
    FROM clinics c
    LEFT JOIN LATERAL (
        SELECT p.price_min_usd, p.price_min, p.price_max, p.price_kind, p.currency, p.price_provenance
        FROM treatment_packages p WHERE p.clinic_id = c.id AND p.status = $2
        ORDER BY p.price_min_usd ASC, p.id ASC LIMIT 1) cp ON true
    WHERE $1::uuid IS NULL OR c.id = $1
)
UPDATE clinics c SET price_from_usd = agg.price_from_usd, price_from_min = agg.price_min,
    price_from_max = agg.price_max, price_from_kind = agg.price_kind,
    price_from_currency = agg.currency, price_from_provenance = agg.price_provenance,
    condition_slugs = agg.condition_slugs, cell_type_slugs = agg.cell_type_slugs
FROM agg
WHERE agg.id = c.id
  AND (c.price_from_usd, c.price_from_min, c.price_from_max, c.price_from_kind, c.price_from_currency,
       c.price_from_provenance, c.condition_slugs, c.cell_type_slugs)
      IS DISTINCT FROM (agg.price_from_usd, agg.price_min, agg.price_max, agg.price_kind, agg.currency,
       agg.price_provenance, agg.condition_slugs, agg.cell_type_slugs)";

const UPSERT_DETECTION: &str = "
INSERT INTO red_flag_detections (subject_type, subject_id, code, rule_version, severity, evidence_text, source_url)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (subject_type, subject_id, code) DO UPDATE SET rule_version = EXCLUDED.rule_version,
    severity = EXCLUDED.severity, evidence_text = EXCLUDED.evidence_text, source_url = EXCLUDED.source_url,
    detected_at = now()
WHERE (red_flag_detections.rule_version, red_flag_detections.severity, red_flag_detections.evidence_text,
       red_flag_detections.source_url)
    IS DISTINCT FROM (EXCLUDED.rule_version, EXCLUDED.severity, EXCLUDED.evidence_text, EXCLUDED.source_url)";

const DELETE_STALE_DETECTIONS: &str =
    "DELETE FROM red_flag_detections WHERE subject_type = $1 AND subject_id = $2 AND NOT (code = ANY($3))";

const UPDATE_SCORE: &str = "
UPDATE clinics SET score = $2, score_parts = $3, stem_cell_efficacy_claim = $4
WHERE id = $1
  AND (score, score_parts, stem_cell_efficacy_claim) IS DISTINCT FROM ($2::numeric, $3::jsonb, $4::boolean)";

/// `clinics.has_critical_flag` (migration 000920): a critical detection on the clinic or on one of
/// its published packages. Such clinics leave default lists and searches (red-flags.md).
const REFRESH_CLINIC_CRITICAL: &str = "
UPDATE clinics c SET has_critical_flag = x.flag
FROM (SELECT c2.id,
             EXISTS (SELECT 1 FROM red_flag_detections d WHERE d.subject_id = c2.id AND d.severity = 'critical')
             OR EXISTS (SELECT 1 FROM treatment_packages p
                        JOIN red_flag_detections d ON d.subject_id = p.id AND d.severity = 'critical'
                        WHERE p.clinic_id = c2.id AND p.status = $2) AS flag
      FROM clinics c2 WHERE $1::uuid IS NULL OR c2.id = $1) x
WHERE x.id = c.id AND c.has_critical_flag IS DISTINCT FROM x.flag";

/// `treatment_packages.has_critical_flag`: a critical detection on the package, or its clinic's
/// flag; such packages leave default lists and quote estimates (`package_matching`'s trigger).
const REFRESH_PACKAGE_CRITICAL: &str = "
UPDATE treatment_packages p SET has_critical_flag = x.flag
FROM (SELECT p2.id,
             c.has_critical_flag
             OR EXISTS (SELECT 1 FROM red_flag_detections d WHERE d.subject_id = p2.id AND d.severity = 'critical') AS flag
      FROM treatment_packages p2 JOIN clinics c ON c.id = p2.clinic_id
      WHERE $1::uuid IS NULL OR p2.clinic_id = $1) x
WHERE x.id = p.id AND p.has_critical_flag IS DISTINCT FROM x.flag";

/// Median hours from a quote being routed to a clinic to that clinic's first offer on it.
/// Recomputes every derived value for every listing.
pub async fn refresh_all(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    let book = crate::red_flags::repo::load_rule_book(conn).await?;
    refresh(conn, &book, None).await
}

/// Recomputes only what exchange rates feed: packages' USD prices and each clinic's lowest USD
/// price (after a rate refresh; flags and scores do not depend on rates).
pub async fn refresh_prices(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query(REFRESH_PRICES)
        .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(None::<Uuid>)
        .execute(conn)
        .await?;
    refresh_clinic_aggregates(conn, None).await
}

/// Recomputes the clinics' aggregates over their published packages (all clinics, or `only`).
async fn refresh_clinic_aggregates(conn: &mut AsyncPgConnection, only: Option<Uuid>) -> QueryResult<()> {
    diesel::sql_query(REFRESH_CLINIC_AGGREGATES)
        .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(only)
        .bind::<Text, _>(ListingStatus::Published)
        .execute(conn)
        .await?;
    Ok(())
}

/// Recomputes the flags and score of one clinic (e.g. after it answered a quote).
/// `book` is the compiled rule set (compiling it is the expensive part, so callers pass theirs).
pub async fn refresh_clinic(
    conn: &mut AsyncPgConnection,
    book: &RuleBook,
    clinic_id: Uuid,
) -> QueryResult<()> {
    refresh(conn, book, Some(clinic_id)).await
}

async fn refresh(conn: &mut AsyncPgConnection, book: &RuleBook, only: Option<Uuid>) -> QueryResult<()> {
    diesel::sql_query(REFRESH_PRICES)
        .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(only)
        .execute(conn)
        .await?;
    refresh_clinic_aggregates(conn, only).await?;

    let spine: Vec<String> = conditions::table
        .filter(conditions::spine_indication.eq(true))
        .select(conditions::slug)
        .load(conn)
        .await?;
    let mut clinic_query = clinics::table.select(Clinic::as_select()).into_boxed();
    let mut package_query = treatment_packages::table
        .select(TreatmentPackage::as_select())
        .into_boxed();
    if let Some(id) = only {
        clinic_query = clinic_query.filter(clinics::id.eq(id));
        package_query = package_query.filter(treatment_packages::clinic_id.eq(id));
    }
    let all_clinics: Vec<Clinic> = clinic_query.load(conn).await?;
    let packages: Vec<TreatmentPackage> = package_query.load(conn).await?;
    let clinic_ids: Vec<Uuid> = all_clinics.iter().map(|c| c.id).collect();
    let speeds = crate::clinics::repo::response_times(&mut &*conn, &clinic_ids).await?;
    let verified = crate::red_flags::verified::facts_for(conn, &clinic_ids).await?;
    let mut packages_by_clinic: HashMap<Uuid, Vec<&TreatmentPackage>> = HashMap::new();
    for package in &packages {
        packages_by_clinic
            .entry(package.clinic_id)
            .or_default()
            .push(package);
    }

    for clinic in &all_clinics {
        let own_packages = packages_by_clinic.get(&clinic.id).cloned().unwrap_or_default();
        let checked = verified.get(&clinic.id).cloned().unwrap_or_default();
        let mut flags = clinic_flags(book, clinic, &spine, &checked);
        store_detections(conn, "clinic", clinic.id, &flags).await?;
        let efficacy_claim = stem_cell_efficacy_claim(book, clinic, &spine, &checked, &flags);
        let disclosures = clinic.disclosures.facts();
        for package in &own_packages {
            let package_flags = package_flags(book, package, &spine, &disclosures);
            store_detections(conn, "treatment_package", package.id, &package_flags).await?;
            // A package's disclosure flags repeat its clinic's (it inherits them, its own protocol
            // aside), so the score counts them once, on the clinic.
            flags.extend(
                package_flags
                    .into_iter()
                    .filter(|f| !DISCLOSURE_RULES.contains(&f.code.as_str())),
            );
        }
        let input = ScoreInput {
            verified_accreditations: checked.verified_accreditations(&clinic.accreditations),
            patients_per_year: clinic.patients_per_year,
            patients_per_year_scope: clinic.patients_per_year_scope.clone(),
            patients_per_year_verified: clinic.patients_per_year.is_some()
                && clinic.patients_per_year == clinic.patients_per_year_verified_value,
            packages: own_packages
                .iter()
                .filter(|p| p.status == ListingStatus::Published.as_str())
                .map(|p| PackageTransparency {
                    priced_by_clinic: p.priced_by_clinic(),
                    exclusions_stated: p.exclusions_stated(),
                    lists_inclusions: !p.inclusions.is_empty(),
                })
                .collect(),
            flags: flags.iter().map(|d| (d.code.clone(), d.severity)).collect(),
            median_hours_to_first_offer: speeds.get(&clinic.id).map(|s| s.hours),
        };
        let (total, parts) = scoring::score(&input);
        diesel::sql_query(UPDATE_SCORE)
            .bind::<SqlUuid, _>(clinic.id)
            .bind::<Numeric, _>(total)
            .bind::<Jsonb, _>(serde_json::to_value(&parts).unwrap_or_default())
            .bind::<diesel::sql_types::Bool, _>(efficacy_claim)
            .execute(conn)
            .await?;
    }
    // After every detection is stored: which listings critical flags keep out of default lists.
    diesel::sql_query(REFRESH_CLINIC_CRITICAL)
        .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(only)
        .bind::<Text, _>(ListingStatus::Published)
        .execute(conn)
        .await?;
    diesel::sql_query(REFRESH_PACKAGE_CRITICAL)
        .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(only)
        .execute(conn)
        .await?;
    Ok(())
}

fn is_spine(conditions: &[String], spine: &[String]) -> bool {
    conditions.iter().any(|c| spine.contains(c))
}

/// Red flags of a clinic's own listing text and facts (`checked`: what verification records confirm).
pub fn clinic_flags(
    book: &RuleBook,
    clinic: &Clinic,
    spine: &[String],
    checked: &VerifiedFacts,
) -> Vec<Detection> {
    clinic_text_flags(book, clinic, spine, checked, false)
}

/// Whether the clinic's texts about stem cell treatment (its description and every claim not
/// tagged as about another treatment) raise an efficacy red flag: what `claims_beyond_evidence`
/// weighs, so a weight-loss-surgery figure does not count against a stem cell listing.
/// `flags` are the clinic's flags over all its texts.
fn stem_cell_efficacy_claim(
    book: &RuleBook,
    clinic: &Clinic,
    spine: &[String],
    checked: &VerifiedFacts,
    flags: &[Detection],
) -> bool {
    let efficacy = |flags: &[Detection]| {
        flags
            .iter()
            .any(|f| crate::evidence::links::EFFICACY_CLAIM_CODES.contains(&f.code.as_str()))
    };
    if clinic.claims.iter().all(|c| c.topic.about_stem_cells()) {
        return efficacy(flags);
    }
    efficacy(&clinic_text_flags(book, clinic, spine, checked, true))
}

fn clinic_text_flags(
    book: &RuleBook,
    clinic: &Clinic,
    spine: &[String],
    checked: &VerifiedFacts,
    stem_cells_only: bool,
) -> Vec<Detection> {
    let mut texts = vec![("/description".to_owned(), clinic.description.as_str())];
    texts.extend(
        clinic
            .claims
            .iter()
            .enumerate()
            .filter(|(_, claim)| !stem_cells_only || claim.topic.about_stem_cells())
            .map(|(i, claim)| (format!("/claims/{i}/text"), claim.text.as_str())),
    );
    let subject = Subject {
        texts,
        facts: Facts {
            spine_indication: is_spine(&clinic.condition_slugs, spine),
            stem_cell_indications: clinic.stem_cell_indications.clone(),
            package: None,
            unverified_accreditations: checked.unverified_accreditations(&clinic.accreditations),
            disclosures: Some(clinic.disclosures.facts()),
            practitioners: Some(checked.practitioners),
        },
    };
    engine::evaluate(book, &subject)
}

/// Red flags of one package. It inherits its clinic's disclosures (`clinic`), except a protocol
/// of its own (`protocol_url`), which overrides the clinic's.
pub fn package_flags(
    book: &RuleBook,
    package: &TreatmentPackage,
    spine: &[String],
    clinic: &Disclosures,
) -> Vec<Detection> {
    let mut disclosures = clinic.clone();
    if let Some(url) = &package.protocol_url {
        disclosures.protocol = Disclosed::Given(url.clone());
    }
    let subject = Subject {
        texts: vec![("/title".to_owned(), package.title.as_str())],
        facts: Facts {
            spine_indication: is_spine(&package.conditions, spine),
            stem_cell_indications: Vec::new(),
            package: Some(PackageFacts {
                authored_by_clinic: package.priced_by_clinic(),
                cell_type: package.cell_type.clone(),
                cell_source: package.cell_source.clone(),
                exclusions_stated: package.exclusions_stated(),
                price_open_ended: package.price_kind == "from",
            }),
            unverified_accreditations: Vec::new(),
            disclosures: Some(disclosures),
            practitioners: None,
        },
    };
    engine::evaluate(book, &subject)
}

async fn store_detections(
    conn: &mut AsyncPgConnection,
    subject_type: &str,
    subject_id: Uuid,
    detections: &[Detection],
) -> QueryResult<()> {
    let codes: Vec<String> = detections.iter().map(|d| d.code.clone()).collect();
    diesel::sql_query(DELETE_STALE_DETECTIONS)
        .bind::<Text, _>(subject_type)
        .bind::<SqlUuid, _>(subject_id)
        .bind::<Array<Text>, _>(&codes)
        .execute(conn)
        .await?;
    for detection in detections {
        diesel::sql_query(UPSERT_DETECTION)
            .bind::<Text, _>(subject_type)
            .bind::<SqlUuid, _>(subject_id)
            .bind::<Text, _>(&detection.code)
            .bind::<Integer, _>(detection.rule_version)
            .bind::<Text, _>(detection.severity.as_str())
            .bind::<Text, _>(&detection.evidence_text)
            .bind::<Nullable<Text>, _>(detection.source_url.as_deref())
            .execute(conn)
            .await?;
    }
    Ok(())
}
