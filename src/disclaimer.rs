//! The one medical disclaimer every patient-facing response carries (issue 18), and the public
//! `GET /v1/disclaimer` that states it in full.
//!
//! Every catalogue, evidence, cost-estimate, claim-check and patient quote response has a field
//! named `disclaimer` of the schema [`Disclaimer`]: a short text and the URL of the full statement.
//! Lists carry it once, on the page ([`DisclaimedPage`], [`ScreenedPage`]); single resources at
//! their top level ([`Disclaimed`] or their own field). The texts repeat what the API already said
//! (the medical disclaimer of the OpenAPI description and the evidence disclaimer); they claim
//! nothing new.

use actix_web::{get, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::http_cache::cacheable_json;
use crate::pagination::Page;

/// Where the full statement is served.
pub const DISCLAIMER_PATH: &str = "/v1/disclaimer";

/// The short text shown next to every answer.
pub const SHORT_TEXT: &str = "Information, not medical advice. No stem cell product is approved by \
the US FDA for chronic back pain, and evidence for these treatments is limited. Prices are indicative \
and dated. Talk to a physician before deciding on any treatment.";

/// The full statement, paragraph by paragraph.
const FULL_STATEMENT: [&str; 5] = [
    "StemCare is an information service, not medical advice. Discuss any treatment with a qualified \
physician before deciding on it.",
    "No stem cell product is approved by the US FDA for chronic back pain. Evidence for these \
treatments is limited and mostly from small uncontrolled studies; most studies summarised here are \
small and have no comparison group.",
    "Prices are indicative and dated: a clinic's firm offer after reviewing your records may differ. \
An unknown figure is shown as null, never as zero.",
    "Statements about a treatment's regulatory status are labelled: `verified` only when StemCare \
checked them (with the source and the date), `claimed` when they are a clinic's or a source's own \
words, quoted, and `unknown` otherwise.",
    "Listings with a critical red flag are left out of default lists and searches and can be shown on \
request; flags are warning signs drawn from published guidance, not findings about a clinic.",
];

/// The FDA consumer update the statement and the regulatory context rest on
/// (`seeds/evidence/README.md`).
pub const FDA_CONSUMER_UPDATE_URL: &str = "https://www.fda.gov/vaccines-blood-biologics/consumers-biologics/important-patient-and-consumer-information-about-regenerative-medicine-therapies";

/// The medical disclaimer: a short text and where to read the full statement.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Disclaimer {
    /// The short disclaimer, to show next to the answer.
    #[schema(
        example = "Information, not medical advice. No stem cell product is approved by the US FDA for chronic back pain, and evidence for these treatments is limited. Prices are indicative and dated. Talk to a physician before deciding on any treatment."
    )]
    pub text: &'static str,
    /// The full statement (`GET /v1/disclaimer`), relative to the API's base URL.
    #[schema(example = "/v1/disclaimer")]
    pub url: &'static str,
}

/// The disclaimer every patient-facing response carries.
pub const DISCLAIMER: Disclaimer = Disclaimer {
    text: SHORT_TEXT,
    url: DISCLAIMER_PATH,
};

impl Default for Disclaimer {
    fn default() -> Self {
        DISCLAIMER
    }
}

/// A page of a patient-facing list, with the disclaimer once for the page.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclaimedPage<T> {
    /// The items of this page, in the requested order.
    pub items: Vec<T>,
    /// Pass as `page_token` to get the next page; absent on the last page.
    pub next_page_token: Option<String>,
    pub disclaimer: Disclaimer,
}

impl<T> From<Page<T>> for DisclaimedPage<T> {
    fn from(page: Page<T>) -> Self {
        Self {
            items: page.items,
            next_page_token: page.next_page_token,
            disclaimer: DISCLAIMER,
        }
    }
}

/// What a screened list left out.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Excluded {
    /// Listings left out because they carry a critical red flag, counted over the whole filtered
    /// result (every page), not just this page; 0 with `include_flagged=true`.
    #[schema(example = 3)]
    pub critical_flags: i64,
}

/// A page of clinics or packages: critically flagged listings are left out unless
/// `include_flagged=true`, and `excluded` says how many.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenedPage<T> {
    /// The items of this page, in the requested order.
    pub items: Vec<T>,
    /// Pass as `page_token` to get the next page; absent on the last page.
    pub next_page_token: Option<String>,
    pub excluded: Excluded,
    pub disclaimer: Disclaimer,
}

impl<T> ScreenedPage<T> {
    /// A page that left out `critical_flags` listings, with the disclaimer.
    pub fn new(items: Vec<T>, next_page_token: Option<String>, critical_flags: i64) -> Self {
        Self {
            items,
            next_page_token,
            excluded: Excluded { critical_flags },
            disclaimer: DISCLAIMER,
        }
    }
}

/// A single resource with the disclaimer at its top level.
#[derive(Debug, Serialize, ToSchema)]
pub struct Disclaimed<T> {
    #[serde(flatten)]
    pub resource: T,
    pub disclaimer: Disclaimer,
}

impl<T> Disclaimed<T> {
    pub fn new(resource: T) -> Self {
        Self {
            resource,
            disclaimer: DISCLAIMER,
        }
    }
}

/// A source of the full statement.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementSource {
    #[schema(
        example = "FDA: Important Patient and Consumer Information About Regenerative Medicine Therapies"
    )]
    pub title: &'static str,
    #[schema(format = "uri")]
    pub url: &'static str,
}

/// The full medical disclaimer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclaimerStatement {
    #[schema(example = "Medical disclaimer")]
    pub title: &'static str,
    /// The full statement, one paragraph per item.
    pub paragraphs: Vec<&'static str>,
    /// The short text and the URL every other response carries.
    pub disclaimer: Disclaimer,
    /// Where the regulatory sentences come from.
    pub sources: Vec<StatementSource>,
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_disclaimer);
}

/// The medical disclaimer
///
/// The full statement behind the short `disclaimer` every patient-facing response carries:
/// StemCare informs, it does not advise. Public and cacheable.
#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "The full statement", body = DisclaimerStatement),
        (status = 304, description = "Not modified"),
    ),
    security(())
)]
#[get("/v1/disclaimer")]
pub async fn get_disclaimer(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    cacheable_json(
        &req,
        &DisclaimerStatement {
            title: "Medical disclaimer",
            paragraphs: FULL_STATEMENT.to_vec(),
            disclaimer: DISCLAIMER,
            sources: vec![StatementSource {
                title:
                    "FDA: Important Patient and Consumer Information About Regenerative Medicine Therapies",
                url: FDA_CONSUMER_UPDATE_URL,
            }],
        },
    )
}
