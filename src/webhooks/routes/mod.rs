//! The partner's webhook endpoints and delivery log.

pub mod deliveries;
pub mod endpoints;
pub mod staff_endpoints;

use diesel_async::AsyncPgConnection;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{BearerToken, Principal};
use crate::error::ApiError;

pub use endpoints::MAX_ENDPOINTS;

/// Registers the endpoint-management and delivery-log routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(endpoints::create_webhook_endpoint)
        .service(endpoints::list_webhook_endpoints)
        .service(endpoints::get_webhook_endpoint)
        .service(endpoints::delete_webhook_endpoint)
        .service(deliveries::list_webhook_deliveries)
        .service(deliveries::retry_webhook_delivery)
        .service(staff_endpoints::create_staff_webhook_endpoint)
        .service(staff_endpoints::list_staff_webhook_endpoints)
        .service(staff_endpoints::get_staff_webhook_endpoint)
        .service(staff_endpoints::delete_staff_webhook_endpoint);
}

/// The calling partner's id; staff keys get 403, patients' tokens 403, no credentials 401.
pub async fn partner_of(bearer: &BearerToken, conn: &mut AsyncPgConnection) -> Result<Uuid, ApiError> {
    match bearer.api_key(conn).await? {
        Principal::Partner { partner_id, .. } => Ok(partner_id),
        _ => Err(crate::auth::forbidden(
            "webhooks belong to partners: use a partner API key",
        )),
    }
}
