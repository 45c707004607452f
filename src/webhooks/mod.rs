//! Signed webhooks for partners: endpoints, a transactional outbox, a delivery worker with
//! Standard Webhooks signatures and exponential backoff, and the delivery log.

pub mod delivery;
pub mod domain;
pub mod dto;
pub mod outbox;
pub mod repo;
pub mod routes;
pub mod signing;
pub mod url_check;

use crate::states::{ListingStatus, OfferStatus, QuoteStatus, ReviewEvent};
use serde_json::json;

use crate::webhooks::outbox::EventType;

/// Registers the webhook endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    routes::configure(cfg);
}

fn event_description(event_type: EventType) -> &'static str {
    match event_type {
        EventType::QuoteRouted => {
            "A new quote request was shared with one of your clinics (one event per clinic). \
`data`: `quote_id`, `clinic_id`, `status` = `open`. Fetch it with `GET /v1/quotes/{quote_id}`."
        }
        EventType::OfferAccepted => {
            "The patient accepted your clinic's offer; the contact details are now visible through \
`GET /v1/quotes/{quote_id}`. `data`: `quote_id`, `offer_id`, `clinic_id`, `status` = `accepted`."
        }
        EventType::OfferDeclined => {
            "Your pending offer was declined: the patient accepted another offer, cancelled the \
quote or erased their data. `data`: `quote_id`, `offer_id`, `clinic_id`, `status` = `declined`."
        }
        EventType::QuoteCancelled => {
            "The patient cancelled a quote shared with your clinics. `data`: `quote_id`, `status` = \
`cancelled`."
        }
        EventType::QuoteErased => {
            "The patient erased their personal data from a quote shared with your clinics; delete \
any copy you hold. `data`: `quote_id`, `status` = `erased`."
        }
        EventType::ListingModerated => {
            "A moderator decided on one of your listings. `data`: `clinic_id`, `status` (the \
moderation outcome, e.g. `published` or `rejected`)."
        }
        EventType::QuoteTreated => {
            "Your clinic's treatment of a patient was recorded (by your key or by staff). No \
health data is sent: read the record through `GET /v1/quotes/{quote_id}/treatment`. `data`: \
`quote_id`, `offer_id`, `clinic_id`, `status` = `treated`."
        }
        EventType::QuoteNotTreated => {
            "A quote accepted with your clinic's offer was recorded as not treated. `data`: \
`quote_id`, `offer_id`, `clinic_id`, `status` = `not_treated`."
        }
        EventType::ReviewPublished => {
            "A verified patient's review of one of your clinics was published (it passed screening). \
`data`: `review_id`, `clinic_id`, `status` = `published`; no quote id, so the event does not say which \
patient wrote it. Read it with `GET /v1/clinics/{clinic_id}/reviews`; reply once with `POST \
/v1/partner/clinics/{clinic_id}/reviews/{review_id}/reply`."
        }
        EventType::ReviewReplied => {
            "Your reply to a review was published. `data`: `review_id`, `clinic_id`, `status` = `replied`."
        }
        EventType::FollowUpDue => {
            "Staff endpoints only (`/v1/admin/webhook-endpoints`): a patient's follow-up window \
opened. `data`: `quote_id`, `time_point` (`baseline`, `month_3`, `month_6`, `month_12`, \
`month_24`), `status` = `due`. Never a score: the answers stay in the API."
        }
    }
}

fn event_example(event_type: EventType) -> serde_json::Value {
    let quote = "5b0c6f1e-2d4a-4c8e-9a7b-1f2e3d4c5b6a";
    let clinic = "6f1c2b7e-4c1a-4f5e-9d0b-3a2e1c0b9a88";
    let offer = "7d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70";
    let review = "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c21";
    let data = match event_type {
        EventType::QuoteRouted => {
            json!({"quote_id": quote, "clinic_id": clinic, "status": QuoteStatus::Open})
        }
        EventType::OfferAccepted => {
            json!({"quote_id": quote, "offer_id": offer, "clinic_id": clinic, "status": OfferStatus::Accepted})
        }
        EventType::OfferDeclined => {
            json!({"quote_id": quote, "offer_id": offer, "clinic_id": clinic, "status": OfferStatus::Declined})
        }
        EventType::QuoteCancelled => json!({"quote_id": quote, "status": QuoteStatus::Cancelled}),
        EventType::QuoteErased => json!({"quote_id": quote, "status": "erased"}),
        EventType::ListingModerated => json!({"clinic_id": clinic, "status": ListingStatus::Published}),
        EventType::QuoteTreated => {
            json!({"quote_id": quote, "offer_id": offer, "clinic_id": clinic, "status": QuoteStatus::Treated})
        }
        EventType::QuoteNotTreated => {
            json!({"quote_id": quote, "offer_id": offer, "clinic_id": clinic, "status": QuoteStatus::NotTreated})
        }
        EventType::ReviewPublished => {
            json!({"clinic_id": clinic, "review_id": review, "status": ReviewEvent::Published})
        }
        EventType::ReviewReplied => {
            json!({"clinic_id": clinic, "review_id": review, "status": ReviewEvent::Replied})
        }
        EventType::FollowUpDue => json!({"quote_id": quote, "status": "due", "time_point": "month_3"}),
    };
    json!({
        "id": "0193a5c3-0000-7c3a-9f2b-5e8d4c3b2a10",
        "type": event_type.as_str(),
        "created_at": "2026-11-29T10:00:00Z",
        "data": data
    })
}

/// Adds the top-level `webhooks` section (OpenAPI 3.1): one entry per event, describing the POST
/// StemCare sends, its Standard Webhooks headers and the payload schema. utoipa 5 has no typed
/// field for it, so it goes in through the document's extension map (serialised at top level).
pub struct WebhooksSection;

impl utoipa::Modify for WebhooksSection {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::PartialSchema;
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert("WebhookEvent".to_owned(), outbox::WebhookEvent::schema());
        components
            .schemas
            .insert("WebhookEventData".to_owned(), outbox::WebhookEventData::schema());
        let header = |name: &str, description: &str, example: &str| {
            json!({"name": name, "in": "header", "required": true, "description": description,
                   "schema": {"type": "string"}, "example": example})
        };
        let mut section = serde_json::Map::new();
        for event_type in EventType::ALL {
            let operation = json!({
                "post": {
                    "tags": ["webhooks"],
                    "summary": format!("{} event", event_type.as_str()),
                    "description": format!("{}\n\nSent as a POST to each of your active endpoints, signed per \
            Standard Webhooks. Answer with any 2xx within 10 seconds; anything else is retried with exponential \
            backoff for up to 3 days. Deduplicate on `webhook-id`.", event_description(event_type)),
                    "operationId": format!("webhook_{}", event_type.as_str().replace('.', "_")),
                    "parameters": [
                        header("webhook-id", "The event id; the same on every retry", "0193a5c3-0000-7c3a-9f2b-5e8d4c3b2a10"),
                        header("webhook-timestamp", "Unix seconds when this attempt was signed; reject values far from your clock", "1795946400"),
                        header("webhook-signature", "`v1,` + base64(HMAC-SHA256(secret bytes, `{webhook-id}.{webhook-timestamp}.{body}`)), where the secret bytes are the base64-decoded part after `whsec_`", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
                    ],
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/WebhookEvent"},
                            "example": event_example(event_type)
                        }}
                    },
                    "responses": {
                        "2XX": {"description": "Received; no retry"},
                        "default": {"description": "Any other answer, a timeout or no connection: retried later"}
                    },
                    "security": []
                }
            });
            section.insert(event_type.as_str().to_owned(), operation);
        }
        let extensions = openapi.extensions.get_or_insert_with(Default::default);
        extensions.insert("webhooks".to_owned(), serde_json::Value::Object(section));
    }
}
