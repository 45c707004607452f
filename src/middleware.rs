//! The outermost middleware: request ids, one access-log line per request, and panic containment.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::Error;
use futures_util::FutureExt;

use crate::error::{ApiError, ProblemKind};
pub use crate::request_context::{RequestContext, REQUEST_ID_HEADER};

/// Accepts a client's id only when it is short and made of `[A-Za-z0-9._-]`, so it is safe to log and echo.
pub fn is_sane_request_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn request_id_for(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_request_id(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string())
}

/// Assigns the request id, contains panics as 500 problems, stamps `X-Request-Id` and logs one line.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = request_id_for(&req);
    let context = RequestContext {
        request_id: request_id.clone(),
        path: req.path().to_owned(),
    };
    let method = req.method().clone();
    let metrics = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|s| s.metrics.clone());
    // No clone of the HttpRequest may live across `next.call`: the router needs it unshared.
    let outcome = context
        .clone()
        .scope(async move { AssertUnwindSafe(next.call(req)).catch_unwind().await })
        .await;

    let (status, result) = match outcome {
        Ok(Ok(response)) => {
            let mut response = as_problem_if_framework_error(response.map_into_boxed_body(), &context);
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
            }
            (response.status(), Ok(response))
        }
        // An error that escaped every handler still becomes a problem, with this request's id.
        Ok(Err(error)) => {
            let status = error.as_response_error().status_code();
            let kind = ProblemKind::from_status(status);
            let problem = ApiError::new(kind, kind.title()).with_context(context.clone());
            (status, Err(problem.into()))
        }
        Err(_panic) => {
            log::error!("handler panicked; request_id={request_id}");
            let problem = ApiError::new(
                ProblemKind::Internal,
                "the server failed to handle this request; it has been logged",
            )
            .with_context(context.clone());
            (StatusCode::INTERNAL_SERVER_ERROR, Err(problem.into()))
        }
    };
    let route = route_label(&result);
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(metrics) = &metrics {
        metrics.observe(method.as_str(), &route, status.as_u16(), elapsed);
    }
    log::info!(
        target: "stemcare::access",
        "{} {} {} {:.1}ms request_id={}",
        method,
        route,
        status.as_u16(),
        elapsed * 1000.0,
        request_id
    );
    result
}

/// Rejections rendered by actix itself (e.g. a raw body over the limit) arrive as plain text;
/// re-render them as problems so every error has the same shape.
fn as_problem_if_framework_error(
    response: ServiceResponse<BoxBody>,
    context: &RequestContext,
) -> ServiceResponse<BoxBody> {
    let is_problem = response
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(crate::error::PROBLEM_JSON.as_bytes()));
    if is_problem || response.response().error().is_none() {
        return response;
    }
    let kind = ProblemKind::from_status(response.status());
    let (request, _) = response.into_parts();
    let problem = ApiError::new(kind, kind.title()).with_context(context.clone());
    ServiceResponse::new(request, actix_web::ResponseError::error_response(&problem))
}

fn route_label(result: &Result<ServiceResponse<BoxBody>, Error>) -> String {
    match result {
        Ok(response) => response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "<unmatched>".to_owned()),
        Err(_) => "<error>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_sane_request_id;

    #[test]
    fn request_ids_are_checked_before_they_are_echoed() {
        assert!(is_sane_request_id("abc-123_X.y"));
        assert!(is_sane_request_id(&"a".repeat(128)));
        assert!(!is_sane_request_id(&"a".repeat(129)));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("bad id"));
        assert!(!is_sane_request_id("x\r\ny"));
    }
}
