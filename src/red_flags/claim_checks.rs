//! `POST /v1/claim-checks`: listing text, package fields and disclosures checked against the
//! red-flag rules before publishing, without storing anything.

use actix_web::{post, web, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::{conditions, inclusion_items};
use crate::error::{ApiError, FieldError, Problem};
use crate::openapi::items::{FreeText200, FreeText2000, Slug, VocabularyCode};
use crate::red_flags::disclosures::Disclosures;
use crate::red_flags::engine::{self, Facts, PackageFacts, RuleBook, Subject};
use crate::red_flags::RedFlag;
use crate::state::AppState;
use crate::text::has_forbidden_control;

const CONTROL: &str = "must not contain control characters (other than tab and line breaks)";

/// Structured package fields to check alongside the text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimCheckPackage {
    /// Cell type slug (e.g. `bm-msc`) or the product's own name (e.g. `exosomes`); omit if unknown.
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        example = "bm-msc"
    )]
    pub cell_type: Option<String>,
    /// `autologous` or `allogeneic`; omit if unknown.
    #[schema(
        example = "autologous",
        max_length = 10,
        pattern = "^(autologous|allogeneic)$"
    )]
    pub cell_source: Option<String>,
    /// Included items (inclusion vocabulary codes).
    #[schema(value_type = Vec<VocabularyCode>, inline, max_items = 50)]
    #[serde(default)]
    pub inclusions: Vec<String>,
    /// Excluded items (inclusion vocabulary codes). Items neither included nor excluded count as unstated.
    #[schema(value_type = Vec<VocabularyCode>, inline, max_items = 50)]
    #[serde(default)]
    pub exclusions: Vec<String>,
    /// `exact`, `range` or `from` (a price with no maximum).
    #[schema(example = "range", max_length = 5, pattern = "^(exact|range|from)$")]
    pub price_kind: Option<String>,
}

/// Listing text and fields to check against the red-flag rules before publishing.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimCheckRequest {
    /// The listing's description or any marketing text (plain text, at most 20,000 characters).
    #[schema(
        min_length = 1,
        max_length = 20000,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        example = "Our doctors have a 100% success rate. Celebrities trust us."
    )]
    pub text: String,
    /// Individual claims, each checked separately (at most 50, 2,000 characters each).
    #[schema(value_type = Vec<FreeText2000>, inline, max_items = 50)]
    #[serde(default)]
    pub claims: Vec<String>,
    /// Condition slugs the listing treats (spine conditions add the informational FDA flag).
    #[schema(value_type = Vec<Slug>, inline, max_items = 20, example = json!(["sciatica"]))]
    #[serde(default)]
    pub conditions: Vec<String>,
    /// Everything the provider says it treats with stem cells, in its own words (at most 50, 200
    /// characters each).
    #[schema(value_type = Vec<FreeText200>, inline, max_items = 50, example = json!(["back pain", "autism"]))]
    #[serde(default)]
    pub stem_cell_indications: Vec<String>,
    /// Structured fields of a package the clinic prices itself.
    pub package: Option<ClaimCheckPackage>,
    /// What the listing discloses about its protocol, ethics approval, deposit and reviews, in the
    /// shape partner listings use. Absent (or any field absent): an informational "not stated" flag
    /// for each rule it feeds.
    pub disclosures: Option<Disclosures>,
}

/// The flags a text would raise.
#[derive(Serialize, ToSchema)]
pub struct ClaimCheckResponse {
    /// Flags, most severe first; empty when nothing was found.
    pub red_flags: Vec<RedFlag>,
    /// Codes of rules that were applied.
    pub evaluated_rules: Vec<String>,
    /// Codes of published rules not applied to this text: StemCare does not record their fields,
    /// or (the `REGISTRY_*` rules other than not-found and pending) they need a listing.
    pub not_evaluated_rules: Vec<String>,
    /// The NCT ids the text cites and what ClinicalTrials.gov said of them when StemCare last
    /// looked (`pending`: not yet checked; checks run for published listings, not for this text).
    pub registry_checks: Vec<super::registry::RegistryCheck>,
    pub disclaimer: crate::disclaimer::Disclaimer,
}

fn validate(
    request: &ClaimCheckRequest,
    known_conditions: &[String],
    vocabulary: &[String],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut fail = |pointer: String, message: &str| {
        errors.push(FieldError {
            pointer,
            message: message.to_owned(),
        })
    };
    if request.text.trim().is_empty() {
        fail("/text".into(), "must not be empty");
    }
    if request.text.chars().count() > 20_000 {
        fail("/text".into(), "must be at most 20000 characters");
    }
    if has_forbidden_control(&request.text) {
        fail("/text".into(), CONTROL);
    }
    if request.claims.len() > 50 {
        fail("/claims".into(), "must have at most 50 items");
    }
    for (i, claim) in request.claims.iter().enumerate() {
        if claim.chars().count() > 2_000 {
            fail(format!("/claims/{i}"), "must be at most 2000 characters");
        } else if has_forbidden_control(claim) {
            fail(format!("/claims/{i}"), CONTROL);
        }
    }
    if request.conditions.len() > 20 {
        fail("/conditions".into(), "must have at most 20 items");
    }
    for (i, slug) in request.conditions.iter().enumerate() {
        if !known_conditions.contains(slug) {
            fail(
                format!("/conditions/{i}"),
                "is not a known condition slug (see GET /v1/conditions)",
            );
        }
    }
    if request.stem_cell_indications.len() > 50 {
        fail("/stem_cell_indications".into(), "must have at most 50 items");
    }
    for (i, indication) in request.stem_cell_indications.iter().enumerate() {
        if indication.chars().count() > 200 {
            fail(
                format!("/stem_cell_indications/{i}"),
                "must be at most 200 characters",
            );
        } else if has_forbidden_control(indication) {
            fail(format!("/stem_cell_indications/{i}"), CONTROL);
        }
    }
    if let Some(disclosures) = &request.disclosures {
        disclosures.validate("/disclosures", &mut |pointer, message| fail(pointer, &message));
    }
    if let Some(package) = &request.package {
        if package
            .cell_type
            .as_ref()
            .is_some_and(|c| !crate::text::is_free_text(c, 100))
        {
            fail(
                "/package/cell_type".into(),
                "must be at most 100 characters, without control characters",
            );
        }
        if package
            .cell_source
            .as_ref()
            .is_some_and(|s| s != "autologous" && s != "allogeneic")
        {
            fail("/package/cell_source".into(), "must be autologous or allogeneic");
        }
        if package
            .price_kind
            .as_ref()
            .is_some_and(|k| !["exact", "range", "from"].contains(&k.as_str()))
        {
            fail("/package/price_kind".into(), "must be exact, range or from");
        }
        for (field, items) in [
            ("inclusions", &package.inclusions),
            ("exclusions", &package.exclusions),
        ] {
            if items.len() > 50 {
                fail(format!("/package/{field}"), "must have at most 50 items");
            }
            for (i, code) in items.iter().enumerate() {
                if !vocabulary.contains(code) {
                    fail(
                        format!("/package/{field}/{i}"),
                        "is not an inclusion vocabulary code",
                    );
                }
            }
        }
    }
    errors
}

/// Check text for red flags
///
/// Runs listing text and structured package fields through the published red-flag rules and returns the
/// flags they would raise, without storing anything. Partners use it before publishing; the same rules
/// run on every published listing.
#[utoipa::path(
    tag = "red-flags",
    request_body(content = ClaimCheckRequest, example = json!({
        "text": "Our doctors have a 100% success rate. Mike Tyson is among our patients.",
        "conditions": ["sciatica"],
        "stem_cell_indications": ["back pain", "autism"]
    })),
    responses(
        (status = 200, description = "The flags the input would raise", body = ClaimCheckResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/v1/claim-checks")]
pub async fn check_claims(
    state: web::Data<AppState>,
    body: web::Json<ClaimCheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut conn = state.pool.get().await?;
    let known_conditions: Vec<String> = conditions::table.select(conditions::slug).load(&mut conn).await?;
    let spine: Vec<String> = conditions::table
        .filter(conditions::spine_indication.eq(true))
        .select(conditions::slug)
        .load(&mut conn)
        .await?;
    let vocabulary: Vec<String> = inclusion_items::table
        .select(inclusion_items::code)
        .load(&mut conn)
        .await?;
    let errors = validate(&request, &known_conditions, &vocabulary);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let cited = super::registry::cited_ids(
        std::iter::once(request.text.as_str()).chain(request.claims.iter().map(String::as_str)),
    );
    let snapshots = super::repo::registry_snapshots(&mut conn, &cited).await?;
    drop(conn);
    let (registry_flags, registry_checks) = super::registry::claim_checks(&state.rules, &cited, &snapshots);

    let mut texts = vec![("/text".to_owned(), request.text.as_str())];
    texts.extend(
        request
            .claims
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("/claims/{i}"), c.as_str())),
    );
    let package = request.package.as_ref().map(|p| PackageFacts {
        authored_by_clinic: true,
        cell_type: p.cell_type.clone(),
        cell_source: p.cell_source.clone(),
        exclusions_stated: vocabulary
            .iter()
            .all(|code| p.inclusions.contains(code) || p.exclusions.contains(code)),
        price_open_ended: p.price_kind.as_deref() == Some("from"),
    });
    let subject = Subject {
        texts,
        facts: Facts {
            spine_indication: request.conditions.iter().any(|c| spine.contains(c)),
            stem_cell_indications: request.stem_cell_indications.clone(),
            package,
            unverified_accreditations: Vec::new(),
            disclosures: Some(
                request
                    .disclosures
                    .as_ref()
                    .map(Disclosures::facts)
                    .unwrap_or_default(),
            ),
            practitioners: None,
        },
    };
    let mut red_flags: Vec<RedFlag> = engine::evaluate(&state.rules, &subject)
        .into_iter()
        .map(RedFlag::from)
        .collect();
    red_flags.extend(registry_flags);
    let rank = |severity: &str| ["info", "warn", "critical"].iter().position(|s| *s == severity);
    red_flags.sort_by(|a, b| {
        rank(&b.severity)
            .cmp(&rank(&a.severity))
            .then_with(|| a.code.cmp(&b.code))
    });
    let (evaluated_rules, not_evaluated_rules) = state
        .rules
        .rules()
        .iter()
        .map(|r| r.code.clone())
        // Free text has no practitioners on record, so the rules that read them are not evaluated
        // here; the registry rules are, from what ClinicalTrials.gov said of each cited id.
        .partition(|code| {
            (RuleBook::is_evaluated(code) && !engine::RECORD_BASED_CODES.contains(&code.as_str()))
                || super::registry::CLAIM_CHECK_CODES.contains(&code.as_str())
        });
    Ok(HttpResponse::Ok().json(ClaimCheckResponse {
        red_flags,
        evaluated_rules,
        not_evaluated_rules,
        registry_checks,
        disclaimer: crate::disclaimer::DISCLAIMER,
    }))
}
