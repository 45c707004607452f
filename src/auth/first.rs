//! Authentication before anything else about a request.
//!
//! Handlers take their body as an extractor, and actix runs extractors before the handler body,
//! so a handler that checks the key itself would answer an anonymous request with a bad body by
//! listing the fields it expected (a 422) instead of a 401. This middleware resolves the caller of
//! every protected route before the route's extractors run: no or bad credentials are a 401, a
//! non-admin key on an admin route is a 403, and the resolved [`Principal`] is kept in the request's
//! extensions, where [`super::BearerToken`] finds it without a second database lookup.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage};

use super::{forbidden, BearerToken, Principal};
use crate::error::ApiError;
use crate::state::AppState;

/// Which routes need credentials, and which of them only an admin may call.
#[derive(Debug, PartialEq, Eq)]
enum Protection {
    Public,
    AnyCredential,
    Admin,
    /// An admin or a coordinator (staff work under `/v1/admin` that coordinators do too).
    Staff,
}

/// Every route under `/v1/admin`, `/v1/partner` and `/metrics` needs a key, and every quote route
/// but the anonymous `POST /v1/quotes` needs a key or the quote's token. Handlers still decide
/// what each principal may do (403 or 404); this only guarantees who is asking is known first.
fn protection(method: &Method, path: &str) -> Protection {
    let path = path.trim_end_matches('/');
    if path == "/v1/admin/verifications" || path.starts_with("/v1/admin/verifications/") {
        return Protection::Staff;
    }
    if path == "/v1/admin" || path.starts_with("/v1/admin/") {
        return Protection::Admin;
    }
    let needs_credential = path == "/metrics"
        || path == "/v1/partner"
        || path.starts_with("/v1/partner/")
        || (path == "/v1/quotes" && method != Method::POST)
        || path.starts_with("/v1/quotes/");
    if needs_credential {
        Protection::AnyCredential
    } else {
        Protection::Public
    }
}

/// Resolves the caller of a protected route before its extractors run (see the module docs).
pub async fn authenticate_first(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let protection = protection(req.method(), req.path());
    // Preflight requests carry no credentials by design; CORS answers them further out.
    if protection == Protection::Public || req.method() == Method::OPTIONS {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    match resolve(&req, &protection).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.call(req).await.map(ServiceResponse::map_into_boxed_body)
        }
        Err(err) => Ok(req.error_response(err)),
    }
}

async fn resolve(req: &ServiceRequest, protection: &Protection) -> Result<Principal, ApiError> {
    let bearer = BearerToken::extract(req.request()).await?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state is missing"))?;
    let mut conn = state.pool.get().await?;
    let principal = bearer.principal(&mut conn).await?;
    if *protection == Protection::Admin && !matches!(principal, Principal::Admin { .. }) {
        return Err(forbidden("this needs an admin key"));
    }
    if *protection == Protection::Staff && !principal.is_staff() {
        return Err(forbidden("this needs a coordinator or admin key"));
    }
    Ok(principal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_routes() {
        let p = |m: Method, path: &str| protection(&m, path);
        assert_eq!(p(Method::PUT, "/v1/admin/exchange-rates/EUR"), Protection::Admin);
        assert_eq!(p(Method::GET, "/v1/admin/"), Protection::Admin);
        assert_eq!(p(Method::POST, "/v1/admin/verifications"), Protection::Staff);
        assert_eq!(p(Method::GET, "/v1/admin/verifications-x"), Protection::Admin);
        assert_eq!(p(Method::POST, "/v1/partner/clinics"), Protection::AnyCredential);
        assert_eq!(p(Method::GET, "/v1/quotes"), Protection::AnyCredential);
        assert_eq!(p(Method::POST, "/v1/quotes"), Protection::Public);
        assert_eq!(p(Method::POST, "/v1/quotes/"), Protection::Public);
        assert_eq!(p(Method::POST, "/v1/quotes/x/offers"), Protection::AnyCredential);
        assert_eq!(p(Method::GET, "/metrics"), Protection::AnyCredential);
        assert_eq!(p(Method::GET, "/v1/clinics"), Protection::Public);
        assert_eq!(p(Method::GET, "/v1/partnerships"), Protection::Public);
        assert_eq!(p(Method::GET, "/v1/administration-methods"), Protection::Public);
    }
}
