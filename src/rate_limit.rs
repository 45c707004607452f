//! Rate limits (GCRA, via the `governor` crate), kept in memory per instance:
//!
//! - every request: `STEMCARE_RATE_LIMIT_PER_MINUTE` per API key when one is sent (by its visible
//!   prefix), otherwise per client IP;
//! - `POST /v1/quotes` additionally: `STEMCARE_QUOTE_RATE_LIMIT_PER_HOUR` per client IP.
//!
//! Over the limit → 429 problem with `Retry-After`, `RateLimit-Policy` and `RateLimit`
//! (IETF draft `draft-ietf-httpapi-ratelimit-headers`). Health probes and the spec are exempt.
//! Behind a load balancer every instance limits independently, so the effective limit is the
//! per-instance limit times the number of instances.

use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::{ApiError, ProblemKind};

/// The limiters of one instance.
pub struct RateLimits {
    general: DefaultKeyedRateLimiter<String>,
    general_per_minute: u32,
    quotes: DefaultKeyedRateLimiter<String>,
    quotes_per_hour: u32,
    /// Made once: creating a `quanta` clock calibrates it (CPUID), which showed in profiles when
    /// done per request.
    clock: DefaultClock,
}

fn per(count: usize, window: Duration) -> (Quota, u32) {
    let count = u32::try_from(count).unwrap_or(u32::MAX).max(1);
    let burst = NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN);
    let period = window / count;
    let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    (quota, count)
}

impl RateLimits {
    pub fn new(per_minute: usize, quotes_per_hour: usize) -> Self {
        let (general, general_per_minute) = per(per_minute, Duration::from_secs(60));
        let (quotes, quotes_per_hour) = per(quotes_per_hour, Duration::from_secs(3600));
        Self {
            general: RateLimiter::keyed(general),
            general_per_minute,
            quotes: RateLimiter::keyed(quotes),
            quotes_per_hour,
            clock: DefaultClock::default(),
        }
    }
}

fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/v1/openapi.json") || path.starts_with("/docs")
}

/// Whom the request counts against: the API key's visible prefix, else the peer address.
fn client_key(req: &ServiceRequest) -> String {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|token| token.starts_with(crate::auth::api_keys::KEY_PREFIX));
    match bearer {
        Some(token) => format!("key:{}", token.split('.').next().unwrap_or_default()),
        None => format!(
            "ip:{}",
            req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
        ),
    }
}

fn too_many(policy: &str, limit: u32, window_secs: u64, retry_after: Duration) -> ApiError {
    let seconds = retry_after.as_secs().max(1);
    ApiError::new(
        ProblemKind::TooManyRequests,
        format!("rate limit of {limit} requests per {window_secs} s exceeded; retry in {seconds} s"),
    )
    .with_header(header::RETRY_AFTER, seconds.to_string())
    .with_header(
        HeaderName::from_static("ratelimit-policy"),
        format!("\"{policy}\";q={limit};w={window_secs}"),
    )
    .with_header(
        HeaderName::from_static("ratelimit"),
        format!("\"{policy}\";r=0;t={seconds}"),
    )
}

/// Applies the limits before the request reaches a handler.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(limits) = req.app_data::<web::Data<RateLimits>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    if exempt(req.path()) {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let clock = &limits.clock;
    let key = client_key(&req);
    if let Err(not_until) = limits.general.check_key(&key) {
        let problem = too_many(
            "default",
            limits.general_per_minute,
            60,
            not_until.wait_time_from(clock.now()),
        );
        return Ok(req.into_response(problem.error_response()));
    }
    if req.method() == actix_web::http::Method::POST && req.path() == "/v1/quotes" {
        let ip = format!(
            "ip:{}",
            req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
        );
        if let Err(not_until) = limits.quotes.check_key(&ip) {
            let problem = too_many(
                "quotes",
                limits.quotes_per_hour,
                3600,
                not_until.wait_time_from(clock.now()),
            );
            return Ok(req.into_response(problem.error_response()));
        }
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&format!("\"default\";q={};w=60", limits.general_per_minute)) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("ratelimit-policy"), value);
    }
    Ok(response)
}
