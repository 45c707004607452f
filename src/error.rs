//! One error type for the whole API, rendered as RFC 9457 `application/problem+json`.
//!
//! Every problem has a stable `type` (`/problems/<slug>`, relative to the API's origin) that
//! clients may switch on; `title` is fixed per type, `detail` explains this occurrence. Internal
//! causes (SQL, paths, panics) are logged with the request id and never put in a response.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_context::{RequestContext, REQUEST_ID_HEADER};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

mod kind;

pub use kind::ProblemKind;

/// One invalid input, located by a JSON Pointer into the body (or `/query/<name>`, `/path/<name>`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON Pointer (RFC 6901) to the offending value, e.g. `/budget/currency` or `/query/page_size`.
    #[schema(example = "/query/page_size")]
    pub pointer: String,
    /// What is wrong and what is accepted instead.
    #[schema(example = "must be between 1 and 100")]
    pub message: String,
}

/// RFC 9457 problem details, the body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the problem type; switch on this, not on `title`.
    #[schema(example = "/problems/not-found")]
    pub r#type: String,
    /// Short human-readable summary of the problem type.
    #[schema(example = "Not found")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 404)]
    pub status: u16,
    /// What went wrong in this occurrence.
    #[schema(example = "no clinic has id 0b8f…")]
    pub detail: String,
    /// The request path this problem occurred on.
    #[schema(example = "/v1/clinics/0b8f4e5e-3f7e-4a53-9f3e-0c2c1d7e9a10")]
    pub instance: Option<String>,
    /// The request id (also in the `X-Request-Id` header); quote it when asking for support.
    #[schema(example = "01HZX3J9T1N6Y7Q8R2W4E5V6B7")]
    pub request_id: Option<String>,
    /// Validation errors, one per invalid input.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The API's error: a problem kind, a safe detail, optional field errors and extra headers.
#[derive(Debug)]
pub struct ApiError {
    pub kind: ProblemKind,
    pub detail: String,
    pub errors: Vec<FieldError>,
    headers: Vec<(header::HeaderName, String)>,
    /// Set when the error is rendered outside the request's task (see `middleware`).
    context: Option<Box<RequestContext>>,
}

impl ApiError {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
            context: None,
        }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::NotFound, detail)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(ProblemKind::BadRequest, detail)
    }

    /// A 400 for one bad query parameter, with its pointer.
    pub fn invalid_query(name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(
            ProblemKind::InvalidQuery,
            format!("query parameter `{name}` {message}"),
        )
        .with_field(format!("/query/{name}"), message)
    }

    /// A 422 for body values that parse but break a rule.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            // An error about the body as a whole has no pointer: no leading space then.
            1 if errors[0].pointer.is_empty() => errors[0].message.clone(),
            1 => format!("{} {}", errors[0].pointer, errors[0].message),
            n => format!("{n} fields are invalid"),
        };
        Self {
            errors,
            ..Self::new(ProblemKind::ValidationFailed, detail)
        }
    }

    /// A 500 whose cause is logged (with the request id) but never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        log::error!("internal error: {cause}");
        Self::new(
            ProblemKind::Internal,
            "the server failed to handle this request; it has been logged",
        )
    }

    /// A 503 whose cause is logged but never sent.
    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        log::warn!("service unavailable: {cause}");
        Self::new(
            ProblemKind::Unavailable,
            "a dependency is unavailable; retry later",
        )
    }

    pub fn with_field(mut self, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        self.errors.push(FieldError {
            pointer: pointer.into(),
            message: message.into(),
        });
        self
    }

    pub fn with_context(mut self, context: RequestContext) -> Self {
        self.context = Some(Box::new(context));
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The problem body, with the current request's id and path when there is one.
    pub fn problem(&self) -> Problem {
        let context = self.context.as_deref().cloned().or_else(RequestContext::current);
        Problem {
            r#type: self.kind.type_uri(),
            title: self.kind.title().to_owned(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            instance: context.as_ref().map(|c| c.path.clone()),
            request_id: context.map(|c| c.request_id),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.slug(), self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.kind.status());
        response
            .content_type(PROBLEM_JSON)
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(context) = &self.context {
            response.insert_header((REQUEST_ID_HEADER, context.request_id.as_str()));
        }
        for (name, value) in &self.headers {
            response.insert_header((name.clone(), value.as_str()));
        }
        response.json(self.problem())
    }
}

/// True when `error` means the database is (momentarily) unreachable rather than that the request
/// or the code is wrong: a statement cancelled by `statement_timeout`, a session terminated by a
/// shutdown or restart, a connection that closed under a checked-out handle, or a server that is
/// starting up. Such a request may simply be retried, so it is a 503, never a 500.
pub fn is_transient_database_error(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    const TRANSIENT_MESSAGES: [&str; 5] = [
        "statement timeout",
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
        "server closed the connection",
    ];
    match error {
        // diesel-async reports a lost connection (socket closed, I/O error) with these kinds.
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::DatabaseError(_, info) => TRANSIENT_MESSAGES.iter().any(|m| info.message().contains(m)),
        // The transaction's connection died under it; the pool discards such a connection.
        Error::BrokenTransactionManager => true,
        Error::RollbackErrorOnCommit { commit_error, .. } => is_transient_database_error(commit_error),
        _ => false,
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => Self::not_found("no such resource"),
            // Cancelled by statement_timeout, or the server went away: retryable, not a bug.
            ref transient if is_transient_database_error(transient) => {
                Self::unavailable(format_args!("database: {transient}")).with_header(header::RETRY_AFTER, "2")
            }
            // Postgres text cannot hold NUL characters: the input was invalid, not the server.
            diesel::result::Error::DatabaseError(_, info)
                if info.message().contains("invalid byte sequence") =>
            {
                Self::bad_request("text must not contain NUL (\\u0000) characters")
            }
            other => Self::internal(format_args!("database: {other}")),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::unavailable(format_args!("database pool: {error}")).with_header(header::RETRY_AFTER, "1")
    }
}

/// Result alias for handlers and the code they call.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_lost_database_connection_is_a_retryable_503() {
        for error in [
            database_error(DatabaseErrorKind::UnableToSendCommand, "connection closed"),
            database_error(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection",
            ),
            database_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            database_error(
                DatabaseErrorKind::Unknown,
                "canceling statement due to statement timeout",
            ),
            database_error(DatabaseErrorKind::Unknown, "the database system is starting up"),
            Error::BrokenTransactionManager,
            Error::RollbackErrorOnCommit {
                rollback_error: Box::new(database_error(
                    DatabaseErrorKind::UnableToSendCommand,
                    "connection closed",
                )),
                commit_error: Box::new(database_error(
                    DatabaseErrorKind::UnableToSendCommand,
                    "connection closed",
                )),
            },
        ] {
            let api_error = ApiError::from(error);
            assert_eq!(api_error.kind, ProblemKind::Unavailable);
            let response = api_error.error_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()),
                Some("2")
            );
        }
    }

    #[test]
    fn other_database_errors_stay_what_they_are() {
        let unique = database_error(DatabaseErrorKind::UniqueViolation, "duplicate key value");
        assert_eq!(ApiError::from(unique).kind, ProblemKind::Internal);
        assert_eq!(ApiError::from(Error::NotFound).kind, ProblemKind::NotFound);
        let nul = database_error(DatabaseErrorKind::Unknown, "invalid byte sequence for encoding");
        assert_eq!(ApiError::from(nul).kind, ProblemKind::BadRequest);
    }
}
