//! The seeded trials (`seeds/trials/trials.json`): parsed strictly, then upserted into the trial
//! finder's mirror (`trials::repo::upsert_seeded`).

use serde::Deserialize;

use super::files::Source;

const TRIALS: &str = include_str!("../../seeds/trials/trials.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read to validate the shape; stored as JSON
struct SeededTrial {
    nct_id: String,
    title: Option<String>,
    overall_status: Option<String>,
    phases: Vec<String>,
    lead_sponsor: Option<String>,
    conditions: Vec<String>,
    interventions: Vec<String>,
    location_countries: Vec<String>,
    country_codes: Vec<String>,
    condition_slugs: Vec<String>,
    enrollment: Option<i32>,
    results_posted: Option<bool>,
    completion_date: Option<String>,
    last_update_date: Option<chrono::NaiveDate>,
    source: Source,
}

/// The seeded trials as the upsert takes them, after checking every id and source.
pub fn seeded_trials() -> Result<serde_json::Value, String> {
    let trials: Vec<SeededTrial> =
        serde_json::from_str(TRIALS).map_err(|e| format!("seeds/trials/trials.json: {e}"))?;
    for trial in &trials {
        if crate::trial_registry::domain::parse_nct_id(&trial.nct_id).as_deref()
            != Some(trial.nct_id.as_str())
        {
            return Err(format!(
                "seeds/trials/trials.json: {} is not an NCT id",
                trial.nct_id
            ));
        }
    }
    serde_json::from_str(TRIALS).map_err(|e| format!("seeds/trials/trials.json: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_seeded_trials_parse() {
        let trials = super::seeded_trials().expect("valid seed");
        assert!(trials.as_array().is_some_and(|t| !t.is_empty()));
    }
}
