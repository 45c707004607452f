//! The handover endpoints and the response they share.

pub mod links;
pub mod pack;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiError;
use crate::handover::domain::{negotiate, Format};
use crate::handover::dto::HandoverPack;
use crate::handover::html;

/// Registers the handover endpoints.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(pack::get_handover)
        .service(pack::get_handover_by_link)
        .service(links::create_handover_link)
        .service(links::revoke_handover_link);
}

/// The format the request's `Accept` asks for (406 when neither JSON nor HTML).
pub fn format_of(req: &HttpRequest) -> Result<Format, ApiError> {
    negotiate(req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

/// The pack in `format`: personal health data, so never stored by any cache.
pub fn pack_response(pack: &HandoverPack, format: Format) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    Ok(match format {
        Format::Json => {
            let body = serde_json::to_vec(pack).map_err(ApiError::internal)?;
            response.content_type("application/json").body(body)
        }
        Format::Html => response
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ))
            .body(html::render(pack)),
    })
}
