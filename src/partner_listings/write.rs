//! The write sequence every partner-managed resource follows (clinics, packages, practitioners):
//! each row has a version, shown as its ETag; a merge patch (`domain::merge_patched`) or a delete
//! checks `If-Match` against it; a write that loses the race to another is a 412; and the partner's
//! view is kept as a response an `Idempotency-Key` can replay (`idempotency::Idempotent::create`).
//! One place, so the resources cannot drift apart.

use actix_web::http::{header, StatusCode};
use actix_web::HttpRequest;

use crate::error::{ApiError, ProblemKind};
use crate::idempotency::StoredResponse;

/// The longest `If-Match` accepted.
const MAX_IF_MATCH: usize = 1024;

/// The ETag of a versioned row.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// A versioned resource partners write, named in its problems ("the listing changed …").
#[derive(Debug, Clone, Copy)]
pub struct PartnerResource {
    /// What a problem calls it: `listing`, `practitioner`.
    pub noun: &'static str,
}

impl PartnerResource {
    /// `If-Match` against the current version: 428 when required and absent, 412 when it does not
    /// match, 400 when it is not 1–1024 visible ASCII characters or spaces (the spec's pattern
    /// `^[ -~]+$`). The ETag of any encoding of this version matches (`"7-gzip"` too: `http_cache`).
    pub fn check_if_match(self, req: &HttpRequest, current: i32, required: bool) -> Result<(), ApiError> {
        let Some(raw) = req.headers().get(header::IF_MATCH) else {
            return if required {
                Err(ApiError::new(
                    ProblemKind::PreconditionRequired,
                    format!("send If-Match with the {}'s current ETag", self.noun),
                ))
            } else {
                Ok(())
            };
        };
        let bytes = raw.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_IF_MATCH || !bytes.iter().all(|b| (b' '..=b'~').contains(b))
        {
            let message = "must be 1 to 1024 visible ASCII characters: an ETag, a list of them, or *";
            return Err(
                ApiError::bad_request(format!("If-Match {message}")).with_field("/header/If-Match", message)
            );
        }
        let value = raw.to_str().unwrap_or_default();
        if crate::http_cache::list_matches(value, &etag(current)) {
            Ok(())
        } else {
            Err(self.changed(current))
        }
    }

    /// A 412 naming the current ETag: the row changed since the caller read it.
    pub fn changed(self, current: i32) -> ApiError {
        ApiError::new(
            ProblemKind::PreconditionFailed,
            format!(
                "the {} changed (current ETag {}); read it again and reapply your change",
                self.noun,
                etag(current)
            ),
        )
    }

    /// A 412 for a write that lost the race with another (its version moved under it).
    pub fn lost_race(self) -> ApiError {
        ApiError::new(
            ProblemKind::PreconditionFailed,
            format!("the {} changed while you were writing; read it again", self.noun),
        )
    }
}

/// The partner's view of a row as a response with its ETag, and its `Location` when created
/// (kept for `Idempotency-Key` replays).
pub fn versioned_response(
    status: StatusCode,
    location: impl FnOnce() -> String,
    version: i32,
    body: &impl serde::Serialize,
) -> Result<StoredResponse, ApiError> {
    Ok(StoredResponse {
        status: status.as_u16(),
        location: (status == StatusCode::CREATED).then(location),
        etag: Some(etag(version)),
        body: serde_json::to_vec(body).map_err(ApiError::internal)?,
    })
}
