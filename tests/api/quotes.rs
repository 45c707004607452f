//! The quote flow as a mobile app drives it, and its guarantees: idempotency, authorisation,
//! state machines, concurrency, encryption at rest, erasure and expiry.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, location, TestApp};

pub(crate) fn quote_request(email: &str, share_with: Value) -> Value {
    json!({
        "condition": "sciatica",
        "notes": "L5-S1 herniation, leg pain for two years",
        "has_mri": true,
        "preferred_countries": ["TR"],
        "budget": {"amount": "8000.00", "currency": "EUR"},
        "travel_window": {"from": "2027-03-01", "to": "2027-04-30"},
        "patient": {"name": "Jane Doe", "email": email, "phone": "+44 20 7946 0958", "country_of_residence": "GB", "preferred_language": "en"},
        "consent": {"health_data_processing": true},
        "share_with": share_with
    })
}

pub(crate) fn offer_request(clinic_id: &str) -> Value {
    json!({
        "clinic_id": clinic_id,
        "line_items": [
            {"code": "consultation", "amount": "300.00"},
            {"code": "cell_extraction", "description": "Bone marrow aspiration", "amount": "2200.00"},
            {"code": "injection_with_imaging_guidance", "amount": "5000.00"}
        ],
        "total": "7500.00",
        "currency": "USD",
        "injections": 1,
        "cell_type": "bm-msc",
        "cell_source": "autologous",
        "exclusions": ["airport_transfers", "accommodation_nights"],
        "price_change": {"conditions": "If the MRI on arrival shows a second affected disc", "max_increase_percent": "15"},
        "deposit": {"amount": "500.00", "due": "after_medical_review", "refundable_percent": 100},
        "refund_policy": {"full_refund_until_days_before": 14, "late_refund_percent": 50},
        "valid_until": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        "notes": "Price confirmed after reviewing your MRI."
    })
}

/// Creates a quote shared with the Istanbul hospitals; returns (quote id, patient token, body).
pub(crate) async fn create_quote(app: &TestApp, email: &str) -> (String, String, Value) {
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let medipol = app.clinic_id("medipol-university-hospital").await;
    let response = app
        .post_json(
            "/v1/quotes",
            None,
            &quote_request(email, json!({"mode": "clinics", "clinic_ids": [liv, medipol]})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("json");
    let id = body["quote"]["id"].as_str().expect("id").to_owned();
    let token = body["access_token"].as_str().expect("token").to_owned();
    (id, token, body)
}

#[tokio::test]
async fn the_whole_flow_from_request_to_accepted_offer() {
    let app = TestApp::spawn().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let medipol_key = app
        .partner_key("Medipol Group", "medipol-university-hospital")
        .await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let medipol = app.clinic_id("medipol-university-hospital").await;

    // 1. The patient asks, with a budget in EUR.
    let response = app
        .post_json(
            "/v1/quotes",
            None,
            &quote_request("jane@example.com", json!({"mode": "top_matches", "count": 2})),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let location = location(&response);
    assert!(response.headers().contains_key("etag"));
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created: Value = response.json().await.expect("json");
    let quote_id = created["quote"]["id"].as_str().expect("id").to_owned();
    assert_eq!(location, format!("/v1/quotes/{quote_id}"));
    assert_eq!(created["quote"]["status"], "open");
    let token = created["access_token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("qt_"));

    // Ranked estimates with converted prices and reasons; the preferred country ranks first.
    let estimates = created["estimates"].as_array().expect("estimates");
    // Seven packages, three of them of critically flagged clinics, which are never ranked.
    assert_eq!(estimates.len(), 4);
    assert_eq!(estimates[0]["country"], "TR");
    assert_eq!(estimates[0]["rank"], 1);
    let evidence_part = estimates[0]["score_parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["factor"] == "evidence")
        .cloned()
        .expect("evidence is part of the match score");
    assert_eq!(
        evidence_part["points"], 0,
        "no study for sciatica: {evidence_part}"
    );
    assert!(estimates[0]["reasons"]
        .as_array()
        .expect("reasons")
        .contains(&json!("no study found for this condition")));
    assert!(
        !estimates[0]["reasons"]
            .as_array()
            .expect("reasons")
            .contains(&json!("evidence is very uncertain")),
        "no study is said as such, not as uncertain evidence"
    );
    assert_eq!(estimates[0]["price_in_budget_currency"]["currency"], "EUR");
    assert_eq!(estimates[0]["price_in_budget_currency"]["min"], "5948.84");
    assert!(estimates[0]["reasons"]
        .as_array()
        .expect("reasons")
        .contains(&json!("country preferred")));
    let scores: Vec<u64> = estimates
        .iter()
        .map(|e| e["match_score"].as_u64().expect("score"))
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ranked by score: {scores:?}"
    );
    let routed: Vec<String> =
        serde_json::from_value(created["quote"]["routed_clinic_ids"].clone()).expect("ids");
    assert_eq!(routed.len(), 2);
    assert!(
        routed.contains(&liv) && routed.contains(&medipol),
        "top 2 matches are the Istanbul hospitals"
    );

    // 2. A routed partner sees the request without contact details.
    let seen: Value = app.get_json_as(&location, &liv_key, 200).await;
    assert_eq!(seen["condition"], "sciatica");
    assert_eq!(seen["notes"], "L5-S1 herniation, leg pain for two years");
    assert_eq!(
        seen["patient"],
        Value::Null,
        "no contact details before acceptance"
    );

    // 3. Both partners make offers.
    let offer = app
        .post_json(
            &format!("{location}/offers"),
            Some(&liv_key),
            &offer_request(&liv),
        )
        .await;
    assert_eq!(offer.status().as_u16(), 201);
    let liv_offer: Value = offer.json().await.expect("json");
    assert_eq!(liv_offer["status"], "pending");
    assert_eq!(liv_offer["total"], "7500.00");
    let other = app
        .post_json(
            &format!("{location}/offers"),
            Some(&medipol_key),
            &offer_request(&medipol),
        )
        .await;
    assert_eq!(other.status().as_u16(), 201);
    let medipol_offer: Value = other.json().await.expect("json");

    // 4. The patient reads the offers with the token and accepts one.
    let quote: Value = app.get_json_as(&location, &token, 200).await;
    assert_eq!(quote["status"], "offered");
    assert_eq!(quote["patient"]["email"], "jane@example.com");
    let offers: Value = app.get_json_as(&format!("{location}/offers"), &token, 200).await;
    assert_eq!(offers["items"].as_array().expect("offers").len(), 2);
    assert_eq!(
        offers["disclaimer"]["url"], "/v1/disclaimer",
        "the patient reads offers beside the disclaimer"
    );
    let accept = app
        .post_json(
            &format!(
                "{location}/offers/{}/accept",
                liv_offer["id"].as_str().expect("id")
            ),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(accept.status().as_u16(), 200);

    // 5. The quote is accepted, the other offer declined, and the partner sees contact details.
    let quote: Value = app.get_json_as(&location, &token, 200).await;
    assert_eq!(quote["status"], "accepted");
    assert_eq!(quote["accepted_offer_id"], liv_offer["id"]);
    let offers: Value = app.get_json_as(&format!("{location}/offers"), &token, 200).await;
    let status_of = |id: &Value| {
        offers["items"]
            .as_array()
            .expect("offers")
            .iter()
            .find(|o| &o["id"] == id)
            .expect("offer")["status"]
            .clone()
    };
    assert_eq!(status_of(&liv_offer["id"]), "accepted");
    assert_eq!(status_of(&medipol_offer["id"]), "declined");
    let partner_view: Value = app.get_json_as(&location, &liv_key, 200).await;
    assert_eq!(partner_view["patient"]["email"], "jane@example.com");
    let losing_view: Value = app.get_json_as(&location, &medipol_key, 200).await;
    assert_eq!(
        losing_view["patient"],
        Value::Null,
        "only the accepted clinic sees contact details"
    );

    // The read by the partner was audited, and the patient can see it in the export.
    let export: Value = app.get_json_as(&format!("{location}/export"), &token, 200).await;
    assert!(export["access_log"]
        .as_array()
        .expect("log")
        .iter()
        .any(|e| e["actor_role"] == "partner"));
    assert_eq!(export["offers"].as_array().expect("offers").len(), 2);

    // The clinic's response speed is now shown and counts in its score.
    let clinic = app.get_json(&format!("/v1/clinics/{liv}"), 200).await;
    assert_eq!(clinic["response_time"]["quotes_answered"], 1);
    assert!(clinic["response_time"]["median_hours_to_first_offer"]
        .as_f64()
        .is_some_and(|h| h < 1.0));
    let parts = clinic["rank_explanation"]["parts"].as_array().expect("parts");
    let responsiveness = parts
        .iter()
        .find(|p| p["factor"] == "responsiveness")
        .expect("responsiveness part");
    assert_eq!(responsiveness["points"], 10, "{responsiveness}");
    let juventa = app
        .get_json(
            &format!("/v1/clinics/{}", app.clinic_id("medical-center-juventa").await),
            200,
        )
        .await;
    assert_eq!(juventa["response_time"], Value::Null);

    // An illegal transition: accepting again, or cancelling an accepted quote, is a 409.
    let again = app
        .post_json(
            &format!(
                "{location}/offers/{}/accept",
                medipol_offer["id"].as_str().expect("id")
            ),
            Some(&token),
            &json!({}),
        )
        .await;
    let body = assert_problem(again, 409, "conflict").await;
    assert!(
        body["detail"].as_str().unwrap_or("").contains("accepted"),
        "names the current state: {body}"
    );
    assert_problem(
        app.post_json(&format!("{location}/cancel"), Some(&token), &json!({}))
            .await,
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn idempotency_key_replays_and_refuses_other_bodies() {
    let app = TestApp::spawn().await;
    let body = quote_request("idem@example.com", json!({"mode": "none"}));
    let send = |body: Value| {
        let request = app
            .client
            .post(app.url("/v1/quotes"))
            .header("Idempotency-Key", "retry-1")
            .json(&body);
        async move { request.send().await.expect("request") }
    };
    let first = send(body.clone()).await;
    assert_eq!(first.status().as_u16(), 201);
    let first_location = first.headers()["location"].clone();
    let first_body = first.text().await.expect("body");
    let second = send(body.clone()).await;
    assert_eq!(second.status().as_u16(), 201);
    assert_eq!(second.headers()["location"], first_location);
    assert_eq!(
        second.text().await.expect("body"),
        first_body,
        "the identical response is replayed"
    );

    let mut other = body.clone();
    other["has_mri"] = json!(false);
    assert_problem(send(other).await, 422, "idempotency-key-reused").await;

    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM quotes")
        .get_result(&mut app.db().await)
        .await
        .expect("count");
    assert_eq!(count.n, 1, "one quote for one key");
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_quote() {
    let app = TestApp::spawn().await;
    let body = quote_request("race@example.com", json!({"mode": "none"}));
    let requests = (0..4).map(|_| {
        app.client
            .post(app.url("/v1/quotes"))
            .header("Idempotency-Key", "race-key")
            .json(&body)
            .send()
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut locations = std::collections::HashSet::new();
    for response in responses {
        let response = response.expect("request");
        let status = response.status().as_u16();
        assert!(status == 201 || status == 409, "status {status}");
        if status == 201 {
            locations.insert(location(&response));
        }
    }
    assert_eq!(locations.len(), 1, "every success names the same quote");
}

#[tokio::test]
async fn consent_and_fields_are_validated() {
    let app = TestApp::spawn().await;
    let mut body = quote_request("v@example.com", json!({"mode": "none"}));
    body["consent"]["health_data_processing"] = json!(false);
    let problem = assert_problem(
        app.post_json("/v1/quotes", None, &body).await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/consent/health_data_processing");

    let mut body = quote_request(
        "not-an-email",
        json!({"mode": "clinics", "clinic_ids": ["6f1c2b7e-4c1a-4f5e-9d0b-3a2e1c0b9a88"]}),
    );
    body["condition"] = json!("back-ache");
    body["budget"]["currency"] = json!("XYZ");
    body["patient"]["country_of_residence"] = json!("QQ");
    let problem = assert_problem(
        app.post_json("/v1/quotes", None, &body).await,
        422,
        "validation-failed",
    )
    .await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for pointer in [
        "/patient/email",
        "/condition",
        "/budget/currency",
        "/patient/country_of_residence",
        "/share_with/clinic_ids/0",
    ] {
        assert!(pointers.contains(&pointer), "{pointer} in {pointers:?}");
    }
    let mut body = quote_request("v@example.com", json!({"mode": "none"}));
    body["notes"] = json!("x".repeat(4001));
    assert_problem(
        app.post_json("/v1/quotes", None, &body).await,
        422,
        "validation-failed",
    )
    .await;
    body["unexpected"] = json!(1);
    assert_problem(
        app.post_json("/v1/quotes", None, &body).await,
        422,
        "validation-failed",
    )
    .await;
}

#[tokio::test]
async fn credentials_and_visibility_are_enforced() {
    let app = TestApp::spawn().await;
    let (id, token, _) = create_quote(&app, "auth@example.com").await;
    let path = format!("/v1/quotes/{id}");

    let missing = app.get(&path).await;
    assert!(missing.headers()["www-authenticate"]
        .to_str()
        .expect("header")
        .starts_with("Bearer"));
    assert_problem(missing, 401, "unauthorized").await;
    assert_problem(app.get_as(&path, "qt_wrong").await, 401, "unauthorized").await;
    assert_problem(
        app.get_as(&path, "sk_live_nope.secret").await,
        401,
        "unauthorized",
    )
    .await;

    // Another patient's token does not reveal this quote.
    let (_, other_token, _) = create_quote(&app, "other@example.com").await;
    assert_problem(app.get_as(&path, &other_token).await, 404, "not-found").await;

    // A partner whose clinics were not routed the quote gets 404, and cannot offer.
    let outsider = app.partner_key("Bangkok Group", "id-clinic-bangkok").await;
    assert_problem(app.get_as(&path, &outsider).await, 404, "not-found").await;
    let bangkok = app.clinic_id("id-clinic-bangkok").await;
    assert_problem(
        app.post_json(
            &format!("{path}/offers"),
            Some(&outsider),
            &offer_request(&bangkok),
        )
        .await,
        404,
        "not-found",
    )
    .await;

    // Patients cannot list quotes; coordinators can and see no contact details in lists.
    assert_problem(app.get_as("/v1/quotes", &token).await, 403, "forbidden").await;
    let coordinator = app.staff_key("coordinator").await;
    let list: Value = app.get_json_as("/v1/quotes", &coordinator, 200).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 2);
    assert!(list["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|q| q["patient"].is_null()));
    let partner = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let list: Value = app.get_json_as("/v1/quotes", &partner, 200).await;
    assert_eq!(
        list["items"].as_array().expect("items").len(),
        2,
        "both quotes were routed to Liv"
    );
    let outsider_list: Value = app.get_json_as("/v1/quotes", &outsider, 200).await;
    assert_eq!(outsider_list["items"], json!([]));

    // A coordinator reading contact details is audited; the patient cannot accept for a partner.
    let seen: Value = app.get_json_as(&path, &coordinator, 200).await;
    assert_eq!(seen["patient"]["name"], "Jane Doe");
    assert_problem(
        app.post_json(&format!("{path}/cancel"), Some(&coordinator), &json!({}))
            .await,
        403,
        "forbidden",
    )
    .await;

    // A revoked key stops working.
    let mut conn = app.db().await;
    let prefix = coordinator.split('.').next().expect("prefix").to_owned();
    assert!(stemcare::auth::api_keys::revoke(&mut conn, &prefix)
        .await
        .expect("revoke"));
    assert_problem(app.get_as(&path, &coordinator).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn two_concurrent_accepts_one_wins() {
    let app = TestApp::spawn().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let medipol_key = app
        .partner_key("Medipol Group", "medipol-university-hospital")
        .await;
    let (id, token, _) = create_quote(&app, "race2@example.com").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let medipol = app.clinic_id("medipol-university-hospital").await;
    let a: Value = app
        .post_json(
            &format!("/v1/quotes/{id}/offers"),
            Some(&liv_key),
            &offer_request(&liv),
        )
        .await
        .json()
        .await
        .expect("json");
    let b: Value = app
        .post_json(
            &format!("/v1/quotes/{id}/offers"),
            Some(&medipol_key),
            &offer_request(&medipol),
        )
        .await
        .json()
        .await
        .expect("json");
    let accept = |offer: &Value| {
        let url = app.url(&format!(
            "/v1/quotes/{id}/offers/{}/accept",
            offer["id"].as_str().expect("id")
        ));
        app.client.post(url).bearer_auth(&token).send()
    };
    let (first, second) = tokio::join!(accept(&a), accept(&b));
    let mut statuses = [
        first.expect("a").status().as_u16(),
        second.expect("b").status().as_u16(),
    ];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
}

#[tokio::test]
async fn offer_creation_honours_idempotency_keys() {
    let app = TestApp::spawn().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let (id, token, _) = create_quote(&app, "offer-retry@example.com").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let path = format!("/v1/quotes/{id}/offers");
    let body = offer_request(&liv);

    // A retry after a lost response gets the same offer, marked as a replay.
    let first = app.post_idempotent(&path, &liv_key, "offer-1", &body).await;
    assert_eq!(first.status().as_u16(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.expect("json");
    assert_eq!(
        location.to_str().expect("location"),
        format!("{path}/{}", first["id"].as_str().expect("id"))
    );
    let again = app.post_idempotent(&path, &liv_key, "offer-1", &body).await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.json::<Value>().await.expect("json"), first);

    // The same key with another body is refused, not silently answered with the first offer.
    let mut other = body.clone();
    other["notes"] = json!("A different offer");
    assert_problem(
        app.post_idempotent(&path, &liv_key, "offer-1", &other).await,
        422,
        "idempotency-key-reused",
    )
    .await;

    // Two concurrent requests with one key make one offer.
    let mut racing = body.clone();
    racing["notes"] = json!("Sent twice at once");
    let ids = app.race_idempotent(&path, &liv_key, "offer-race", &racing).await;
    assert_eq!(ids.len(), 1, "one offer for one key: {ids:?}");
    let offers: Value = app.get_json_as(&path, &token, 200).await;
    assert_eq!(
        offers["items"].as_array().expect("offers").len(),
        2,
        "the replayed and the raced requests made one offer each: {offers}"
    );
}

#[tokio::test]
async fn offers_are_checked_and_flagged() {
    let app = TestApp::spawn().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let (id, token, _) = create_quote(&app, "flags@example.com").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let mut bad = offer_request(&liv);
    bad["total"] = json!("9999.00");
    bad["exclusions"] = json!(["spa_day"]);
    let problem = assert_problem(
        app.post_json(&format!("/v1/quotes/{id}/offers"), Some(&liv_key), &bad)
            .await,
        422,
        "validation-failed",
    )
    .await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert!(
        pointers.contains(&"/total") && pointers.contains(&"/exclusions/0"),
        "{pointers:?}"
    );
    let mut missing_exclusions = offer_request(&liv);
    missing_exclusions
        .as_object_mut()
        .expect("object")
        .remove("exclusions");
    assert_problem(
        app.post_json(
            &format!("/v1/quotes/{id}/offers"),
            Some(&liv_key),
            &missing_exclusions,
        )
        .await,
        422,
        "validation-failed",
    )
    .await;

    let mut hype = offer_request(&liv);
    hype["outcome_guarantee"] = json!("Guaranteed 100% success, no side effects.");
    let offer: Value = app
        .post_json(&format!("/v1/quotes/{id}/offers"), Some(&liv_key), &hype)
        .await
        .json()
        .await
        .expect("json");
    let codes: Vec<&str> = offer["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"GUARANTEED_OUTCOME") && codes.contains(&"NO_RISK_CLAIM"),
        "{codes:?}"
    );
    let seen: Value = app
        .get_json_as(&format!("/v1/quotes/{id}/offers"), &token, 200)
        .await;
    assert!(
        seen["items"][0]["red_flags"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "the patient sees the flags"
    );

    // Withdrawal by its author; a second withdrawal is a 409.
    let withdraw = format!(
        "/v1/quotes/{id}/offers/{}/withdraw",
        offer["id"].as_str().expect("id")
    );
    assert_eq!(
        app.post_json(&withdraw, Some(&liv_key), &json!({}))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_problem(
        app.post_json(&withdraw, Some(&liv_key), &json!({})).await,
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn personal_data_is_encrypted_at_rest_and_erasable() {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Dump {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    let app = TestApp::spawn().await;
    let (id, token, _) = create_quote(&app, "secret.person@example.com").await;
    let dump_sql = "SELECT concat_ws('|', (SELECT string_agg(to_jsonb(q)::text, '|') FROM quotes q), \
                    (SELECT string_agg(encode(contact_ciphertext, 'escape'), '|') FROM quotes), \
                    (SELECT string_agg(to_jsonb(i)::text, '|') FROM idempotency_keys i)) AS dump";
    let dump: Dump = diesel::sql_query(dump_sql)
        .get_result(&mut app.db().await)
        .await
        .expect("dump");
    for secret in ["secret.person", "Jane Doe", "+44 20 7946 0958", "L5-S1"] {
        assert!(
            !dump.dump.contains(secret),
            "{secret} must not be stored in plaintext"
        );
    }

    let erase = app
        .client
        .delete(app.url(&format!("/v1/quotes/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(erase.status().as_u16(), 204);
    let after: Value = app.get_json_as(&format!("/v1/quotes/{id}"), &token, 200).await;
    assert_eq!(after["status"], "erased");
    assert_eq!(after["patient"], Value::Null);
    assert_eq!(after["notes"], Value::Null);
    let coordinator = app.staff_key("coordinator").await;
    let staff_view: Value = app
        .get_json_as(&format!("/v1/quotes/{id}"), &coordinator, 200)
        .await;
    assert_eq!(staff_view["patient"], Value::Null, "nobody can read erased data");
    #[derive(diesel::QueryableByName)]
    struct Left {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let left: Left = diesel::sql_query(
        "SELECT count(*) AS n FROM quotes WHERE contact_ciphertext IS NOT NULL OR notes_ciphertext IS NOT NULL OR email_hash IS NOT NULL",
    )
    .get_result(&mut app.db().await)
    .await
    .expect("count");
    assert_eq!(left.n, 0);
    let export: Value = app
        .get_json_as(&format!("/v1/quotes/{id}/export"), &token, 200)
        .await;
    assert_eq!(export["quote"]["patient"], Value::Null);
}

#[tokio::test]
async fn the_audit_log_cannot_be_altered() {
    use diesel_async::RunQueryDsl;
    let app = TestApp::spawn().await;
    let (id, _, _) = create_quote(&app, "audit@example.com").await;
    let coordinator = app.staff_key("coordinator").await;
    assert_eq!(
        app.get_as(&format!("/v1/quotes/{id}"), &coordinator)
            .await
            .status()
            .as_u16(),
        200
    );
    let mut conn = app.db().await;
    assert!(diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut conn)
        .await
        .is_err());
    assert!(diesel::sql_query("UPDATE audit_log SET action = 'x'")
        .execute(&mut conn)
        .await
        .is_err());
}

#[tokio::test]
async fn quotes_and_offers_expire_with_the_clock() {
    let app = TestApp::spawn().await;
    let liv_key = app.partner_key("Liv Group", "liv-hospital-ulus").await;
    let (id, token, _) = create_quote(&app, "clock@example.com").await;
    let liv = app.clinic_id("liv-hospital-ulus").await;
    let offer: Value = app
        .post_json(
            &format!("/v1/quotes/{id}/offers"),
            Some(&liv_key),
            &offer_request(&liv),
        )
        .await
        .json()
        .await
        .expect("json");

    let mut conn = app.db().await;
    let now = chrono::Utc::now();
    assert_eq!(
        stemcare::quotes::expiry::expire_due(&mut conn, now)
            .await
            .expect("expire"),
        (0, 0),
        "nothing is due yet"
    );
    let (quotes, offers) = stemcare::quotes::expiry::expire_due(&mut conn, now + chrono::Duration::days(31))
        .await
        .expect("expire");
    assert_eq!((quotes, offers), (1, 1));
    let quote: Value = app.get_json_as(&format!("/v1/quotes/{id}"), &token, 200).await;
    assert_eq!(quote["status"], "expired");
    let accept = app
        .post_json(
            &format!(
                "/v1/quotes/{id}/offers/{}/accept",
                offer["id"].as_str().expect("id")
            ),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_problem(accept, 409, "conflict").await;
}

#[tokio::test]
async fn too_many_requests_per_email_are_refused() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        let response = app
            .post_json(
                "/v1/quotes",
                None,
                &quote_request("Busy@Example.com", json!({"mode": "none"})),
            )
            .await;
        assert_eq!(response.status().as_u16(), 201);
    }
    let response = app
        .post_json(
            "/v1/quotes",
            None,
            &quote_request("busy@example.com ", json!({"mode": "none"})),
        )
        .await;
    assert_problem(response, 429, "too-many-requests").await;
}

/// Quote matching lets Postgres pick the best candidates with `matching::SQL_SCORE`, then
/// `matching::rank` explains them. The two must order every candidate the same way, or a patient
/// could miss a better match that SQL cut off: checked for every seeded condition under wishes that
/// exercise each score part (countries, cell types, budgets inside, across and below price ranges).
#[tokio::test]
async fn sql_ranking_agrees_with_the_documented_score() {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use rust_decimal::Decimal;
    use stemcare::db::schema::conditions;
    use stemcare::money::Rates;
    use stemcare::quotes::dto::MoneyInput;
    use stemcare::quotes::matching::{rank, Candidate, ScoreBinds, Wishes};
    use stemcare::quotes::repo::candidates;

    let app = TestApp::spawn().await;
    let mut conn = app.db().await;
    let rates = Rates::load(&mut &conn).await.expect("rates");
    let slugs: Vec<String> = conditions::table
        .select(conditions::slug)
        .load(&mut conn)
        .await
        .expect("conditions");
    let countries = [
        vec![],
        vec!["MX".to_owned()],
        vec!["TR".to_owned(), "TH".to_owned()],
    ];
    let cells = [
        vec![],
        vec!["bm-msc".to_owned()],
        vec!["ad-msc".to_owned(), "uc-msc".to_owned()],
    ];
    let budgets = [
        None,
        Some(("500", "USD")),
        Some(("7000", "EUR")),
        Some(("9000", "USD")),
        Some(("50000000", "COP")),
    ];
    let mut compared = 0;
    let mut budget_points_seen = std::collections::BTreeSet::new();
    for condition in &slugs {
        let evidence: Vec<(Option<String>, String)> =
            stemcare::evidence::repo::summaries_for_condition(&mut conn, condition)
                .await
                .expect("summaries")
                .into_iter()
                .map(|s| (s.cell_type, s.certainty))
                .collect();
        for preferred_countries in &countries {
            for preferred_cell_types in &cells {
                for budget in &budgets {
                    let budget = budget.map(|(amount, currency)| MoneyInput {
                        amount: amount.parse::<Decimal>().expect("amount"),
                        currency: currency.to_owned(),
                    });
                    let wishes = Wishes {
                        condition,
                        preferred_countries,
                        preferred_cell_types,
                        budget: budget.as_ref(),
                        budget_usd: budget.as_ref().and_then(|b| rates.to_usd(b.amount, &b.currency)),
                        evidence: &evidence,
                    };
                    let binds = ScoreBinds::of(&wishes);
                    let rows = candidates(&mut conn, condition, &binds, None)
                        .await
                        .expect("candidates");
                    let views: Vec<Candidate<'_>> = rows
                        .iter()
                        .map(|c| Candidate {
                            package: &c.package,
                            clinic_name: &c.clinic_name,
                            clinic_score: c.clinic_score,
                        })
                        .collect();
                    let ranked = rank(&wishes, &views, &rates, usize::MAX);
                    for estimate in &ranked {
                        let budget_part = estimate.score_parts.iter().find(|p| p.factor == "budget");
                        budget_points_seen.insert(budget_part.map(|p| p.points));
                    }
                    let rust_order: Vec<_> = ranked.iter().map(|e| e.package_id).collect();
                    let sql_order: Vec<_> = rows.iter().map(|r| r.package.id).collect();
                    assert_eq!(
                        sql_order,
                        rust_order,
                        "SQL and Rust rank {condition} differently for countries {preferred_countries:?}, \
                         cells {preferred_cell_types:?}, budget {:?}",
                        budget.as_ref().map(|b| (b.amount, &b.currency))
                    );
                    let top = candidates(&mut conn, condition, &binds, Some(3))
                        .await
                        .expect("top 3");
                    let top: Vec<_> = top.iter().map(|r| r.package.id).collect();
                    assert_eq!(top, rust_order.iter().take(3).copied().collect::<Vec<_>>());
                    compared += rows.len();
                }
            }
        }
    }
    assert!(compared > 100, "too few candidates compared: {compared}");
    // Every budget outcome occurred, so the comparison covered each branch of the budget part.
    for points in [0, 12, 25] {
        assert!(
            budget_points_seen.contains(&Some(points)),
            "no candidate scored {points} budget points"
        );
    }
}

/// `package_matching` (what quote matching ranks, migration 000700) always equals its definition:
/// one row per condition of each published package of a published clinic, with the package's
/// current prices and its clinic's current score, whatever wrote the package or the clinic.
#[tokio::test]
async fn the_matching_table_follows_every_write_to_packages_and_clinics() {
    use diesel::sql_types::{BigInt, Uuid as SqlUuid};
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    const DEFINITION: &str = "SELECT DISTINCT u.condition, p.id, p.clinic_id, p.country_code, p.cell_type,
               p.price_min_usd, p.price_max_usd, c.score
        FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id
        CROSS JOIN LATERAL unnest(p.conditions) AS u(condition)
        WHERE p.status = 'published' AND c.status = 'published' AND NOT p.has_critical_flag";
    async fn drift(conn: &mut diesel_async::AsyncPgConnection) -> i64 {
        let sql = format!(
            "SELECT count(*) AS n FROM (
                 (SELECT * FROM package_matching EXCEPT {DEFINITION})
                 UNION ALL
                 ({DEFINITION} EXCEPT SELECT * FROM package_matching)) d"
        );
        let row: Count = diesel::sql_query(sql).get_result(conn).await.expect("drift");
        row.n
    }
    async fn rows_of(conn: &mut diesel_async::AsyncPgConnection, package: uuid::Uuid) -> i64 {
        let row: Count =
            diesel::sql_query("SELECT count(*) AS n FROM package_matching WHERE package_id = $1")
                .bind::<SqlUuid, _>(package)
                .get_result(conn)
                .await
                .expect("rows");
        row.n
    }

    let app = TestApp::spawn().await;
    let mut conn = app.db().await;
    assert_eq!(
        drift(&mut conn).await,
        0,
        "the migration's backfill matches the definition"
    );
    #[derive(diesel::QueryableByName)]
    struct Pick {
        #[diesel(sql_type = SqlUuid)]
        id: uuid::Uuid,
        #[diesel(sql_type = SqlUuid)]
        clinic_id: uuid::Uuid,
    }
    let pick: Pick = diesel::sql_query(
        "SELECT p.id, p.clinic_id FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id
         WHERE p.status = 'published' AND c.status = 'published' AND NOT p.has_critical_flag
         ORDER BY p.id LIMIT 1",
    )
    .get_result(&mut conn)
    .await
    .expect("a published package");
    assert!(rows_of(&mut conn, pick.id).await > 0);

    let steps = [
        "UPDATE treatment_packages SET status = 'unlisted' WHERE id = '{p}'",
        "UPDATE treatment_packages SET status = 'published' WHERE id = '{p}'",
        "UPDATE treatment_packages SET price_min_usd = price_min_usd + 1, price_max_usd = price_max_usd + 1 WHERE id = '{p}'",
        "UPDATE treatment_packages SET conditions = conditions || ARRAY['sciatica', 'sciatica'] WHERE id = '{p}'",
        "UPDATE treatment_packages SET conditions = conditions[1:1] WHERE id = '{p}'",
        // A critical red flag takes the package out of matching, and clearing it brings it back.
        "UPDATE treatment_packages SET has_critical_flag = true WHERE id = '{p}'",
        "UPDATE treatment_packages SET has_critical_flag = false WHERE id = '{p}'",
        "UPDATE clinics SET score = score + 1 WHERE id = '{c}'",
        "UPDATE clinics SET status = 'unlisted' WHERE id = '{c}'",
        "UPDATE clinics SET status = 'published' WHERE id = '{c}'",
        "UPDATE clinics SET country_code = 'TR' WHERE id = '{c}'",
        "INSERT INTO treatment_packages SELECT * FROM treatment_packages WHERE false",
    ];
    for step in steps {
        let sql = step
            .replace("{p}", &pick.id.to_string())
            .replace("{c}", &pick.clinic_id.to_string());
        conn.batch_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(drift(&mut conn).await, 0, "after `{sql}`");
    }
    conn.batch_execute(&format!(
        "UPDATE clinics SET status = 'unlisted' WHERE id = '{}'",
        pick.clinic_id
    ))
    .await
    .expect("suspend");
    assert_eq!(
        rows_of(&mut conn, pick.id).await,
        0,
        "an unlisted clinic's packages are not matched"
    );
    conn.batch_execute(&format!(
        "DELETE FROM treatment_packages WHERE id = '{}'",
        pick.id
    ))
    .await
    .ok();
    assert_eq!(drift(&mut conn).await, 0, "after a delete (or its refusal)");
}
