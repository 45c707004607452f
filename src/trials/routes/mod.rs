//! `GET /v1/trials` and `GET /v1/trials/{nct_id}`.

pub mod get;
pub mod list;

use crate::trial_registry::domain::registry_url;
use crate::trials::domain::TrialOrigin;
use crate::trials::dto::TrialResponse;
use crate::trials::repo::Trial;

/// The wire shape of a mirrored trial.
pub fn present(trial: Trial) -> TrialResponse {
    let unknown_fields = [
        ("title", trial.title.is_none()),
        ("overall_status", trial.overall_status.is_none()),
        ("lead_sponsor", trial.lead_sponsor.is_none()),
        ("location_countries", trial.location_countries.is_empty()),
        ("enrollment", trial.enrollment.is_none()),
        ("results_posted", trial.results_posted.is_none()),
        ("completion_date", trial.completion_date.is_none()),
        ("last_update_date", trial.last_update_date.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    TrialResponse {
        registry_url: registry_url(&trial.nct_id),
        nct_id: trial.nct_id,
        title: trial.title,
        overall_status: trial.overall_status,
        phases: trial.phases,
        lead_sponsor: trial.lead_sponsor,
        conditions: trial.conditions,
        interventions: trial.interventions,
        location_countries: trial.location_countries,
        country_codes: trial.country_codes,
        condition_slugs: trial.condition_slugs,
        enrollment: trial.enrollment,
        results_posted: trial.results_posted,
        completion_date: trial.completion_date,
        last_update_date: trial.last_update_date,
        origin: if trial.origin == TrialOrigin::Seed.as_str() {
            TrialOrigin::Seed
        } else {
            TrialOrigin::Registry
        },
        source: trial.source,
        fetched_at: trial.fetched_at,
        unknown_fields,
    }
}
