//! Request and response bodies of the webhook endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::webhooks::domain::DeliveryStatus;

/// Register an endpoint.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookEndpointRequest {
    /// An `https:` URL on the public internet (at most 2048 characters). Loopback, private,
    /// link-local, CGNAT, multicast and cloud metadata addresses are refused, also when a host
    /// name resolves to one. Redirects are not followed.
    #[schema(
        example = "https://partner.example.com/stemcare/webhooks",
        format = "uri",
        max_length = 2048
    )]
    pub url: String,
    /// A note for your own records (at most 500 characters).
    #[schema(
        example = "Production CRM",
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
}

/// A registered endpoint (its secret is never shown again after creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointResponse {
    /// The endpoint id.
    pub id: Uuid,
    /// Where events are POSTed.
    pub url: String,
    /// The partner's note, if any.
    pub description: Option<String>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// The endpoint just created, with its signing secret: shown this once, store it safely.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookEndpoint {
    /// The endpoint as listed later.
    #[serde(flatten)]
    pub endpoint: WebhookEndpointResponse,
    /// `whsec_` + base64 of 32 random bytes. Verify `webhook-signature` with the decoded bytes.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwx2GFmbbwiqM=")]
    pub secret: String,
}

/// The partner's endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointList {
    /// Active endpoints, oldest first (at most 10).
    pub items: Vec<WebhookEndpointResponse>,
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookAttemptResponse {
    /// When the attempt was made.
    pub at: DateTime<Utc>,
    /// The HTTP status the endpoint answered; absent when there was no answer.
    pub status_code: Option<i32>,
    /// Why there was no usable answer (timeout, connection refused, URL refused …).
    pub error: Option<String>,
    /// How long the attempt took, in milliseconds.
    pub duration_ms: i32,
}

/// One event's delivery to one endpoint, with every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryResponse {
    /// The delivery id (for `POST /v1/partner/webhook-deliveries/{id}/retry`).
    pub id: Uuid,
    /// The event id (the `webhook-id` header).
    pub event_id: Uuid,
    /// The event's `type`.
    #[schema(example = "offer.accepted")]
    pub event_type: String,
    /// The endpoint it goes to.
    pub endpoint_id: Uuid,
    /// `pending` (will be tried at `next_attempt_at`), `succeeded` or `failed` (gave up after 3 days).
    #[schema(example = json!(DeliveryStatus::Succeeded))]
    pub status: String,
    /// Attempts so far.
    pub attempt_count: i32,
    /// When the next attempt is due (`pending` only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the latest attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the latest attempt, if the endpoint answered.
    pub last_status_code: Option<i32>,
    /// Why the latest attempt got no usable answer, if so.
    pub last_error: Option<String>,
    /// When the event was queued for this endpoint.
    pub created_at: DateTime<Utc>,
    /// The body that is sent (ids and states only).
    #[schema(value_type = crate::webhooks::outbox::WebhookEvent)]
    pub payload: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttemptResponse>,
}

/// Paging of the delivery list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// The `next_page_token` of the previous page.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}
