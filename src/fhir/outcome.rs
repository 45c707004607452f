//! Errors of the FHIR endpoints, answered as `OperationOutcome` (FHIR's error format) rather than
//! problem+json. Handlers return them as ordinary responses, so the API-wide error middleware
//! (which turns framework errors into problems) leaves them alone.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

use crate::fhir::resources::{Issue, OperationOutcome};

/// The FHIR JSON media type of every response here.
pub const FHIR_JSON: &str = "application/fhir+json";

/// A failed FHIR interaction: HTTP status, IssueType code and a safe explanation.
#[derive(Debug)]
pub struct FhirError {
    pub status: StatusCode,
    /// FHIR IssueType code.
    pub code: &'static str,
    pub diagnostics: String,
}

impl FhirError {
    /// 400 `invalid`: a search parameter value is wrong.
    pub fn invalid(diagnostics: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid",
            diagnostics: diagnostics.into(),
        }
    }

    /// 400 `not-supported`: a search parameter this server does not know.
    pub fn not_supported(diagnostics: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "not-supported",
            diagnostics: diagnostics.into(),
        }
    }

    /// 404 `not-found`.
    pub fn not_found(diagnostics: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not-found",
            diagnostics: diagnostics.into(),
        }
    }

    /// The OperationOutcome response.
    pub fn response(&self) -> HttpResponse {
        let body = OperationOutcome {
            resource_type: "OperationOutcome",
            issue: vec![Issue {
                severity: "error",
                code: self.code,
                diagnostics: self.diagnostics.clone(),
            }],
        };
        HttpResponse::build(self.status)
            .content_type(FHIR_JSON)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body)
    }
}

impl From<diesel::result::Error> for FhirError {
    fn from(error: diesel::result::Error) -> Self {
        log::error!("internal error: database: {error}");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "exception",
            diagnostics: "the server failed to handle this request; it has been logged".to_owned(),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for FhirError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        log::warn!("service unavailable: database pool: {error}");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "transient",
            diagnostics: "a dependency is unavailable; retry later".to_owned(),
        }
    }
}

impl From<crate::error::ApiError> for FhirError {
    fn from(error: crate::error::ApiError) -> Self {
        Self {
            status: error.kind.status(),
            code: if error.kind.status().is_client_error() {
                "invalid"
            } else {
                "exception"
            },
            diagnostics: error.detail,
        }
    }
}
