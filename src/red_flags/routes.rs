//! `GET /v1/red-flag-rules` and the wire shape of a red flag; `POST /v1/claim-checks` is in
//! `claim_checks`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::pagination::{page_by_key, ListParams};
use crate::red_flags::engine::{self, RuleBook};
use crate::red_flags::repo;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_red_flag_rules)
        .service(super::claim_checks::check_claims);
}

/// A red flag raised on a listing, package or text.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct RedFlag {
    /// Stable rule code.
    #[schema(example = "GUARANTEED_OUTCOME")]
    pub code: String,
    /// `info` (context, no penalty), `warn` or `critical`.
    #[schema(example = "critical")]
    pub severity: String,
    /// The words that triggered the rule, quoted from the listing.
    #[schema(example = "The doctors have a 100% success rate on getting a result for autistic cases.")]
    pub evidence_text: String,
    /// Where the rule comes from.
    pub source_url: Option<String>,
    /// Version of the rule that raised it.
    #[schema(example = 1)]
    pub rule_version: i32,
}

impl From<repo::DetectionRow> for RedFlag {
    fn from(row: repo::DetectionRow) -> Self {
        Self {
            code: row.code,
            severity: row.severity,
            evidence_text: row.evidence_text,
            source_url: row.source_url,
            rule_version: row.rule_version,
        }
    }
}

impl From<engine::Detection> for RedFlag {
    fn from(d: engine::Detection) -> Self {
        Self {
            code: d.code,
            severity: d.severity.as_str().to_owned(),
            evidence_text: d.evidence_text,
            source_url: d.source_url,
            rule_version: d.rule_version,
        }
    }
}

/// A published red-flag rule.
#[derive(Serialize, ToSchema)]
pub struct RedFlagRuleResponse {
    #[schema(example = "CELEBRITY_OR_ATHLETE")]
    pub code: String,
    #[schema(example = 1)]
    pub version: i32,
    pub title: String,
    /// What triggers the rule.
    pub description: String,
    #[schema(example = "warn")]
    pub severity: String,
    /// `text` (patterns over listing text), `structured` (listing fields) or `always`.
    pub detection: String,
    /// Case-insensitive regular expressions for text rules, matched sentence by sentence outside
    /// negation and hypothetical scopes ("we do not promise …", "be wary of …"); a pattern starting
    /// with `!` is an exception (a sentence it matches raises nothing for the rule).
    pub patterns: Vec<String>,
    /// False for rules published for transparency but not yet applied, because StemCare does
    /// not record the fields they need.
    pub evaluated: bool,
    pub source_url: Option<String>,
    /// The sources behind the rule.
    pub source_note: Option<String>,
}

/// List red-flag rules
///
/// The rules StemCare applies to listings, newest version of each, ordered by code. Rules with
/// `evaluated: false` are published for transparency but not applied yet.
#[utoipa::path(
    tag = "red-flags",
    params(ListParams),
    responses(
        (status = 200, description = "A page of rules", body = crate::disclaimer::DisclaimedPage<RedFlagRuleResponse>),
        (status = 304, description = "Not modified"),
        (status = "4XX", description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/red-flag-rules")]
pub async fn list_red_flag_rules(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.reads.pooled_or(&state.pool).await?;
    let rules: Vec<RedFlagRuleResponse> = repo::current_rules(&mut conn)
        .await?
        .into_iter()
        .map(|r| RedFlagRuleResponse {
            // Registry rules are evaluated from ClinicalTrials.gov records, not by the engine.
            evaluated: RuleBook::is_evaluated(&r.code)
                || super::registry::REGISTRY_CODES.contains(&r.code.as_str()),
            code: r.code,
            version: r.version,
            title: r.title,
            description: r.description,
            severity: r.severity,
            detection: r.detection,
            patterns: r.patterns,
            source_url: r.source_url,
            source_note: r.source_note,
        })
        .collect();
    let page = page_by_key(
        rules,
        |r| r.code.clone(),
        &params,
        &state.page_tokens,
        "red-flag-rules",
    )?;
    cacheable_json(&req, &crate::disclaimer::DisclaimedPage::from(page))
}
