//! Partner listing management: ownership, ETags, merge patches, imports and moderation.

use serde_json::{json, Value};

use crate::helpers::{assert_problem, location, TestApp};

pub(crate) fn clinic(external_id: &str, name: &str) -> Value {
    json!({
        "external_id": external_id,
        "name": name,
        "country": "MX",
        "city": "Cancun",
        "description": "Outpatient spine clinic offering bone marrow cell injections under fluoroscopy.",
        "specialties": ["orthopedics"],
        "languages": ["en", "es-MX"],
        "website": "https://clinic.example"
    })
}

pub(crate) fn package() -> Value {
    json!({
        "title": "Bone marrow cell injection for disc degeneration",
        "conditions": ["degenerative-disc-disease", "sciatica"],
        "cell_type": "bm-msc",
        "cell_source": "autologous",
        "administration_method": "intradiscal-injection",
        "injections": 1,
        "price": {"min": "6500.00", "max": "8000.00", "currency": "USD"},
        "price_basis": "package",
        "inclusions": ["consultation", "diagnostics", "cell_extraction", "cell_processing", "injection_with_imaging_guidance"],
        "exclusions": ["accommodation_nights", "airport_transfers"]
    })
}

async fn patch(
    app: &TestApp,
    path: &str,
    key: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .patch(app.url(path))
        .bearer_auth(key)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string());
    if let Some(etag) = if_match {
        request = request.header("if-match", etag);
    }
    request.send().await.expect("PATCH")
}

#[tokio::test]
async fn partners_manage_their_own_clinics_with_etags() {
    let app = TestApp::spawn().await;
    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    let q = app.partner_key("Partner Q", "id-clinic-bangkok").await;

    let created = app
        .post_json(
            "/v1/partner/clinics",
            Some(&p),
            &clinic("p-1", "Example Spine Clinic"),
        )
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let etag = created.headers()["etag"].to_str().expect("etag").to_owned();
    let location = location(&created);
    let body: Value = created.json().await.expect("json");
    assert_eq!(body["status"], "published", "a clean listing is public at once");
    let id = body["id"].as_str().expect("id").to_owned();
    let public = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    assert_eq!(public["name"], "Example Spine Clinic");
    // What the partner gives, patients see: the languages and website of the listing.
    assert_eq!(public["languages"], json!(["en", "es-MX"]));
    assert_eq!(public["website"], "https://clinic.example");
    let unknown = public["unknown_fields"].as_array().expect("unknown_fields");
    assert!(!unknown.contains(&json!("website")) && !unknown.contains(&json!("languages")));
    // ... and can search by: a tag or its leading part, in any case (RFC 4647 basic filtering).
    for (range, found) in [
        ("es", true),
        ("ES-mx", true),
        ("en", true),
        ("es-ES", false),
        ("en-GB", false),
        ("de", false),
    ] {
        let ids: Vec<Value> = app
            .walk(&format!("/v1/clinics?language={range}"))
            .await
            .into_iter()
            .map(|clinic| clinic["id"].clone())
            .collect();
        assert_eq!(ids.contains(&json!(id)), found, "language={range}");
    }
    assert_problem(
        app.client
            .get(app.url("/v1/clinics?language=e"))
            .send()
            .await
            .expect("GET"),
        400,
        "invalid-query",
    )
    .await;

    // Q can neither read nor edit nor list P's clinic.
    assert_problem(app.get_as(&location, &q).await, 404, "not-found").await;
    assert_problem(
        patch(&app, &location, &q, Some(&etag), &json!({"city": "X"})).await,
        404,
        "not-found",
    )
    .await;
    let q_list: Value = app.get_json_as("/v1/partner/clinics", &q, 200).await;
    assert!(q_list
        .as_array()
        .expect("list")
        .iter()
        .all(|c| c["id"] != id.as_str()));

    // Merge patch with If-Match; without it 428, stale 412, read-only fields 422.
    assert_problem(
        patch(&app, &location, &p, None, &json!({"city": "Tulum"})).await,
        428,
        "precondition-required",
    )
    .await;
    let updated = patch(
        &app,
        &location,
        &p,
        Some(&etag),
        &json!({"city": "Tulum", "website": null}),
    )
    .await;
    assert_eq!(updated.status().as_u16(), 200);
    let new_etag = updated.headers()["etag"].to_str().expect("etag").to_owned();
    assert_ne!(new_etag, etag);
    let body: Value = updated.json().await.expect("json");
    assert_eq!(body["listing"]["city"], "Tulum");
    assert_eq!(body["listing"]["website"], Value::Null, "null removes a field");
    let public = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    assert_eq!(public["website"], Value::Null);
    assert!(public["unknown_fields"]
        .as_array()
        .expect("unknown_fields")
        .contains(&json!("website")));
    assert_eq!(
        body["listing"]["name"], "Example Spine Clinic",
        "untouched fields stay"
    );
    assert_problem(
        patch(&app, &location, &p, Some(&etag), &json!({"city": "Cancun"})).await,
        412,
        "precondition-failed",
    )
    .await;
    let problem = assert_problem(
        patch(
            &app,
            &location,
            &p,
            Some(&new_etag),
            &json!({"score": 100, "partner_id": null}),
        )
        .await,
        422,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["pointer"], "/partner_id");
    let still: Value = app.get_json_as(&location, &p, 200).await;
    assert_eq!(still["version"], 2, "a refused patch changes nothing");

    // Bad input: markup, http URLs, unknown country, bad language tag.
    let mut bad = clinic("p-2", "<script>alert(1)</script>");
    bad["website"] = json!("http://clinic.example");
    bad["country"] = json!("ZZ");
    bad["languages"] = json!(["english!"]);
    let problem = assert_problem(
        app.post_json("/v1/partner/clinics", Some(&p), &bad).await,
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
    for pointer in ["/name", "/website", "/country", "/languages/0"] {
        assert!(pointers.contains(&pointer), "{pointer} in {pointers:?}");
    }

    // Packages: create, then the public catalogue shows the clinic's own price.
    let created = app
        .post_json(&format!("{location}/treatment-packages"), Some(&p), &package())
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let package: Value = created.json().await.expect("json");
    let public = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    let packages = public["treatment_packages"].as_array().expect("packages");
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0]["price_provenance"], "clinic_listed");
    assert!(packages[0]["unknown_items"]
        .as_array()
        .expect("unknown")
        .contains(&json!("dietitian")));

    // Soft delete: gone from the public catalogue, kept in the database.
    let package_path = format!(
        "{location}/treatment-packages/{}",
        package["id"].as_str().expect("id")
    );
    assert_eq!(
        app.client
            .delete(app.url(&package_path))
            .bearer_auth(&p)
            .send()
            .await
            .expect("delete")
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        app.client
            .delete(app.url(&location))
            .bearer_auth(&p)
            .send()
            .await
            .expect("delete")
            .status()
            .as_u16(),
        204
    );
    assert_problem(app.get(&format!("/v1/clinics/{id}")).await, 404, "not-found").await;
}

#[tokio::test]
async fn concurrent_patches_with_one_etag_let_exactly_one_win() {
    let app = TestApp::spawn().await;
    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    let created = app
        .post_json("/v1/partner/clinics", Some(&p), &clinic("p-9", "Race Clinic"))
        .await;
    let etag = created.headers()["etag"].to_str().expect("etag").to_owned();
    let location = location(&created);
    let (merida, tulum) = (json!({"city": "Merida"}), json!({"city": "Tulum"}));
    let (a, b) = tokio::join!(
        patch(&app, &location, &p, Some(&etag), &merida),
        patch(&app, &location, &p, Some(&etag), &tulum)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
}

#[tokio::test]
async fn upsert_by_external_id_is_idempotent() {
    let app = TestApp::spawn().await;
    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    let put = |body: Value| {
        let request = app
            .client
            .put(app.url("/v1/partner/clinics/by-external-id/crm-7"))
            .bearer_auth(&p)
            .json(&body);
        async move { request.send().await.expect("PUT") }
    };
    let first = put(clinic("crm-7", "Upsert Clinic")).await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("json");
    let again = put(clinic("crm-7", "Upsert Clinic")).await;
    assert_eq!(again.status().as_u16(), 200);
    let again: Value = again.json().await.expect("json");
    assert_eq!(
        again["version"], first["version"],
        "an identical PUT changes nothing"
    );
    let mut changed = clinic("crm-7", "Upsert Clinic");
    changed["city"] = json!("Merida");
    let changed: Value = put(changed).await.json().await.expect("json");
    assert_eq!(changed["id"], first["id"]);
    assert_eq!(changed["version"], 2);
    let mismatch = put(clinic("other-id", "Upsert Clinic")).await;
    assert_problem(mismatch, 422, "validation-failed").await;
}

#[tokio::test]
async fn a_flagged_listing_waits_for_moderation() {
    let app = TestApp::spawn().await;
    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    let mut hype = clinic("p-hype", "Miracle Spine Center");
    hype["claims"] = json!(["Our doctors have a 100% success rate for every back problem."]);
    let created = app.post_json("/v1/partner/clinics", Some(&p), &hype).await;
    assert_eq!(created.status().as_u16(), 201);
    let body: Value = created.json().await.expect("json");
    assert_eq!(body["status"], "pending_review");
    let id = body["id"].as_str().expect("id").to_owned();
    assert!(body["red_flags"]
        .as_array()
        .expect("flags")
        .iter()
        .any(|f| f["code"] == "GUARANTEED_OUTCOME"));
    assert_problem(app.get(&format!("/v1/clinics/{id}")).await, 404, "not-found").await;
    assert!(
        app.walk("/v1/clinics?q=miracle").await.is_empty(),
        "not public before approval"
    );

    let admin = app.staff_key("admin").await;
    let coordinator = app.staff_key("coordinator").await;
    assert_problem(
        app.get_as("/v1/admin/moderation", &coordinator).await,
        403,
        "forbidden",
    )
    .await;
    let queue: Value = app.get_json_as("/v1/admin/moderation", &admin, 200).await;
    assert!(queue
        .as_array()
        .expect("queue")
        .iter()
        .any(|i| i["clinic_id"] == id.as_str()));
    let decision = json!({"decision": "approve", "reason": "Reviewed; the flag stays visible to patients."});
    let approved = app
        .post_json(&format!("/v1/admin/moderation/{id}"), Some(&admin), &decision)
        .await;
    assert_eq!(approved.status().as_u16(), 200);
    let public = app.get_json(&format!("/v1/clinics/{id}"), 200).await;
    assert!(
        public["red_flags"]
            .as_array()
            .expect("flags")
            .iter()
            .any(|f| f["code"] == "GUARANTEED_OUTCOME"),
        "approved, still flagged"
    );
    {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Events {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let events: Events = diesel::sql_query(
            "SELECT count(*) AS n FROM webhook_events WHERE type = 'listing.moderated' \
             AND payload->'data'->>'status' = 'published'",
        )
        .get_result(&mut app.db().await)
        .await
        .expect("events");
        assert_eq!(
            events.n, 1,
            "the partner is told of the decision through the outbox"
        );
    }
    let audit: Value = app.get_json_as("/v1/admin/audit-log", &admin, 200).await;
    assert!(audit
        .as_array()
        .expect("log")
        .iter()
        .any(|e| e["action"] == "moderation_approve"));
}

#[tokio::test]
async fn a_thousand_item_import_stores_the_valid_and_rejects_the_invalid() {
    let app = TestApp::spawn().await;
    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    let mut items: Vec<Value> = (0..1000)
        .map(|i| json!({"clinic": clinic(&format!("bulk-{i}"), &format!("Bulk Clinic {i}")), "treatment_packages": [package()]}))
        .collect();
    items[10]["clinic"]["country"] = json!("XX");
    items[500]["treatment_packages"][0]["price"]["currency"] = json!("ABC");
    items[999]["clinic"]["score"] = json!(99);
    let body = json!({"items": items});
    let send = |body: Value| {
        let request = app
            .client
            .post(app.url("/v1/partner/imports"))
            .bearer_auth(&p)
            .json(&body);
        async move { request.send().await.expect("import") }
    };
    let first = send(body.clone()).await;
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.expect("json");
    assert_eq!(
        first["summary"],
        json!({"created": 997, "updated": 0, "unchanged": 0, "rejected": 3})
    );
    let results = first["results"].as_array().expect("results");
    assert_eq!(results.len(), 1000);
    assert!(
        results.iter().enumerate().all(|(i, r)| r["index"] == i),
        "results in input order"
    );
    assert_eq!(results[10]["errors"][0]["pointer"], "/items/10/clinic/country");
    assert_eq!(
        results[500]["errors"][0]["pointer"],
        "/items/500/treatment_packages/0/price/currency"
    );
    assert_eq!(results[999]["errors"][0]["pointer"], "/items/999/clinic/score");

    let second: Value = send(body).await.json().await.expect("json");
    assert_eq!(
        second["summary"],
        json!({"created": 0, "updated": 0, "unchanged": 997, "rejected": 3})
    );

    let too_many = json!({"items": vec![json!({}); 1001]});
    let problem = assert_problem(send(too_many).await, 422, "validation-failed").await;
    assert_eq!(problem["errors"][0]["pointer"], "/items");
}

/// A retried import with the same `Idempotency-Key` replays the first summary (`created`), where
/// a re-run without one reports the items `unchanged`; the key with another body is refused.
#[tokio::test]
async fn an_import_with_an_idempotency_key_replays_its_first_response() {
    let app = TestApp::spawn().await;
    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    let items: Vec<Value> = (0..2)
        .map(|i| json!({"clinic": clinic(&format!("idem-{i}"), &format!("Idem Clinic {i}")), "treatment_packages": [package()]}))
        .collect();
    let body = json!({"items": items});
    let first = app
        .post_idempotent("/v1/partner/imports", &p, "nightly-1", &body)
        .await;
    assert_eq!(first.status().as_u16(), 200);
    let first_text = first.text().await.expect("body");
    let again = app
        .post_idempotent("/v1/partner/imports", &p, "nightly-1", &body)
        .await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.expect("body"), first_text);
    let replayed: Value = serde_json::from_str(&first_text).expect("json");
    assert_eq!(replayed["summary"]["created"], 2);
    let rerun = app
        .post_idempotent("/v1/partner/imports", &p, "nightly-2", &body)
        .await;
    let rerun: Value = rerun.json().await.expect("json");
    assert_eq!(rerun["summary"]["unchanged"], 2);
    let other = json!({"items": [body["items"][0].clone()]});
    assert_problem(
        app.post_idempotent("/v1/partner/imports", &p, "nightly-1", &other)
            .await,
        422,
        "idempotency-key-reused",
    )
    .await;
}

#[tokio::test]
async fn clinic_and_package_creation_honour_idempotency_keys() {
    let app = TestApp::spawn().await;
    let p = app.partner_key("Partner P", "cellular-hope-institute").await;
    // Without an external_id nothing else tells a retry from a second clinic.
    let mut body = clinic("unused", "Retry Clinic");
    body.as_object_mut().expect("object").remove("external_id");
    let first = app
        .post_idempotent("/v1/partner/clinics", &p, "clinic-1", &body)
        .await;
    assert_eq!(first.status().as_u16(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let etag = first.headers()["etag"].clone();
    let first: Value = first.json().await.expect("json");
    let clinic_id = first["id"].as_str().expect("id").to_owned();
    assert_eq!(location, format!("/v1/partner/clinics/{clinic_id}").as_str());
    let again = app
        .post_idempotent("/v1/partner/clinics", &p, "clinic-1", &body)
        .await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.headers()["etag"], etag);
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    let mut renamed = body.clone();
    renamed["name"] = json!("Another Clinic");
    assert_problem(
        app.post_idempotent("/v1/partner/clinics", &p, "clinic-1", &renamed)
            .await,
        422,
        "idempotency-key-reused",
    )
    .await;
    let mine: Value = app.get_json_as("/v1/partner/clinics", &p, 200).await;
    let retry_clinics = mine
        .as_array()
        .expect("clinics")
        .iter()
        .filter(|c| c["listing"]["name"] == "Retry Clinic")
        .count();
    assert_eq!(retry_clinics, 1, "one clinic for one key: {mine}");

    // Packages: a replay, and a race of two requests with one key, each make one package.
    let packages = format!("/v1/partner/clinics/{clinic_id}/treatment-packages");
    let created = app.post_idempotent(&packages, &p, "package-1", &package()).await;
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = created.json().await.expect("json");
    let replayed = app.post_idempotent(&packages, &p, "package-1", &package()).await;
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    assert_eq!(replayed.json::<Value>().await.expect("json"), created);
    let mut racing = package();
    racing["title"] = json!("Sent twice at once");
    let ids = app.race_idempotent(&packages, &p, "package-race", &racing).await;
    assert_eq!(ids.len(), 1, "one package for one key: {ids:?}");
    let mine: Value = app
        .get_json_as(&format!("/v1/partner/clinics/{clinic_id}"), &p, 200)
        .await;
    assert_eq!(
        mine["treatment_packages"].as_array().expect("packages").len(),
        2,
        "{mine}"
    );
}

#[tokio::test]
async fn admins_manage_partners_and_keys() {
    let app = TestApp::spawn().await;
    let admin = app.staff_key("admin").await;
    let coordinator = app.staff_key("coordinator").await;
    let partner = app
        .post_json(
            "/v1/admin/partners",
            Some(&admin),
            &json!({"name": "Admin Made", "clinic_slugs": ["liv-hospital-ulus"]}),
        )
        .await;
    assert_eq!(partner.status().as_u16(), 201);
    let partner: Value = partner.json().await.expect("json");
    assert_problem(
        app.post_json("/v1/admin/partners", Some(&coordinator), &json!({"name": "X"}))
            .await,
        403,
        "forbidden",
    )
    .await;

    let key = app
        .post_json(
            "/v1/admin/api-keys",
            Some(&admin),
            &json!({"role": "partner", "partner_id": partner["id"], "name": "crm"}),
        )
        .await;
    assert_eq!(key.status().as_u16(), 201);
    let key: Value = key.json().await.expect("json");
    let secret = key["secret"].as_str().expect("secret shown once").to_owned();
    assert_eq!(
        app.get_as("/v1/partner/clinics", &secret).await.status().as_u16(),
        200
    );
    let listed: Value = app.get_json_as("/v1/admin/api-keys", &admin, 200).await;
    assert!(
        listed
            .as_array()
            .expect("keys")
            .iter()
            .all(|k| k["secret"].is_null()),
        "never secrets in lists"
    );

    let rotated = app
        .post_json(
            &format!("/v1/admin/api-keys/{}/rotate", key["id"].as_str().expect("id")),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(rotated.status().as_u16(), 201);
    let rotated: Value = rotated.json().await.expect("json");
    let new_secret = rotated["secret"].as_str().expect("new secret").to_owned();
    assert_problem(
        app.get_as("/v1/partner/clinics", &secret).await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(
        app.get_as("/v1/partner/clinics", &new_secret)
            .await
            .status()
            .as_u16(),
        200
    );
    let revoked = app
        .post_json(
            &format!(
                "/v1/admin/api-keys/{}/revoke",
                rotated["id"].as_str().expect("id")
            ),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(revoked.status().as_u16(), 200);
    assert_problem(
        app.get_as("/v1/partner/clinics", &new_secret).await,
        401,
        "unauthorized",
    )
    .await;

    // Setting a rate re-prices listings in USD terms.
    let rate = app
        .client
        .put(app.url("/v1/admin/exchange-rates/EUR"))
        .bearer_auth(&admin)
        .json(&json!({"units_per_usd": "0.5", "as_of": "2026-11-01", "source": {"title": "test rate"}}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(rate.status().as_u16(), 200);
    let tr = app.walk("/v1/treatment-packages?country=TR&currency=EUR").await;
    assert_eq!(tr[0]["converted_price"]["min"], "3500.00");
}

/// Creating and rotating keys shows a secret once; a retry with the same `Idempotency-Key` gets that
/// same key and secret back instead of a second key (creation) or a 404 for the key it revoked
/// (rotation).
#[tokio::test]
async fn key_creation_and_rotation_honour_idempotency_keys() {
    let app = TestApp::spawn().await;
    let admin = app.staff_key("admin").await;
    let body = json!({"role": "coordinator", "name": "night shift"});
    let first = app
        .post_idempotent("/v1/admin/api-keys", &admin, "key-1", &body)
        .await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("json");
    let again = app
        .post_idempotent("/v1/admin/api-keys", &admin, "key-1", &body)
        .await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    assert_problem(
        app.post_idempotent("/v1/admin/api-keys", &admin, "key-1", &json!({"role": "admin"}))
            .await,
        422,
        "idempotency-key-reused",
    )
    .await;
    let keys: Value = app.get_json_as("/v1/admin/api-keys", &admin, 200).await;
    let named = keys
        .as_array()
        .expect("keys")
        .iter()
        .filter(|k| k["name"] == "night shift")
        .count();
    assert_eq!(named, 1, "one key for one Idempotency-Key");

    let rotate = format!("/v1/admin/api-keys/{}/rotate", first["id"].as_str().expect("id"));
    let rotated = app.post_idempotent(&rotate, &admin, "rot-1", &json!({})).await;
    assert_eq!(rotated.status().as_u16(), 201);
    let rotated: Value = rotated.json().await.expect("json");
    let retried = app.post_idempotent(&rotate, &admin, "rot-1", &json!({})).await;
    assert_eq!(
        retried.status().as_u16(),
        201,
        "replayed, not a 404 for the revoked key"
    );
    assert_eq!(retried.json::<Value>().await.expect("json"), rotated);
    let new_secret = rotated["secret"].as_str().expect("new secret");
    assert_eq!(
        app.get_as("/v1/quotes", new_secret).await.status().as_u16(),
        200,
        "the replayed secret is the live key"
    );
    assert_problem(
        app.post_idempotent(&rotate, &admin, "rot-2", &json!({})).await,
        404,
        "not-found",
    )
    .await;
}
