//! Search parameters of the FHIR endpoints: `_count`, `_lastUpdated`, `address-country` and the
//! opaque `_page_token` of `next` links. Anything else is refused with an OperationOutcome.

use chrono::{DateTime, NaiveDate, Utc};

use crate::fhir::outcome::FhirError;

/// The resource types this directory serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    Organization,
    Location,
    HealthcareService,
    Practitioner,
    PractitionerRole,
}

impl ResourceType {
    pub const ALL: [ResourceType; 5] = [
        Self::Organization,
        Self::Location,
        Self::HealthcareService,
        Self::Practitioner,
        Self::PractitionerRole,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Organization => "Organization",
            Self::Location => "Location",
            Self::HealthcareService => "HealthcareService",
            Self::Practitioner => "Practitioner",
            Self::PractitionerRole => "PractitionerRole",
        }
    }

    /// Whether `address-country` applies (an address exists on the resource).
    pub fn has_address(self) -> bool {
        matches!(self, Self::Organization | Self::Location)
    }
}

/// Default and largest `_count`.
pub const DEFAULT_COUNT: i64 = 20;
pub const MAX_COUNT: i64 = 100;

/// One `_lastUpdated` bound: a SQL comparison operator and an instant.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub op: &'static str,
    pub at: DateTime<Utc>,
}

/// A parsed search.
#[derive(Debug, Default)]
pub struct Search {
    pub count: i64,
    pub last_updated: Vec<Bound>,
    /// Upper-cased ISO 3166-1 alpha-2 code.
    pub country: Option<String>,
    pub page_token: Option<String>,
    /// Every parameter but `_page_token`, in request order: the base of `next` links.
    pub params: Vec<(String, String)>,
}

impl Search {
    /// What a page token is bound to: the resource type and the filters (not `_count`).
    pub fn scope(&self, resource: ResourceType) -> String {
        let mut filters: Vec<String> = self
            .params
            .iter()
            .filter(|(k, _)| k != "_count")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        filters.sort();
        format!("fhir|{}|{}", resource.name(), filters.join("&"))
    }
}

/// Parses a query string for a search of `resource`.
pub fn parse(resource: ResourceType, query: &str) -> Result<Search, FhirError> {
    let mut search = Search {
        count: DEFAULT_COUNT,
        ..Search::default()
    };
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let (key, value) = (key.into_owned(), value.into_owned());
        match key.as_str() {
            "_count" => {
                search.count = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=MAX_COUNT).contains(n))
                    .ok_or_else(|| FhirError::invalid(format!("_count must be between 1 and {MAX_COUNT}")))?;
            }
            "_lastUpdated" => search.last_updated.extend(date_bounds(&value)?),
            "address-country" if resource.has_address() => {
                if search.country.is_some() {
                    return Err(FhirError::invalid("address-country may appear only once"));
                }
                if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(FhirError::invalid(
                        "address-country must be an ISO 3166-1 alpha-2 code such as TR",
                    ));
                }
                search.country = Some(value.to_ascii_uppercase());
            }
            "_page_token" => {
                search.page_token = Some(value);
                continue;
            }
            other => {
                return Err(FhirError::not_supported(format!(
                    "unknown search parameter `{other}` for {}; supported: {}",
                    resource.name(),
                    supported(resource).join(", ")
                )))
            }
        }
        search.params.push((key, value));
    }
    Ok(search)
}

/// The parameters a search of `resource` accepts.
pub fn supported(resource: ResourceType) -> Vec<&'static str> {
    let mut names = vec!["_count", "_lastUpdated"];
    if resource.has_address() {
        names.push("address-country");
    }
    names.push("_page_token");
    names
}

/// The shape of a `_lastUpdated` value, as the OpenAPI document states it.
pub const LAST_UPDATED_PATTERN: &str = r"^(gt|ge|lt|le)[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$";

/// `_lastUpdated=<prefix><date>`: prefixes `gt`, `ge`, `lt`, `le`; a date (`2026-11-29`, the whole
/// day in UTC) or an RFC 3339 date-time. Returns the SQL bounds on `updated_at`.
pub fn date_bounds(raw: &str) -> Result<Vec<Bound>, FhirError> {
    static SHAPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(LAST_UPDATED_PATTERN).unwrap_or_else(|_| unreachable!("a valid pattern"))
    });
    let invalid = || {
        FhirError::invalid(format!(
            "_lastUpdated `{raw}` must be gt, ge, lt or le followed by a date (2026-11-29) or an RFC 3339 date-time"
        ))
    };
    if raw.len() > 64 || !SHAPE.is_match(raw) {
        return Err(invalid());
    }
    let (prefix, value) = raw.split_at(2);
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        let at = at.with_timezone(&Utc);
        let op = match prefix {
            "gt" => ">",
            "ge" => ">=",
            "lt" => "<",
            "le" => "<=",
            _ => return Err(invalid()),
        };
        return Ok(vec![Bound { op, at }]);
    }
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| invalid())?;
    let start = day.and_hms_opt(0, 0, 0).ok_or_else(invalid)?.and_utc();
    let end = start + chrono::Duration::days(1);
    // A date stands for the whole day: `gt` is after it, `le` up to its end.
    let bound = match prefix {
        "gt" | "ge" => Bound {
            op: ">=",
            at: if prefix == "gt" { end } else { start },
        },
        "lt" | "le" => Bound {
            op: "<",
            at: if prefix == "lt" { start } else { end },
        },
        _ => return Err(invalid()),
    };
    Ok(vec![bound])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_whole_days_and_instants_are_exact() {
        let gt = date_bounds("gt2026-01-01").expect("gt");
        assert_eq!(gt[0].op, ">=");
        assert_eq!(gt[0].at.to_rfc3339(), "2026-01-02T00:00:00+00:00");
        let le = date_bounds("le2026-01-01").expect("le");
        assert_eq!(
            (le[0].op, le[0].at.to_rfc3339().as_str()),
            ("<", "2026-01-02T00:00:00+00:00")
        );
        let ge = date_bounds("ge2026-01-01T10:00:00Z").expect("ge");
        assert_eq!(ge[0].op, ">=");
        assert!(date_bounds("eq2026-01-01").is_err());
        assert!(date_bounds("2026-01-01").is_err());
        assert!(date_bounds("gtyesterday").is_err());
        assert!(date_bounds("é").is_err());
    }

    #[test]
    fn unknown_parameters_are_refused_and_scopes_ignore_count() {
        assert!(parse(ResourceType::Organization, "name=Liv").is_err());
        assert!(parse(ResourceType::HealthcareService, "address-country=TR").is_err());
        assert!(parse(ResourceType::Location, "_count=0").is_err());
        let a = parse(ResourceType::Location, "address-country=tr&_count=1").expect("a");
        let b = parse(
            ResourceType::Location,
            "_count=5&address-country=tr&_page_token=x",
        )
        .expect("b");
        assert_eq!(a.country.as_deref(), Some("TR"));
        assert_eq!(a.scope(ResourceType::Location), b.scope(ResourceType::Location));
        assert_ne!(
            a.scope(ResourceType::Location),
            a.scope(ResourceType::Organization)
        );
    }
}
