//! The OpenAPI document: its fixed parts (info, tags, shared schemas) and the endpoints that
//! serve it. Paths come from the handlers themselves through utoipa-actix-web (see `startup`).

use std::sync::OnceLock;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

mod components;
mod contract;
pub mod items;
mod layout;
mod named_schemas;
mod responses;

use crate::error::{FieldError, Problem};
use crate::{compression, http_cache};

/// Shown wherever the API describes itself: StemCare informs, it does not advise.
pub const MEDICAL_DISCLAIMER: &str = "StemCare is an information service, not medical advice. \
No stem cell product is approved by the US FDA for chronic back pain; evidence for these \
treatments is limited and mostly from small uncontrolled studies. Prices are indicative and dated. \
Discuss any treatment with a qualified physician.";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "StemCare API",
        description = "JSON REST API behind apps that help people with chronic back pain compare stem \
cell therapy abroad: a catalogue of clinics, conditions, cell types and treatment packages with \
transparent, dated prices; quotes from clinics; and honest, graded evidence summaries.\n\n\
**Medical disclaimer.** StemCare is an information service, not medical advice. No stem cell \
product is approved by the US FDA for chronic back pain; evidence for these treatments is limited \
and mostly from small uncontrolled studies. Prices are indicative and dated. Discuss any treatment \
with a qualified physician.\n\n\
Errors are RFC 9457 `application/problem+json` documents with a stable `type`.",
        contact(name = "StemCare API team", email = "api@stemcare.example"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
        (name = "meta", description = "This API's own description"),
        (name = "catalogue", description = "Conditions, cell types, countries, clinics, treatment packages, \
prices and cost estimates. Every seeded fact carries its source; null means the source does not say."),
        (name = "red-flags", description = "Warning signs of unproven stem cell clinics: the rules and a checker"),
        (name = "quotes", description = "A patient's request, ranked estimates, firm offers from clinics and acceptance. \
Personal data is encrypted at rest, shared only with the clinics the patient chooses, and never cached."),
        (name = "partner", description = "Partners manage their own clinic listings: create, JSON Merge Patch with If-Match, \
upsert by their own ids, bulk import. Flagged listings wait for moderation."),
        (name = "admin", description = "Staff administration with admin keys: moderation, exchange rates, partners, keys, audit log"),
        (name = "evidence", description = "Studies and graded evidence summaries per condition: GRADE certainty computed from the cited studies, the reasons for it, and a consumer badge. Information, not medical advice."),
        (name = "webhooks", description = "Partners' signed event notifications (Standard Webhooks): endpoints, deliveries and retries. Events are described in the top-level `webhooks` section."),
        (name = "exports", description = "Incremental sync out: the public catalogue, or what changed in it since a point in time, as streamed NDJSON with tombstones (like FHIR bulk `$export` with `_since`)."),
        (name = "fhir", description = "A read-only FHIR R4 directory of the public listings: Organization, Location and HealthcareService (`application/fhir+json`, errors as OperationOutcome)."),
        (name = "practitioners", description = "Named practitioners of clinics: partners manage them (ETag, JSON Merge Patch, idempotent create, moderation); the public sees each with its licence marked verified or claimed by the clinic."),
        (name = "verifications", description = "Coordinators' verification records: what was checked against which primary source, by whom, when, with what result and until when. Only a current verified record makes a claim count."),
        (name = "treatments", description = "After the offer: what the treating clinic delivered (or why nothing was), recorded by the clinic or staff; clinical details encrypted at rest and never in webhooks."),
        (name = "trials", description = "Registered clinical trials of stem cell and MSC treatments for the catalogue's conditions, mirrored from ClinicalTrials.gov: the legitimate alternative to paying a clinic. A registry listing is not an approval."),
        (name = "reviews", description = "Verified reviews: a treated patient rates the clinic from 14 days after treatment (screened, red-flagged, never hidden), the clinic replies once; shown as \"verified patient, treated <Month YYYY>\", never by name. Information, not evidence of effect."),
        (name = "follow-ups", description = "Outcome follow-up after treatment: a baseline and 3, 6, 12 and 24 months, each with a window; answers (pain NRS, ODI score, PGIC, adverse events, further procedures, work) are encrypted at rest, never logged, never in webhooks; a separate, revocable registry consent."),
        (name = "outcome-registry", description = "The public outcome registry: de-identified, consented follow-up answers per clinic and per condition × cell type × country. Self-reported, unblinded, uncontrolled; very low certainty. Never a GRADE rating, never a ranking by outcome."),
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme: API keys (`sk_live_…`) and quote tokens (`qt_…`).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "A staff or partner API key (`sk_live_…`), or the patient's quote access token (`qt_…`) returned once by `POST /v1/quotes`."
                .to_owned(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Adds what every operation shares (common problems, rate-limit and CORS headers, servers, the
/// admin scheme, links); see `contract`.
pub fn document_common_errors(document: &mut utoipa::openapi::OpenApi) {
    contract::apply(document);
}

/// The spec as served and committed: pretty JSON (`$ref`s on one line, see `layout`) with a
/// trailing newline.
pub fn render(document: &utoipa::openapi::OpenApi) -> String {
    let json = document.to_pretty_json().unwrap_or_else(|_| "{}".to_owned());
    let mut json = layout::one_line_refs(&json);
    json.push('\n');
    json
}

/// The rendered spec, computed once at start-up, with its ETag and its encodings, each made on
/// first request at [`compression::ONCE`] levels (~1 MB: br 9 gives 42 kB against 64 kB at the
/// per-response level, for 41 ms once instead of 2 ms on every request; docs/COMPRESSION.md).
pub struct SpecJson {
    body: Bytes,
    etag: String,
    encoded: [OnceLock<Option<Bytes>>; 3],
}

impl SpecJson {
    pub fn new(rendered: String) -> Self {
        let body = Bytes::from(rendered);
        Self {
            etag: http_cache::etag_of(&body),
            body,
            encoded: Default::default(),
        }
    }
}

impl compression::EncodedVariants for SpecJson {
    fn encoded(&self, coding: compression::Coding) -> Option<Bytes> {
        self.encoded[coding.index()]
            .get_or_init(|| {
                compression::compress(coding, &self.body, compression::ONCE)
                    .map(Bytes::from)
                    .ok()
            })
            .clone()
    }
}

/// The spec changes only with a deployment: clients may keep it longer than catalogue pages.
const SPEC_CACHE: &str = "public, max-age=300";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_openapi);
}

/// This API's OpenAPI document
///
/// The OpenAPI 3.1 document generated from the handlers; the same bytes as `openapi/openapi.json` in
/// the repository. Swagger UI at `/docs` renders it.
#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/json"),
        (status = 304, description = "Not modified"),
    ),
    security(())
)]
#[get("/v1/openapi.json")]
pub async fn get_openapi(req: HttpRequest, spec: web::Data<SpecJson>) -> HttpResponse {
    let mut response = http_cache::cacheable(
        &req,
        spec.body.clone(),
        spec.etag.clone(),
        "application/json",
        SPEC_CACHE,
    );
    response
        .extensions_mut()
        .insert(compression::Precompressed(spec.into_inner()));
    response
}
