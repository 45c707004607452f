//! Signed webhooks, delivered to a real HTTP server on 127.0.0.1 and verified with an independent
//! implementation (the `standardwebhooks` crate, which uses its own HMAC). No other traffic.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use stemcare::webhooks::delivery::{deliver_due, Deliverer, Round};
use stemcare::webhooks::url_check::{delivery_client, UrlPolicy};

use crate::helpers::{assert_problem, location, TestApp};

/// One request the receiver got.
#[derive(Clone)]
struct Received {
    path: String,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct Inbox {
    received: Mutex<Vec<Received>>,
    /// Statuses to answer with, in order; 200 once they run out.
    script: Mutex<VecDeque<u16>>,
}

/// A webhook receiver listening on 127.0.0.1.
struct Receiver {
    base: String,
    inbox: Arc<Inbox>,
}

async fn receive(req: HttpRequest, body: web::Bytes, inbox: web::Data<Inbox>) -> HttpResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    inbox.received.lock().expect("lock").push(Received {
        path: req.path().to_owned(),
        headers,
        body: body.to_vec(),
    });
    let status = inbox.script.lock().expect("lock").pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).finish()
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let inbox = web::Data::new(Inbox::default());
        let shared = inbox.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            inbox: inbox.into_inner(),
        }
    }

    fn answer_with(&self, statuses: &[u16]) {
        self.inbox.script.lock().expect("lock").extend(statuses);
    }

    fn received(&self, path: &str) -> Vec<Received> {
        let all = self.inbox.received.lock().expect("lock");
        all.iter().filter(|r| r.path == path).cloned().collect()
    }
}

fn deliverer(app: &TestApp) -> Deliverer {
    Deliverer {
        client: delivery_client().expect("client"),
        data_key: app.data_key.clone(),
        policy: UrlPolicy {
            allow_insecure_localhost: true,
        },
    }
}

async fn deliver(app: &TestApp, at: chrono::DateTime<Utc>) -> Round {
    let mut conn = app.db().await;
    deliver_due(&mut conn, &deliverer(app), at)
        .await
        .expect("deliver")
}

/// Registers `url` for the partner; returns (endpoint id, secret).
async fn register(app: &TestApp, key: &str, url: &str) -> (String, String) {
    let response = app
        .post_json(
            "/v1/partner/webhook-endpoints",
            Some(key),
            &json!({"url": url, "description": "test receiver"}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let id_location = location(&response);
    let body: Value = response.json().await.expect("json");
    let id = body["id"].as_str().expect("id").to_owned();
    assert_eq!(id_location, format!("/v1/partner/webhook-endpoints/{id}"));
    let secret = body["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    (id, secret)
}

/// The quote request of the quote tests (with the patient's contact and health details this
/// file checks never leave in a webhook), shared with `clinic_ids`.
fn quote_request(clinic_ids: &[&str]) -> Value {
    crate::quotes::quote_request(
        "jane@example.com",
        json!({"mode": "clinics", "clinic_ids": clinic_ids}),
    )
}

/// Creates a quote shared with `clinic_ids`; returns (quote id, patient token).
async fn create_quote(app: &TestApp, clinic_ids: &[&str]) -> (String, String) {
    let response = app
        .post_json("/v1/quotes", None, &quote_request(clinic_ids))
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("json");
    (
        body["quote"]["id"].as_str().expect("id").to_owned(),
        body["access_token"].as_str().expect("token").to_owned(),
    )
}

async fn make_offer(app: &TestApp, quote_id: &str, key: &str, clinic_id: &str) -> String {
    let response = app
        .post_json(
            &format!("/v1/quotes/{quote_id}/offers"),
            Some(key),
            &crate::quotes::offer_request(clinic_id),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn an_accepted_offer_arrives_signed_and_without_patient_data() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let medipol_key = app
        .partner_key("Medipol Group", "medipol-university-hospital")
        .await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let medipol = app.clinic_id("medipol-university-hospital").await;
    let (_, liv_secret) = register(&app, &liv_key, &format!("{}/liv", receiver.base)).await;
    let (_, medipol_secret) = register(&app, &medipol_key, &format!("{}/medipol", receiver.base)).await;

    let (quote_id, token) = create_quote(&app, &[&liv, &medipol]).await;
    let liv_offer = make_offer(&app, &quote_id, &liv_key, &liv).await;
    let medipol_offer = make_offer(&app, &quote_id, &medipol_key, &medipol).await;
    let accept = app
        .post_json(
            &format!("/v1/quotes/{quote_id}/offers/{liv_offer}/accept"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(accept.status().as_u16(), 200);

    assert_eq!(
        receiver.received("/liv").len(),
        0,
        "nothing is sent before the worker runs"
    );
    let round = deliver(&app, Utc::now()).await;
    assert_eq!(
        round,
        Round {
            succeeded: 4,
            failed: 0
        }
    );

    let liv_events = receiver.received("/liv");
    let types: Vec<Value> = liv_events.iter().map(|r| r.json()["type"].clone()).collect();
    assert!(
        types.contains(&json!("quote.routed")) && types.contains(&json!("offer.accepted")),
        "{types:?}"
    );
    let accepted = liv_events
        .iter()
        .find(|r| r.json()["type"] == "offer.accepted")
        .expect("offer.accepted delivered");
    let payload = accepted.json();
    assert_eq!(payload["data"]["quote_id"], quote_id.as_str());
    assert_eq!(payload["data"]["offer_id"], liv_offer.as_str());
    assert_eq!(payload["data"]["clinic_id"], liv.as_str());
    assert_eq!(payload["data"]["status"], "accepted");
    assert_eq!(
        accepted.headers["webhook-id"],
        payload["id"].as_str().expect("id")
    );
    assert_eq!(accepted.headers["content-type"], "application/json");

    // The independent implementation accepts the signature, and rejects any change.
    let verifier = standardwebhooks::Webhook::new(&liv_secret).expect("secret");
    verifier
        .verify(&accepted.body, &accepted.headers)
        .expect("valid signature");
    let mut tampered = accepted.body.clone();
    tampered.push(b' ');
    assert!(verifier.verify(&tampered, &accepted.headers).is_err());
    assert!(standardwebhooks::Webhook::new(&medipol_secret)
        .expect("secret")
        .verify(&accepted.body, &accepted.headers)
        .is_err());

    // Ids and states only: nothing of the patient's contact or health details.
    for received in liv_events.iter().chain(receiver.received("/medipol").iter()) {
        let text = String::from_utf8_lossy(&received.body).to_lowercase();
        for secret in [
            "jane",
            "doe",
            "example.com",
            "7946",
            "l5-s1",
            "herniation",
            "sciatica",
            "notes",
        ] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }

    // The losing partner hears that its offer was declined.
    let medipol_events: Vec<Value> = receiver.received("/medipol").iter().map(Received::json).collect();
    let declined = medipol_events
        .iter()
        .find(|e| e["type"] == "offer.declined")
        .expect("offer.declined delivered");
    assert_eq!(declined["data"]["offer_id"], medipol_offer.as_str());
    assert!(!medipol_events.iter().any(|e| e["type"] == "offer.accepted"));

    // A second round sends nothing again.
    assert_eq!(
        deliver(&app, Utc::now() + Duration::minutes(1)).await,
        Round::default()
    );
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_then_succeeds_and_can_be_resent() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let (endpoint_id, _) = register(&app, &liv_key, &format!("{}/hooks", receiver.base)).await;
    receiver.answer_with(&[500]);
    let (quote_id, _) = create_quote(&app, &[&liv]).await;

    let now = Utc::now();
    assert_eq!(
        deliver(&app, now).await,
        Round {
            succeeded: 0,
            failed: 1
        }
    );
    let page = app.get_as("/v1/partner/webhook-deliveries", &liv_key).await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page: Value = page.json().await.expect("json");
    let delivery = &page["items"][0];
    assert_eq!(delivery["status"], "pending");
    assert_eq!(delivery["event_type"], "quote.routed");
    assert_eq!(delivery["endpoint_id"], endpoint_id.as_str());
    assert_eq!(delivery["payload"]["data"]["quote_id"], quote_id.as_str());
    assert_eq!(delivery["last_status_code"], 500);
    let next = chrono::DateTime::parse_from_rfc3339(delivery["next_attempt_at"].as_str().expect("next"))
        .expect("time");
    let wait_ms = (next.with_timezone(&Utc) - now).num_milliseconds();
    assert!(
        (4_990..=5_000).contains(&wait_ms),
        "first retry after 5 s: {wait_ms} ms"
    );

    // Not before it is due; then the retry succeeds.
    assert_eq!(deliver(&app, now + Duration::seconds(1)).await, Round::default());
    assert_eq!(
        deliver(&app, now + Duration::seconds(6)).await,
        Round {
            succeeded: 1,
            failed: 0
        }
    );
    let page: Value = app
        .get_json_as("/v1/partner/webhook-deliveries", &liv_key, 200)
        .await;
    let delivery = &page["items"][0];
    assert_eq!(delivery["status"], "succeeded");
    assert_eq!(delivery["attempt_count"], 2);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    let codes: Vec<Value> = delivery["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, vec![json!(500), json!(200)]);
    assert!(delivery["attempts"][0]["duration_ms"].is_number());
    let received = receiver.received("/hooks");
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].headers["webhook-id"], received[1].headers["webhook-id"],
        "same id on retry"
    );

    // A manual retry re-sends it with the same id.
    let delivery_id = delivery["id"].as_str().expect("id").to_owned();
    let retry = app
        .post_json(
            &format!("/v1/partner/webhook-deliveries/{delivery_id}/retry"),
            Some(&liv_key),
            &json!({}),
        )
        .await;
    assert_eq!(retry.status().as_u16(), 202);
    assert_eq!(
        deliver(&app, Utc::now() + Duration::seconds(1)).await,
        Round {
            succeeded: 1,
            failed: 0
        }
    );
    let received = receiver.received("/hooks");
    assert_eq!(received.len(), 3);
    assert_eq!(
        received[2].headers["webhook-id"],
        received[0].headers["webhook-id"]
    );
    let page: Value = app
        .get_json_as("/v1/partner/webhook-deliveries", &liv_key, 200)
        .await;
    assert_eq!(
        page["items"][0]["attempts"].as_array().expect("attempts").len(),
        3
    );

    // Another partner sees none of it.
    let medipol_key = app
        .partner_key("Medipol Group", "medipol-university-hospital")
        .await;
    let theirs: Value = app
        .get_json_as("/v1/partner/webhook-deliveries", &medipol_key, 200)
        .await;
    assert_eq!(theirs["items"], json!([]));
    assert_problem(
        app.post_json(
            &format!("/v1/partner/webhook-deliveries/{delivery_id}/retry"),
            Some(&medipol_key),
            &json!({}),
        )
        .await,
        404,
        "not-found",
    )
    .await;
}

#[tokio::test]
async fn deliveries_give_up_three_days_after_the_event() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    register(&app, &liv_key, &format!("{}/down", receiver.base)).await;
    receiver.answer_with(&[503; 20]);
    create_quote(&app, &[&liv]).await;
    let mut at = Utc::now();
    let mut rounds = 0;
    loop {
        let round = deliver(&app, at).await;
        rounds += 1;
        assert!(rounds < 20, "gives up eventually");
        let page: Value = app
            .get_json_as("/v1/partner/webhook-deliveries", &liv_key, 200)
            .await;
        let delivery = &page["items"][0];
        if delivery["status"] == "failed" {
            assert_eq!(round.failed, 1);
            break;
        }
        let next = delivery["next_attempt_at"].as_str().expect("next");
        at = chrono::DateTime::parse_from_rfc3339(next)
            .expect("time")
            .with_timezone(&Utc);
    }
    let waits = receiver.received("/down").len();
    assert!(
        (9..=12).contains(&waits),
        "backoff 5 s, 5 min, 30 min, 2 h, 5 h, 10 h … over 3 days: {waits}"
    );
}

/// A retry whose response was lost gets the first endpoint and its secret back, not a second
/// endpoint whose secret nobody saw; the key with another body is refused; concurrent retries
/// with one key register one endpoint.
#[tokio::test]
async fn endpoint_registration_honours_idempotency_keys() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let path = "/v1/partner/webhook-endpoints";
    let body = json!({"url": format!("{}/crm", receiver.base), "description": "CRM"});
    let first = app.post_idempotent(path, &liv_key, "hook-1", &body).await;
    assert_eq!(first.status().as_u16(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.expect("json");
    let again = app.post_idempotent(path, &liv_key, "hook-1", &body).await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(
        again.json::<Value>().await.expect("json"),
        first,
        "same endpoint, same secret"
    );
    let other = json!({"url": format!("{}/other", receiver.base)});
    assert_problem(
        app.post_idempotent(path, &liv_key, "hook-1", &other).await,
        422,
        "idempotency-key-reused",
    )
    .await;

    let racing = json!({"url": format!("{}/race", receiver.base)});
    let ids = app.race_idempotent(path, &liv_key, "hook-race", &racing).await;
    assert_eq!(ids.len(), 1, "one endpoint for one key: {ids:?}");
    let listed: Value = app.get_json_as(path, &liv_key, 200).await;
    let urls: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["url"].as_str())
        .collect();
    assert_eq!(urls.len(), 2, "{urls:?}");
}

#[tokio::test]
async fn endpoint_urls_must_be_public_https() {
    let app = TestApp::spawn().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    for url in [
        "http://example.com/hooks",
        "https://127.0.0.1/",
        "https://10.0.0.1/",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/",
        "https://[fd00:ec2::254]/",
        "https://100.64.0.1/",
        "http://127.0.0.1/no-port",
        "not a url",
    ] {
        let response = app
            .post_json(
                "/v1/partner/webhook-endpoints",
                Some(&liv_key),
                &json!({"url": url}),
            )
            .await;
        let body = assert_problem(response, 422, "validation-failed").await;
        assert_eq!(body["errors"][0]["pointer"], "/url", "{url}: {body}");
    }
    let unknown = app
        .post_json(
            "/v1/partner/webhook-endpoints",
            Some(&liv_key),
            &json!({"url": "https://hooks.example.com/", "secret": "mine"}),
        )
        .await;
    assert_eq!(unknown.status().as_u16(), 422, "no mass assignment of the secret");
    let listed: Value = app
        .get_json_as("/v1/partner/webhook-endpoints", &liv_key, 200)
        .await;
    assert_eq!(listed["items"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn endpoints_belong_to_their_partner_and_deleting_one_stops_deliveries() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let medipol_key = app
        .partner_key("Medipol Group", "medipol-university-hospital")
        .await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let (id, secret) = register(&app, &liv_key, &format!("{}/liv", receiver.base)).await;

    let listed: Value = app
        .get_json_as("/v1/partner/webhook-endpoints", &liv_key, 200)
        .await;
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown only once"
    );
    let path = format!("/v1/partner/webhook-endpoints/{id}");
    assert_eq!(app.get_as(&path, &liv_key).await.status().as_u16(), 200);

    // Another partner, staff and anonymous callers.
    assert_problem(app.get_as(&path, &medipol_key).await, 404, "not-found").await;
    let theirs: Value = app
        .get_json_as("/v1/partner/webhook-endpoints", &medipol_key, 200)
        .await;
    assert_eq!(theirs["items"], json!([]));
    let delete_as = |key: &str| {
        app.client
            .delete(app.url(&path))
            .bearer_auth(key.to_owned())
            .send()
    };
    assert_problem(delete_as(&medipol_key).await.expect("DELETE"), 404, "not-found").await;
    let coordinator = app.staff_key("coordinator").await;
    assert_problem(
        app.get_as("/v1/partner/webhook-endpoints", &coordinator).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/v1/partner/webhook-deliveries").await,
        401,
        "unauthorized",
    )
    .await;

    // Events queued before the deletion are never sent; none are queued after it.
    create_quote(&app, &[&liv]).await;
    assert_eq!(delete_as(&liv_key).await.expect("DELETE").status().as_u16(), 204);
    assert_problem(app.get_as(&path, &liv_key).await, 404, "not-found").await;
    create_quote(&app, &[&liv]).await;
    assert_eq!(deliver(&app, Utc::now()).await, Round::default());
    assert!(receiver.received("/liv").is_empty());
    let page: Value = app
        .get_json_as("/v1/partner/webhook-deliveries", &liv_key, 200)
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[0]["last_error"], "endpoint deleted");
    let retry = app
        .post_json(
            &format!(
                "/v1/partner/webhook-deliveries/{}/retry",
                items[0]["id"].as_str().expect("id")
            ),
            Some(&liv_key),
            &json!({}),
        )
        .await;
    assert_problem(retry, 409, "conflict").await;
}

#[tokio::test]
async fn cancelling_and_erasing_tell_the_routed_partners() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    register(&app, &liv_key, &format!("{}/liv", receiver.base)).await;
    let (quote_id, token) = create_quote(&app, &[&liv]).await;
    let offer_id = make_offer(&app, &quote_id, &liv_key, &liv).await;
    let cancel = app
        .post_json(&format!("/v1/quotes/{quote_id}/cancel"), Some(&token), &json!({}))
        .await;
    assert_eq!(cancel.status().as_u16(), 200);
    let erase = app
        .client
        .delete(app.url(&format!("/v1/quotes/{quote_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(erase.status().as_u16(), 204);
    deliver(&app, Utc::now()).await;
    let events: Vec<Value> = receiver.received("/liv").iter().map(Received::json).collect();
    let summary: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("").to_owned(),
                e["data"]["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for expected in [
        ("quote.routed", "open"),
        ("offer.declined", "declined"),
        ("quote.cancelled", "cancelled"),
        ("quote.erased", "erased"),
    ] {
        assert!(
            summary.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} in {summary:?}"
        );
    }
    let declined = events
        .iter()
        .find(|e| e["type"] == "offer.declined")
        .expect("declined");
    assert_eq!(declined["data"]["offer_id"], offer_id.as_str());
}

#[tokio::test]
async fn the_spec_documents_every_event() {
    let spec: Value =
        serde_json::from_str(&stemcare::openapi::render(&stemcare::startup::openapi_document()))
            .expect("json");
    for event in [
        "quote.routed",
        "offer.accepted",
        "offer.declined",
        "quote.cancelled",
        "quote.erased",
        "listing.moderated",
    ] {
        let post = &spec["webhooks"][event]["post"];
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["example"]["type"], event,
            "{event}"
        );
    }
    assert!(spec["components"]["schemas"]["WebhookEvent"].is_object());
    assert!(spec["paths"]["/v1/partner/webhook-endpoints"]["post"].is_object());
}

#[tokio::test]
async fn two_workers_never_send_the_same_delivery_twice() {
    let app = TestApp::spawn().await;
    let receiver = Receiver::start().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    register(&app, &liv_key, &format!("{}/liv", receiver.base)).await;
    for _ in 0..4 {
        create_quote(&app, &[&liv]).await;
    }
    let now = Utc::now();
    let (a, b) = tokio::join!(deliver(&app, now), deliver(&app, now));
    assert_eq!(a.succeeded + b.succeeded, 4, "{a:?} {b:?}");
    let ids: std::collections::HashSet<String> = receiver
        .received("/liv")
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().expect("id").to_owned())
        .collect();
    assert_eq!(receiver.received("/liv").len(), 4);
    assert_eq!(ids.len(), 4);
}
