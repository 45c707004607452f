//! The kinds of problem the API reports, each with its stable `type`, title and status.

use actix_web::http::StatusCode;

/// The kinds of problem the API reports; each maps to one stable `type` URI and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    BadRequest,
    MalformedJson,
    InvalidQuery,
    InvalidPageToken,
    ValidationFailed,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotAcceptable,
    Conflict,
    Gone,
    IdempotencyConflict,
    PreconditionFailed,
    PreconditionRequired,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Internal,
    Unavailable,
    /// A review was asked for before the quote's treatment opened it (issue 20 §4).
    ReviewNotOpen,
    /// A review edit after its edit window closed.
    ReviewEditWindowClosed,
    /// Text refused by automatic screening (contact details, another person's health, abuse).
    TextScreenedOut,
    /// A follow-up answered or skipped before its window opened.
    FollowUpWindowNotOpen,
    /// A follow-up answered or skipped after its window closed.
    FollowUpWindowClosed,
}

impl ProblemKind {
    /// Every kind, for documentation.
    pub const ALL: [ProblemKind; 25] = [
        Self::BadRequest,
        Self::MalformedJson,
        Self::InvalidQuery,
        Self::InvalidPageToken,
        Self::ValidationFailed,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::NotAcceptable,
        Self::Conflict,
        Self::Gone,
        Self::IdempotencyConflict,
        Self::PreconditionFailed,
        Self::PreconditionRequired,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::TooManyRequests,
        Self::Internal,
        Self::Unavailable,
        Self::ReviewNotOpen,
        Self::ReviewEditWindowClosed,
        Self::TextScreenedOut,
        Self::FollowUpWindowNotOpen,
        Self::FollowUpWindowClosed,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Self::BadRequest => "bad-request",
            Self::MalformedJson => "malformed-json",
            Self::InvalidQuery => "invalid-query",
            Self::InvalidPageToken => "invalid-page-token",
            Self::ValidationFailed => "validation-failed",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::NotAcceptable => "not-acceptable",
            Self::Gone => "gone",
            Self::Conflict => "conflict",
            Self::IdempotencyConflict => "idempotency-key-reused",
            Self::PreconditionFailed => "precondition-failed",
            Self::PreconditionRequired => "precondition-required",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::TooManyRequests => "too-many-requests",
            Self::Internal => "internal-error",
            Self::Unavailable => "service-unavailable",
            Self::ReviewNotOpen => "review-not-open",
            Self::ReviewEditWindowClosed => "review-edit-window-closed",
            Self::TextScreenedOut => "text-screened-out",
            Self::FollowUpWindowNotOpen => "follow-up-window-not-open",
            Self::FollowUpWindowClosed => "follow-up-window-closed",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::BadRequest => "Bad request",
            Self::MalformedJson => "Malformed JSON body",
            Self::InvalidQuery => "Invalid query parameter",
            Self::InvalidPageToken => "Invalid page token",
            Self::ValidationFailed => "Validation failed",
            Self::Unauthorized => "Authentication required",
            Self::Forbidden => "Not allowed",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::NotAcceptable => "Not acceptable",
            Self::Gone => "Gone",
            Self::Conflict => "Conflict",
            Self::IdempotencyConflict => "Idempotency key reused with another request",
            Self::PreconditionFailed => "Precondition failed",
            Self::PreconditionRequired => "Precondition required",
            Self::PayloadTooLarge => "Request body too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::TooManyRequests => "Too many requests",
            Self::Internal => "Internal server error",
            Self::Unavailable => "Service unavailable",
            Self::ReviewNotOpen => "Reviews are not open for this quote",
            Self::ReviewEditWindowClosed => "The review can no longer be edited",
            Self::TextScreenedOut => "Text refused by screening",
            Self::FollowUpWindowNotOpen => "Follow-up window not open yet",
            Self::FollowUpWindowClosed => "Follow-up window closed",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest | Self::MalformedJson | Self::InvalidQuery | Self::InvalidPageToken => {
                StatusCode::BAD_REQUEST
            }
            Self::ValidationFailed | Self::IdempotencyConflict | Self::TextScreenedOut => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Self::Gone => StatusCode::GONE,
            Self::Conflict
            | Self::ReviewNotOpen
            | Self::ReviewEditWindowClosed
            | Self::FollowUpWindowNotOpen
            | Self::FollowUpWindowClosed => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The closest kind for a status produced outside our handlers.
    pub fn from_status(status: StatusCode) -> Self {
        Self::ALL
            .into_iter()
            .find(|kind| kind.status() == status)
            .unwrap_or(if status.is_client_error() {
                Self::BadRequest
            } else {
                Self::Internal
            })
    }

    /// The stable `type` URI of this kind.
    pub fn type_uri(self) -> String {
        format!("/problems/{}", self.slug())
    }
}
