//! `GET /v1/clinics/{id}`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel_async::AsyncPgConnection;
use futures_util::future::{try_join, try_join4, try_join5};
use futures_util::TryFutureExt;
use uuid::Uuid;

use crate::clinic_detail::domain::trial_claims;
use crate::clinic_detail::dto::{ClinicDetail, ClinicGetParams, ClinicReviews};
use crate::clinics::fields::CLINIC_DETAIL_FIELDS;
use crate::clinics::model::PublicClinic;
use crate::clinics::repo as clinics_repo;
use crate::clinics::routes::present_with_packages;
use crate::disclaimer::DISCLAIMER;
use crate::error::{ApiError, Problem};
use crate::http_cache::cacheable_json;
use crate::ids::ClinicId;
use crate::practitioners::{repo as practitioners_repo, view as practitioners_view};
use crate::red_flags::repo as flags_repo;
use crate::red_flags::verified::SubjectKind;
use crate::reference::ReferenceCache;
use crate::reviews::dto::ReviewSummary;
use crate::reviews::repo as reviews_repo;
use crate::sparse_fields::{needs, skip_unless, FieldSet, Sparse};
use crate::state::AppState;
use crate::treatment_packages::repo as packages_repo;
use crate::trial_registry::repo as registry_repo;
use crate::verifications::repo as verifications_repo;

async fn find_published(conn: &mut &AsyncPgConnection, id: Uuid) -> Result<PublicClinic, ApiError> {
    clinics_repo::find_published(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no clinic has id {id}")))
}

/// Get a clinic
///
/// One published clinic with its red flags first, then its packages, quoted claims, regulatory
/// status and score; its verified reviews at a glance (count, distribution over 1–5 stars, the
/// latest three); its named practitioners with each licence `verified` (source and until when)
/// or `claimed_by_clinic`; and each ClinicalTrials.gov id its listing cites, with the registry's
/// record (or `not_yet_checked`), the registry flags on it and a coordinator's verification. A
/// registered trial is not an approval. Clinics that a critical flag leaves out of lists still
/// answer here, with their flags. Add `currency` to see prices converted with the dated rate
/// used; `fields` to receive (and read) only some fields.
#[utoipa::path(
    tag = "catalogue",
    params(("id" = Uuid, Path, description = "Clinic id"), ClinicGetParams),
    responses(
        (status = 200, description = "The clinic", body = ClinicDetail),
        (status = 304, description = "Not modified"),
        (status = 400, description = "Invalid currency or fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/clinics/{id}")]
pub async fn get_clinic(
    req: HttpRequest,
    state: web::Data<AppState>,
    reference_cache: web::Data<ReferenceCache>,
    id: web::Path<Uuid>,
    params: web::Query<ClinicGetParams>,
) -> Result<HttpResponse, ApiError> {
    // A catalogue read: one of this worker's shared, pipelined connections (see `db::shared`).
    let conn = state.reads.get_or(&state.pool).await?;
    let reference = reference_cache.get(&mut &*conn).await?;
    let currency = reference.rates.parse_currency_param(params.currency.as_deref())?;
    let display = currency.as_deref().map(|c| (&reference.rates, c));
    let fields = FieldSet::parse(&CLINIC_DETAIL_FIELDS, params.fields.as_deref())?;
    let fields = fields.as_ref();
    let clinic_id = ClinicId(*id);
    // Independent reads, pipelined on the connection: the clinic, its packages (cheapest first),
    // the red flags of both, its response times, then its reviews, practitioners with their
    // licence records, and cited trials with their snapshots and claim records; under `fields=`,
    // only those an asked field needs.
    let ids = [*id];
    let wanted = |names: &[&str]| needs(fields, names).then_some(&ids[..]);
    let (mut c1, mut c2, mut c3, mut c4) = (&*conn, &*conn, &*conn, &*conn);
    let (mut c5, mut c6, mut c7, mut c8, mut c9) = (&*conn, &*conn, &*conn, &*conn, &*conn);
    let listing = try_join4(
        find_published(&mut c1, *id),
        skip_unless(wanted(&["treatment_packages"]), |ids| {
            packages_repo::published_for_clinics(&mut c2, ids)
        })
        .err_into::<ApiError>(),
        skip_unless(
            wanted(&[
                "red_flags",
                "has_critical_red_flags",
                "treatment_packages",
                "trial_claims",
            ]),
            |_| flags_repo::detections_for_clinic(&mut c3, *id),
        )
        .err_into::<ApiError>(),
        skip_unless(wanted(&["response_time"]), |ids| {
            clinics_repo::response_times(&mut c4, ids)
        })
        .err_into::<ApiError>(),
    );
    let trust = try_join5(
        skip_unless(wanted(&["reviews"]), |_| {
            reviews_repo::summary_for_clinic(&mut c5, clinic_id).map_ok(Some)
        }),
        skip_unless(wanted(&["practitioners"]), |_| {
            practitioners_repo::published_of_clinic(&mut c6, *id)
        }),
        skip_unless(wanted(&["practitioners"]), |_| {
            let clinic = verifications_repo::Subjects::OfClinic(*id);
            verifications_repo::newest_of_each(&mut c7, SubjectKind::PractitionerLicence, clinic)
        }),
        skip_unless(wanted(&["trial_claims"]), |_| {
            registry_repo::cited_by_public_listing(&mut c8, *id)
        }),
        skip_unless(wanted(&["trial_claims"]), |_| {
            verifications_repo::newest_trial_claims_of_clinic(&mut c9, *id)
        }),
    )
    .err_into::<ApiError>();
    let ((clinic, packages, mut flags, speeds), (reviews, practitioners, licences, cited, claim_records)) =
        try_join(listing, trust).await?;
    let today = state.clock.today();
    // Before the clinic's own flags are taken out of `flags` by presenting it.
    let trial_claims = trial_claims(&cited, &claim_records, &flags, today);
    let practitioners = practitioners
        .iter()
        .map(|p| practitioners_view::public_view(p, licences.get(&p.id), today))
        .collect();
    // Not read unless asked; an unasked field is dropped before it is serialised.
    let reviews = ClinicReviews {
        summary: reviews.unwrap_or_else(|| ReviewSummary::new(&[], Vec::new())),
        list_url: format!("/v1/clinics/{}/reviews", *id),
    };
    let (clinic, treatment_packages) = present_with_packages(
        clinic, &packages, &mut flags, &speeds, &reference, display, fields,
    )?;
    let body = Sparse {
        value: ClinicDetail {
            clinic,
            treatment_packages,
            reviews,
            practitioners,
            trial_claims,
            disclaimer: DISCLAIMER,
        },
        fields,
        always: &["disclaimer"],
    };
    cacheable_json(&req, &body)
}
