//! Rules the seed records must meet beyond their shape, so an unsourced fact fails the load.

use super::files::{Condition, Intervention, Study};

/// A study's rules beyond its shape: funding that is declared or reported names its source.
pub(super) fn check_study(study: &Study) -> Result<(), String> {
    let funding = &study.funding_coi;
    if funding.status.needs_source() && funding.source.is_none() {
        return Err(format!(
            "{}: funding_coi must name its source unless not_reported",
            study.slug
        ));
    }
    if funding.text.trim().is_empty() {
        return Err(format!("{}: funding_coi.text must say what is known", study.slug));
    }
    Ok(())
}

/// A condition lists a cell type or administration method only when a study it cites in
/// `usage_study_slugs` treated that condition with it (so no list is filled from general text).
pub(super) fn check_condition_usage(conditions: &str, studies: &[Study]) -> Result<(), String> {
    let conditions: Vec<Condition> =
        serde_json::from_str(conditions).map_err(|e| format!("seeds/catalogue/conditions.json: {e}"))?;
    for condition in &conditions {
        let cited: Vec<&Study> = condition
            .usage_study_slugs
            .iter()
            .map(|slug| {
                studies
                    .iter()
                    .find(|s| &s.slug == slug && s.conditions.contains(&condition.slug))
                    .ok_or_else(|| {
                        format!(
                            "seeds/catalogue/conditions.json: {} cites {slug}, which is not a study of it",
                            condition.slug
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        let backed = |value: &String, field: fn(&Intervention) -> &Option<String>| {
            cited
                .iter()
                .any(|s| field(&s.intervention).as_ref() == Some(value))
        };
        for cell_type in &condition.cell_types {
            if !backed(cell_type, |i| &i.cell_type) {
                return Err(format!(
                    "seeds/catalogue/conditions.json: {} lists {cell_type}, but no cited study used it",
                    condition.slug
                ));
            }
        }
        for method in &condition.administration_methods {
            if !backed(method, |i| &i.administration_method) {
                return Err(format!(
                    "seeds/catalogue/conditions.json: {} lists {method}, but no cited study used it",
                    condition.slug
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STUDIES: &str = include_str!("../../seeds/evidence/studies.json");
    const CONDITIONS: &str = include_str!("../../seeds/catalogue/conditions.json");

    fn studies() -> Vec<Study> {
        serde_json::from_str(STUDIES).expect("studies.json")
    }

    /// conditions.json with one condition changed by `edit`.
    fn conditions_with(slug: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
        let mut all: serde_json::Value = serde_json::from_str(CONDITIONS).expect("conditions.json");
        for condition in all.as_array_mut().expect("array") {
            if condition["slug"] == slug {
                edit(condition);
            }
        }
        all.to_string()
    }

    #[test]
    fn the_seeds_pass_and_an_unsourced_cell_type_or_method_fails() {
        let studies = studies();
        assert_eq!(check_condition_usage(CONDITIONS, &studies), Ok(()));
        let cord = conditions_with("degenerative-disc-disease", |c| {
            c["cell_types"] = serde_json::json!(["bm-msc", "uc-msc"])
        });
        assert!(check_condition_usage(&cord, &studies).is_err_and(|e| e.contains("uc-msc")));
        let joint = conditions_with("sacroiliac-joint-dysfunction", |c| {
            c["administration_methods"] = serde_json::json!(["intradiscal-injection"]);
            c["usage_study_slugs"] = serde_json::json!(["centeno-2017-bm-msc-registry"]);
        });
        assert!(check_condition_usage(&joint, &studies).is_err_and(|e| e.contains("not a study of it")));
    }

    #[test]
    fn reported_funding_names_its_source() {
        let mut study: serde_json::Value =
            serde_json::from_str::<serde_json::Value>(STUDIES).expect("json")[0].clone();
        study["funding_coi"] =
            serde_json::json!({"status": "declared", "text": "Funded by X.", "source": null});
        let parsed: Study = serde_json::from_value(study.clone()).expect("shape");
        assert!(check_study(&parsed).is_err());
        study["funding_coi"] = serde_json::json!(null);
        assert!(
            serde_json::from_value::<Study>(study).is_err(),
            "null is not a funding statement"
        );
        assert!(studies().iter().all(|s| check_study(s).is_ok()));
    }
}
