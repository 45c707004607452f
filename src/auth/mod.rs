//! Who is calling (GUIDE §5): staff and partner API keys (`sk_live_…`) and patients' quote access
//! tokens (`qt_…`), both sent as `Authorization: Bearer <secret>` and stored only as hashes.
//!
//! Missing or bad credentials → 401 with `WWW-Authenticate`; a role without the permission → 403;
//! an object the caller may not see → 404 (its existence is not revealed).

pub mod api_keys;
mod first;

pub use first::authenticate_first;

use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::crypto::secret_hash;
use crate::db::schema::quotes;
use crate::error::{ApiError, ProblemKind};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Admin {
        key_id: Uuid,
    },
    Coordinator {
        key_id: Uuid,
    },
    Partner {
        key_id: Uuid,
        partner_id: Uuid,
    },
    /// The patient holding one quote's access token.
    Patient {
        quote_id: Uuid,
    },
}

impl Principal {
    pub fn key_id(&self) -> Option<Uuid> {
        match self {
            Self::Admin { key_id } | Self::Coordinator { key_id } | Self::Partner { key_id, .. } => {
                Some(*key_id)
            }
            Self::Patient { .. } => None,
        }
    }

    pub fn role(&self) -> &'static str {
        match self {
            Self::Admin { .. } => "admin",
            Self::Coordinator { .. } => "coordinator",
            Self::Partner { .. } => "partner",
            Self::Patient { .. } => "patient",
        }
    }

    /// Staff see every quote.
    pub fn is_staff(&self) -> bool {
        matches!(self, Self::Admin { .. } | Self::Coordinator { .. })
    }
}

/// The raw bearer secret of a request, if any, and the caller it names when
/// [`authenticate_first`] already resolved it. Never logged.
pub struct BearerToken(Option<String>, Option<Principal>);

impl FromRequest for BearerToken {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let resolved = req.extensions().get::<Principal>().cloned();
        let Some(value) = req.headers().get(header::AUTHORIZATION) else {
            return ready(Ok(Self(None, resolved)));
        };
        let parsed = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty() && v.len() <= 200);
        ready(match parsed {
            Some(token) => Ok(Self(Some(token), resolved)),
            None => Err(unauthorized(
                "the Authorization header must be `Bearer <key or token>`",
            )),
        })
    }
}

/// A 401 with the challenge clients need.
pub fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(ProblemKind::Unauthorized, detail)
        .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"stemcare\"")
}

pub fn forbidden(detail: &str) -> ApiError {
    ApiError::new(ProblemKind::Forbidden, detail)
}

impl BearerToken {
    /// Resolves the caller; 401 when there are no or bad credentials.
    pub async fn principal(&self, conn: &mut AsyncPgConnection) -> Result<Principal, ApiError> {
        if let Some(principal) = &self.1 {
            return Ok(principal.clone());
        }
        let token = self
            .0
            .as_deref()
            .ok_or_else(|| unauthorized("credentials are required"))?;
        if token.starts_with(api_keys::KEY_PREFIX) {
            return api_keys::authenticate(conn, token).await;
        }
        if token.starts_with(QUOTE_TOKEN_PREFIX) {
            let quote_id: Option<Uuid> = quotes::table
                .filter(quotes::access_token_hash.eq(secret_hash(token)))
                .select(quotes::id)
                .first(conn)
                .await
                .optional()?;
            return quote_id
                .map(|quote_id| Principal::Patient { quote_id })
                .ok_or_else(|| unauthorized("invalid credentials"));
        }
        Err(unauthorized("invalid credentials"))
    }

    /// A staff or partner key; patients' tokens get 403 here.
    pub async fn api_key(&self, conn: &mut AsyncPgConnection) -> Result<Principal, ApiError> {
        let principal = self.principal(conn).await?;
        if matches!(principal, Principal::Patient { .. }) {
            return Err(forbidden("this operation needs an API key"));
        }
        Ok(principal)
    }
}

/// The caller, if it holds an admin key: 401 without credentials, 403 for any other caller.
pub async fn require_admin(
    conn: &mut AsyncPgConnection,
    bearer: &BearerToken,
) -> Result<Principal, ApiError> {
    let principal = bearer.api_key(conn).await?;
    if matches!(principal, Principal::Admin { .. }) {
        Ok(principal)
    } else {
        Err(forbidden("this needs an admin key"))
    }
}

/// The calling partner's id: 401 without credentials, 403 (with `denied` as the detail, which says
/// what the resource is for) for staff keys and patients' tokens.
pub async fn require_partner(
    conn: &mut AsyncPgConnection,
    bearer: &BearerToken,
    denied: &str,
) -> Result<Uuid, ApiError> {
    match bearer.api_key(conn).await? {
        Principal::Partner { partner_id, .. } => Ok(partner_id),
        _ => Err(forbidden(denied)),
    }
}

/// Patients' quote access tokens start with this.
pub const QUOTE_TOKEN_PREFIX: &str = "qt_";
