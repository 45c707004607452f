//! A patient's way after the offer, as test set-up: a quote offered by a clinic and accepted, the
//! treatment recorded, and the requests of the later steps (handover links, reviews, replies).
//! Shared by the after-the-offer tests (treatments, handover, follow-ups, reviews, the
//! twelve-patient journey and its access sweep), so each of them states only what it tests.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::quotes::{create_quote, offer_request};

/// The seeded clinic most journeys are treated at.
pub(crate) const LIV: &str = "liv-hospital-ulus";
/// The other Istanbul hospital every test quote is shared with (`quotes::create_quote`).
pub(crate) const MEDIPOL: &str = "medipol-university-hospital";

/// A seeded clinic and the API key of the partner that owns it.
pub(crate) struct Clinic {
    pub(crate) id: String,
    pub(crate) key: String,
}

/// Hands the seeded clinic `slug` to the partner `partner` (created once by name) and returns the
/// clinic with a new key of that partner.
pub(crate) async fn clinic(app: &TestApp, partner: &str, slug: &str) -> Clinic {
    let key = app.partner_key(partner, slug).await;
    Clinic {
        id: app.clinic_id(slug).await,
        key,
    }
}

/// Liv Hospital Ulus, owned by the partner "Liv Group".
pub(crate) async fn liv(app: &TestApp) -> Clinic {
    clinic(app, "Liv Group", LIV).await
}

/// Medipol University Hospital, owned by the partner "Medipol Group".
pub(crate) async fn medipol(app: &TestApp) -> Clinic {
    clinic(app, "Medipol Group", MEDIPOL).await
}

/// A patient's quote: its id and the access token the patient was shown once.
pub(crate) struct Patient {
    pub(crate) quote_id: String,
    pub(crate) token: String,
}

/// `clinic` offers on the quote; returns the offer's id.
async fn offer(app: &TestApp, quote_id: &str, clinic: &Clinic) -> String {
    let response = app
        .post_json(
            &format!("/v1/quotes/{quote_id}/offers"),
            Some(&clinic.key),
            &offer_request(&clinic.id),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201, "offer by {}", clinic.id);
    let offer: Value = response.json().await.expect("json");
    offer["id"].as_str().expect("offer id").to_owned()
}

/// The patient accepts the offer.
async fn accept(app: &TestApp, patient: &Patient, offer_id: &str) {
    let response = app
        .post_json(
            &format!("/v1/quotes/{}/offers/{offer_id}/accept", patient.quote_id),
            Some(&patient.token),
            &json!({}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200, "accept");
}

/// A new quote (shared with Liv and Medipol) offered by `clinic` and accepted by the patient.
pub(crate) async fn accepted_quote(app: &TestApp, email: &str, clinic: &Clinic) -> Patient {
    let (quote_id, token, _) = create_quote(app, email).await;
    let patient = Patient { quote_id, token };
    let offer_id = offer(app, &patient.quote_id, clinic).await;
    accept(app, &patient, &offer_id).await;
    patient
}

/// As [`accepted_quote`], but `rival` offers too: its partner saw the quote and its offer was
/// declined when the patient accepted `clinic`'s.
pub(crate) async fn accepted_over_rival(
    app: &TestApp,
    email: &str,
    clinic: &Clinic,
    rival: &Clinic,
) -> Patient {
    let (quote_id, token, _) = create_quote(app, email).await;
    let patient = Patient { quote_id, token };
    let offer_id = offer(app, &patient.quote_id, clinic).await;
    offer(app, &patient.quote_id, rival).await;
    accept(app, &patient, &offer_id).await;
    patient
}

/// The usual contest: Liv's offer accepted over Medipol's. Returns the patient, Liv and Medipol.
pub(crate) async fn liv_over_medipol(app: &TestApp, email: &str) -> (Patient, Clinic, Clinic) {
    let (liv, medipol) = (liv(app).await, medipol(app).await);
    let patient = accepted_over_rival(app, email, &liv, &medipol).await;
    (patient, liv, medipol)
}

/// A complete `treated` record; `lot` lets a test plant a marker in a free-text field.
pub(crate) fn treated_body(treated_on: &str, lot: &str) -> Value {
    json!({
        "outcome": "treated",
        "treated_on": treated_on,
        "cell_type": "bm-msc",
        "cell_source": "autologous",
        "cell_count": 50_000_000,
        "administration_method": "intradiscal-injection",
        "sites": ["L4-L5 disc"],
        "product_lot": lot,
        "certificate_of_analysis": "CoA 2027/118",
        "medications": ["Cefazolin 1 g IV once before the procedure"],
        "adverse_events": [{"category": "other", "severity": "mild", "description": "Headache the evening after the injection"}]
    })
}

/// `clinic` records the treatment as given today (the server's day), with `lot` as product lot.
pub(crate) async fn record_treatment(app: &TestApp, quote_id: &str, clinic: &Clinic, lot: &str) {
    let response = app
        .post_json(
            &format!("/v1/quotes/{quote_id}/treatment"),
            Some(&clinic.key),
            &treated_body(&app.clock.today().to_string(), lot),
        )
        .await;
    let status = response.status().as_u16();
    assert_eq!(status, 201, "{}", response.text().await.unwrap_or_default());
}

/// An accepted quote whose treatment `clinic` recorded today with `lot` as the product lot.
pub(crate) async fn treated_quote(app: &TestApp, email: &str, clinic: &Clinic, lot: &str) -> Patient {
    let patient = accepted_quote(app, email, clinic).await;
    record_treatment(app, &patient.quote_id, clinic, lot).await;
    patient
}

/// PUT `body` as JSON, with a bearer token when given.
pub(crate) async fn put_json(
    app: &TestApp,
    path: &str,
    bearer: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    app.request(reqwest::Method::PUT, path, bearer, Some(body)).await
}

/// DELETE, with a bearer token when given.
pub(crate) async fn delete(app: &TestApp, path: &str, bearer: Option<&str>) -> reqwest::Response {
    app.request(reqwest::Method::DELETE, path, bearer, None).await
}

/// GET with an `Accept` header (the handover pack negotiates JSON or HTML).
pub(crate) async fn get_accepting(
    app: &TestApp,
    path: &str,
    bearer: Option<&str>,
    accept: &str,
) -> reqwest::Response {
    let mut request = app.client.get(app.url(path)).header("accept", accept);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("GET")
}

/// The patient asks for a doctor's link to their handover pack.
pub(crate) async fn create_link(app: &TestApp, patient: &Patient, body: &Value) -> reqwest::Response {
    app.post_json(
        &format!("/v1/quotes/{}/handover-links", patient.quote_id),
        Some(&patient.token),
        body,
    )
    .await
}

/// POSTs a review of the quote's treatment as `bearer`.
pub(crate) async fn post_review(
    app: &TestApp,
    quote_id: &str,
    bearer: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    app.post_json(&format!("/v1/quotes/{quote_id}/review"), bearer, body)
        .await
}

/// The clinic's reply to a review, sent as `bearer`.
pub(crate) async fn reply(
    app: &TestApp,
    clinic_id: &str,
    review_id: &str,
    bearer: Option<&str>,
) -> reqwest::Response {
    app.post_json(
        &format!("/v1/partner/clinics/{clinic_id}/reviews/{review_id}/reply"),
        bearer,
        &json!({"text": "Thank you; we now explain every invoice line before treatment."}),
    )
    .await
}
