//! The ClinicalTrials.gov API v2 client: one request at a time per instance, spaced by the
//! configured rate, each within a time limit; a 429 pauses every request of this instance for its
//! `Retry-After`. Non-2xx bodies are never parsed as JSON (registries.md §1.1: they are text).

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::domain::{ApiStudy, ApiStudyPage, StudyRecord};
use crate::config::Settings;

/// Largest body read for one study.
const MAX_STUDY_BYTES: usize = 4 * 1024 * 1024;
/// Largest body read for one search page (fields are restricted to what StemCare keeps).
const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;
/// A 429 without a usable `Retry-After` pauses the client this long.
const DEFAULT_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(60);
/// The longest pause a `Retry-After` can impose (a larger value is capped, not trusted).
const MAX_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(3600);
/// The study fields StemCare keeps (API v2 field names), so search pages stay small.
pub const STUDY_FIELDS: &str = "NCTId|BriefTitle|OverallStatus|Phase|LeadSponsorName|Condition|InterventionName|LocationCountry|EnrollmentCount|HasResults|LastUpdatePostDate|CompletionDate";

/// What a lookup of one NCT id found.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found(Box<StudyRecord>),
    /// 404: the registry has no such study.
    NotFound,
}

/// Why a registry request gave no answer to keep. The texts never hold response bodies.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    #[error("rate limited by the registry (HTTP 429)")]
    RateLimited { retry_after: Duration },
    #[error("the registry answered HTTP {0}")]
    Status(u16),
    #[error("the registry could not be reached: {0}")]
    Transport(String),
    #[error("the registry's answer was not a study record: {0}")]
    Malformed(String),
}

/// One search page: the studies and the token of the next page.
#[derive(Debug)]
pub struct SearchPage {
    pub studies: Vec<StudyRecord>,
    pub next_page_token: Option<String>,
}

/// The registry client of one instance.
pub struct RegistryClient {
    http: reqwest::Client,
    api: url::Url,
    spacing: Duration,
    /// When the next request may start; held while a request runs, so one is in flight.
    next_start: Mutex<Instant>,
}

impl RegistryClient {
    /// A client for `settings.ctgov_url` at `settings.ctgov_requests_per_minute`.
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let timeout = Duration::from_secs(settings.ctgov_timeout_secs as u64);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!(
                "stemcare/",
                env!("CARGO_PKG_VERSION"),
                " (trial registry checks)"
            ))
            .build()
            .map_err(|e| format!("no HTTP client: {e}"))?;
        let base = settings.ctgov_url.trim_end_matches('/');
        let api = url::Url::parse(&format!("{base}/api/v2/"))
            .map_err(|e| format!("STEMCARE_CTGOV_URL is not a base URL: {e}"))?;
        let per_minute = settings.ctgov_requests_per_minute.max(1) as u64;
        Ok(Self {
            http,
            api,
            spacing: Duration::from_millis(60_000 / per_minute),
            next_start: Mutex::new(Instant::now()),
        })
    }

    /// Looks up one study by its NCT id (well-formed, upper-case).
    pub async fn study(&self, nct_id: &str) -> Result<Lookup, RegistryError> {
        let mut url = self
            .api
            .join(&format!("studies/{nct_id}"))
            .map_err(|e| RegistryError::Transport(e.to_string()))?;
        url.query_pairs_mut().append_pair("fields", STUDY_FIELDS);
        match self.get(url, MAX_STUDY_BYTES).await? {
            None => Ok(Lookup::NotFound),
            Some(body) => {
                let study: ApiStudy =
                    serde_json::from_slice(&body).map_err(|e| RegistryError::Malformed(e.to_string()))?;
                StudyRecord::from_api(study)
                    .map(|study| Lookup::Found(Box::new(study)))
                    .ok_or_else(|| RegistryError::Malformed("no nctId".into()))
            }
        }
    }

    /// One page of studies matching a condition query and an intervention query.
    pub async fn search(
        &self,
        condition: &str,
        intervention: &str,
        page_size: u32,
        page_token: Option<&str>,
    ) -> Result<SearchPage, RegistryError> {
        let mut url = self
            .api
            .join("studies")
            .map_err(|e| RegistryError::Transport(e.to_string()))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("query.cond", condition)
                .append_pair("query.intr", intervention)
                .append_pair("fields", STUDY_FIELDS)
                .append_pair("pageSize", &page_size.to_string());
            if let Some(token) = page_token {
                query.append_pair("pageToken", token);
            }
        }
        let body = self
            .get(url, MAX_PAGE_BYTES)
            .await?
            .ok_or(RegistryError::Status(404))?;
        let page: ApiStudyPage =
            serde_json::from_slice(&body).map_err(|e| RegistryError::Malformed(e.to_string()))?;
        Ok(SearchPage {
            studies: page
                .studies
                .into_iter()
                .filter_map(StudyRecord::from_api)
                .collect(),
            next_page_token: page.next_page_token.filter(|t| !t.is_empty()),
        })
    }

    /// GETs `url` in this instance's turn: `Some(body)` on 2xx, `None` on 404.
    async fn get(&self, url: url::Url, max_bytes: usize) -> Result<Option<Vec<u8>>, RegistryError> {
        let mut next_start = self.next_start.lock().await;
        let wait = next_start.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let result = self.send(url, max_bytes).await;
        *next_start = Instant::now()
            + match &result {
                Err(RegistryError::RateLimited { retry_after }) => (*retry_after).max(self.spacing),
                _ => self.spacing,
            };
        result
    }

    async fn send(&self, url: url::Url, max_bytes: usize) -> Result<Option<Vec<u8>>, RegistryError> {
        let transport = |e: reqwest::Error| {
            RegistryError::Transport(if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "connection failed".to_owned()
            } else {
                "request failed".to_owned()
            })
        };
        let mut response = self.http.get(url).send().await.map_err(transport)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map_or(DEFAULT_RATE_LIMIT_PAUSE, Duration::from_secs)
                .min(MAX_RATE_LIMIT_PAUSE);
            return Err(RegistryError::RateLimited { retry_after });
        }
        if !status.is_success() {
            return Err(RegistryError::Status(status.as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            body.extend_from_slice(&chunk);
            if body.len() > max_bytes {
                return Err(RegistryError::Malformed(format!("more than {max_bytes} bytes")));
            }
        }
        Ok(Some(body))
    }
}
