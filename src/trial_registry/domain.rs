//! Registry values: NCT identifiers, the study record StemCare keeps from an API v2 answer, and
//! the matching of the registry's country names with ISO codes.

use chrono::NaiveDate;
use serde::Deserialize;

pub use crate::red_flags::registry::{cited_ids, registry_url, RegistryRecord};

/// The registry's `Status` values (API v2.0.5 `overallStatus`).
pub const OVERALL_STATUSES: [&str; 14] = [
    "ACTIVE_NOT_RECRUITING",
    "COMPLETED",
    "ENROLLING_BY_INVITATION",
    "NOT_YET_RECRUITING",
    "RECRUITING",
    "SUSPENDED",
    "TERMINATED",
    "WITHDRAWN",
    "AVAILABLE",
    "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING",
    "WITHHELD",
    "UNKNOWN",
];

/// Statuses under which a study takes participants (expanded access `AVAILABLE` included).
pub const TAKING_PARTICIPANTS: [&str; 3] = ["RECRUITING", "ENROLLING_BY_INVITATION", "AVAILABLE"];

/// A well-formed NCT identifier, upper-cased; `None` for anything else.
pub fn parse_nct_id(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let valid = raw.len() == 11
        && raw[..3].eq_ignore_ascii_case("NCT")
        && raw[3..].bytes().all(|b| b.is_ascii_digit());
    valid.then(|| raw.to_ascii_uppercase())
}

/// What StemCare keeps of a study: the fields issue 21 names, read from the API v2 record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StudyRecord {
    pub nct_id: String,
    pub title: Option<String>,
    pub overall_status: Option<String>,
    pub phases: Vec<String>,
    pub lead_sponsor: Option<String>,
    pub conditions: Vec<String>,
    pub interventions: Vec<String>,
    /// Distinct `locations[].country` names, as the registry spells them.
    pub location_countries: Vec<String>,
    pub enrollment: Option<i32>,
    pub results_posted: Option<bool>,
    /// `completionDateStruct.date`, a partial date (`yyyy`, `yyyy-MM` or `yyyy-MM-dd`).
    pub completion_date: Option<String>,
    pub last_update_date: Option<NaiveDate>,
}

impl StudyRecord {
    /// Reads one API v2 `Study` object; `None` when it has no NCT id (not a study).
    pub fn from_api(study: ApiStudy) -> Option<Self> {
        let protocol = study.protocol_section;
        let nct_id = parse_nct_id(protocol.identification_module.nct_id.as_deref()?)?;
        let status = protocol.status_module;
        let mut countries: Vec<String> = Vec::new();
        for location in protocol.contacts_locations_module.locations {
            if let Some(country) = location.country.filter(|c| !c.trim().is_empty()) {
                if !countries.contains(&country) {
                    countries.push(country);
                }
            }
        }
        Some(Self {
            nct_id,
            title: protocol.identification_module.brief_title,
            overall_status: status.overall_status,
            phases: protocol.design_module.phases,
            lead_sponsor: protocol
                .sponsor_collaborators_module
                .lead_sponsor
                .and_then(|s| s.name),
            conditions: protocol.conditions_module.conditions,
            interventions: protocol
                .arms_interventions_module
                .interventions
                .into_iter()
                .filter_map(|i| i.name)
                .collect(),
            location_countries: countries,
            enrollment: protocol.design_module.enrollment_info.and_then(|e| e.count),
            results_posted: study.has_results,
            completion_date: status.completion_date_struct.and_then(|d| d.date),
            last_update_date: status
                .last_update_post_date_struct
                .and_then(|d| d.date)
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        })
    }

    /// The last day of the completion date's period (a partial date `2021-06` ends on 30 June).
    pub fn completion_day(&self) -> Option<NaiveDate> {
        end_of_partial_date(self.completion_date.as_deref()?)
    }
}

/// The last day a registry `PartialDate` can mean.
pub fn end_of_partial_date(raw: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = raw.trim().split('-').collect();
    let year: i32 = parts.first()?.parse().ok()?;
    match parts.len() {
        1 => NaiveDate::from_ymd_opt(year, 12, 31),
        2 => {
            let month: u32 = parts[1].parse().ok()?;
            let first_of_next = if month == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, month + 1, 1)
            };
            first_of_next.and_then(|d| d.pred_opt())
        }
        3 => NaiveDate::from_ymd_opt(year, parts[1].parse().ok()?, parts[2].parse().ok()?),
        _ => None,
    }
}

/// The parts of the API v2 `Study` object StemCare reads (every other field is ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiStudy {
    pub protocol_section: ProtocolSection,
    pub has_results: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProtocolSection {
    identification_module: IdentificationModule,
    status_module: StatusModule,
    sponsor_collaborators_module: SponsorModule,
    conditions_module: ConditionsModule,
    design_module: DesignModule,
    arms_interventions_module: ArmsInterventionsModule,
    contacts_locations_module: ContactsLocationsModule,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct IdentificationModule {
    nct_id: Option<String>,
    brief_title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct StatusModule {
    overall_status: Option<String>,
    completion_date_struct: Option<DateStruct>,
    last_update_post_date_struct: Option<DateStruct>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DateStruct {
    date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SponsorModule {
    lead_sponsor: Option<Named>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Named {
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConditionsModule {
    conditions: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct DesignModule {
    phases: Vec<String>,
    enrollment_info: Option<EnrollmentInfo>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnrollmentInfo {
    count: Option<i32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ArmsInterventionsModule {
    interventions: Vec<Named>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ContactsLocationsModule {
    locations: Vec<Location>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Location {
    country: Option<String>,
}

/// One page of `GET /api/v2/studies`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiStudyPage {
    pub studies: Vec<ApiStudy>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// Registry spellings of country names that differ from the ISO 3166 short names.
const COUNTRY_ALIASES: &[(&str, &str)] = &[
    ("US", "United States"),
    ("GB", "United Kingdom"),
    ("KR", "Korea, Republic of"),
    ("KR", "South Korea"),
    ("RU", "Russian Federation"),
    ("RU", "Russia"),
    ("TR", "Turkey"),
    ("TR", "Türkiye"),
    ("IR", "Iran, Islamic Republic of"),
    ("VN", "Vietnam"),
    ("TW", "Taiwan"),
    ("CZ", "Czechia"),
    ("BO", "Bolivia"),
    ("VE", "Venezuela"),
    ("TZ", "Tanzania"),
    ("MD", "Moldova, Republic of"),
    ("SY", "Syrian Arab Republic"),
];

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The ISO 3166 alpha-2 code of a registry country name, when it is recognised.
pub fn country_code(name: &str) -> Option<String> {
    let wanted = normalise(name);
    if wanted.is_empty() {
        return None;
    }
    if let Some((code, _)) = COUNTRY_ALIASES
        .iter()
        .find(|(_, alias)| normalise(alias) == wanted)
    {
        return Some((*code).to_owned());
    }
    isocountry::CountryCode::iter()
        .find(|c| normalise(c.name()) == wanted)
        .map(|c| c.alpha2().to_owned())
}

/// A valid ISO 3166 alpha-2 code, upper-cased.
pub fn known_country_code(raw: &str) -> Option<String> {
    isocountry::CountryCode::for_alpha2_caseless(raw.trim())
        .ok()
        .map(|c| c.alpha2().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cited_ids_are_found_once_and_upper_cased() {
        let ids = cited_ids([
            "Our trial nct03308565 (NCT03308565) and NCT1234567 and NCT12345678x",
            "NCT00000001.",
        ]);
        assert_eq!(ids, ["NCT00000001", "NCT03308565"]);
        assert_eq!(parse_nct_id(" nct03308565 ").as_deref(), Some("NCT03308565"));
        assert_eq!(parse_nct_id("NCT0330856"), None);
    }

    #[test]
    fn partial_dates_end_on_the_last_day_of_their_period() {
        assert_eq!(end_of_partial_date("2021"), NaiveDate::from_ymd_opt(2021, 12, 31));
        assert_eq!(
            end_of_partial_date("2024-02"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        assert_eq!(
            end_of_partial_date("2023-12"),
            NaiveDate::from_ymd_opt(2023, 12, 31)
        );
        assert_eq!(
            end_of_partial_date("2023-05-04"),
            NaiveDate::from_ymd_opt(2023, 5, 4)
        );
        assert_eq!(end_of_partial_date("soon"), None);
    }

    #[test]
    fn registry_country_names_map_to_iso_codes() {
        assert_eq!(country_code("United States").as_deref(), Some("US"));
        assert_eq!(country_code("China").as_deref(), Some("CN"));
        assert_eq!(country_code("Mexico").as_deref(), Some("MX"));
        assert_eq!(country_code("Korea, Republic of").as_deref(), Some("KR"));
        assert_eq!(country_code("Atlantis"), None);
    }

    #[test]
    fn the_documented_example_study_is_read() {
        let raw = r#"{"protocolSection": {
          "identificationModule": {"nctId": "NCT05288205", "briefTitle": "Phase 1/2a Study"},
          "statusModule": {"overallStatus": "RECRUITING",
            "completionDateStruct": {"date": "2026-03", "type": "ESTIMATED"},
            "lastUpdatePostDateStruct": {"date": "2025-04-04", "type": "ACTUAL"}},
          "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Allist Pharmaceuticals, Inc.", "class": "INDUSTRY"}},
          "conditionsModule": {"conditions": ["Colorectal Cancer"]},
          "designModule": {"phases": ["PHASE1", "PHASE2"], "enrollmentInfo": {"count": 240, "type": "ESTIMATED"}},
          "armsInterventionsModule": {"interventions": [{"type": "DRUG", "name": "JAB-21822"}]},
          "contactsLocationsModule": {"locations": [{"country": "China"}, {"country": "China"}]}},
          "hasResults": false}"#;
        let study: ApiStudy = serde_json::from_str(raw).expect("parses");
        let record = StudyRecord::from_api(study).expect("a study");
        assert_eq!(record.nct_id, "NCT05288205");
        assert_eq!(
            record.lead_sponsor.as_deref(),
            Some("Allist Pharmaceuticals, Inc.")
        );
        assert_eq!(record.location_countries, ["China"]);
        assert_eq!(record.enrollment, Some(240));
        assert_eq!(record.results_posted, Some(false));
        assert_eq!(record.completion_day(), NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(record.last_update_date, NaiveDate::from_ymd_opt(2025, 4, 4));
    }
}
