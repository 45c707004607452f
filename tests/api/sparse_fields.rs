//! `fields=` on clinic and package reads (issue 22): answers hold exactly the asked fields plus
//! their documented companions, bad lists are 400 problems, page tokens are bound to the field
//! set, paging is unchanged, and ETags name the representation sent.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{assert_problem, TestApp};

fn keys(item: &Value) -> BTreeSet<String> {
    item.as_object().expect("an object").keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The full item restricted to `names`.
fn restricted(full: &Value, names: &BTreeSet<String>) -> Value {
    let object = full.as_object().expect("an object");
    Value::Object(
        object
            .iter()
            .filter(|(k, _)| names.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

async fn package_id(app: &TestApp) -> String {
    let page = app.get_json("/v1/treatment-packages?page_size=1", 200).await;
    page["items"][0]["id"].as_str().expect("a package").to_owned()
}

/// The sparse answer of a list holds, for each item, exactly `expected` keys with the full
/// answer's values.
async fn assert_sparse_list(app: &TestApp, path: &str, fields: &str, expected: &[&str]) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let full = app.get_json(path, 200).await;
    let sparse = app
        .get_json(&format!("{path}{separator}fields={fields}"), 200)
        .await;
    let expected = set(expected);
    let full_items = full["items"].as_array().expect("items");
    let sparse_items = sparse["items"].as_array().expect("items");
    assert!(!sparse_items.is_empty(), "{path}");
    assert_eq!(full_items.len(), sparse_items.len(), "{path}");
    for (full_item, item) in full_items.iter().zip(sparse_items) {
        assert_eq!(keys(item), expected, "{path}?fields={fields}");
        assert_eq!(*item, restricted(full_item, &expected), "{path}?fields={fields}");
    }
    // The page keeps its own keys: the screening count and the disclaimer.
    assert_eq!(sparse["excluded"], full["excluded"]);
    assert_eq!(sparse["disclaimer"], full["disclaimer"]);
}

#[tokio::test]
async fn each_endpoint_answers_exactly_the_asked_fields_and_companions() {
    let app = TestApp::spawn().await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let package = package_id(&app).await;

    assert_sparse_list(&app, "/v1/clinics", "id,name,country", &["id", "name", "country"]).await;
    // The clinic's own words bring its red flags; a figure brings its source and wording.
    assert_sparse_list(
        &app,
        "/v1/clinics?include_flagged=true",
        "id,claims,years_experience",
        &[
            "id",
            "claims",
            "red_flags",
            "has_critical_red_flags",
            "years_experience",
            "years_experience_note",
            "source",
        ],
    )
    .await;
    assert_sparse_list(
        &app,
        "/v1/clinics?order_by=price&currency=EUR",
        "name,price_from,response_time,rank_explanation",
        &["name", "price_from", "response_time", "rank_explanation"],
    )
    .await;
    // A price brings its basis (the denominator), provenance, date and source.
    assert_sparse_list(
        &app,
        "/v1/treatment-packages",
        "id,price",
        &[
            "id",
            "price",
            "price_basis",
            "price_provenance",
            "price_as_of",
            "price_date_note",
            "price_source",
        ],
    )
    .await;
    assert_sparse_list(
        &app,
        "/v1/treatment-packages?include_flagged=true",
        "clinic_name,claims_beyond_evidence,red_flags",
        &["clinic_name", "claims_beyond_evidence", "evidence", "red_flags"],
    )
    .await;
    assert_sparse_list(
        &app,
        &format!("/v1/clinics/{clinic}/treatment-packages"),
        "id,inclusions",
        &["id", "inclusions", "unknown_items"],
    )
    .await;

    // By id: the item's fields, and the disclaimer always.
    let full = app.get_json(&format!("/v1/clinics/{clinic}"), 200).await;
    let sparse = app
        .get_json(
            &format!("/v1/clinics/{clinic}?fields=name,treatment_packages,description"),
            200,
        )
        .await;
    let expected = set(&[
        "name",
        "treatment_packages",
        "description",
        "red_flags",
        "has_critical_red_flags",
        "disclaimer",
    ]);
    assert_eq!(keys(&sparse), expected);
    assert_eq!(sparse, restricted(&full, &expected));

    let full = app
        .get_json(&format!("/v1/treatment-packages/{package}"), 200)
        .await;
    let sparse = app
        .get_json(
            &format!("/v1/treatment-packages/{package}?fields=title,conditions"),
            200,
        )
        .await;
    let expected = set(&["title", "conditions", "disclaimer"]);
    assert_eq!(keys(&sparse), expected);
    assert_eq!(sparse, restricted(&full, &expected));

    // Every name at once is the full answer, byte for byte.
    let spec = app.get_json("/v1/openapi.json", 200).await;
    for (path, operation_path) in trimmable_reads(&clinic) {
        let names = allowed_names(&spec, operation_path);
        let full = app.get(&path).await.text().await.expect("body");
        let separator = if path.contains('?') { '&' } else { '?' };
        let all = app
            .get(&format!("{path}{separator}fields={}", names.join(",")))
            .await
            .text()
            .await
            .expect("body");
        assert_eq!(all, full, "{path}");
    }
}

/// Each allowed name asked alone (and beside another): every item holds that name (and only
/// names the full answer has), each with the full answer's value. The handlers compute only what the asked fields need, so
/// this fails if a part left uncomputed for an unasked field is sent for an asked one.
#[tokio::test]
async fn each_field_alone_has_the_full_answers_value() {
    let app = TestApp::spawn().await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let spec = app.get_json("/v1/openapi.json", 200).await;
    for (path, operation_path) in trimmable_reads(&clinic) {
        let full = app.get_json(&path, 200).await;
        let separator = if path.contains('?') { '&' } else { '?' };
        // Each name alone, then beside `name` and beside `city`: on the clinic list that is more
        // column sets than a server selects lean (`MAX_COLUMN_SETS`), so the later ones read
        // every column.
        let names = allowed_names(&spec, operation_path);
        let mut asked: Vec<(String, String)> = names.iter().map(|n| (n.clone(), n.clone())).collect();
        for anchor in ["name", "city"] {
            let beside = names
                .iter()
                .filter(|n| names.contains(&anchor.to_owned()) && *n != anchor);
            asked.extend(beside.map(|n| (n.clone(), format!("{anchor},{n}"))));
        }
        for (name, fields) in asked {
            let sparse = app
                .get_json(&format!("{path}{separator}fields={fields}"), 200)
                .await;
            let pairs: Vec<(&Value, &Value)> = match full["items"].as_array() {
                Some(full_items) => {
                    let items = sparse["items"].as_array().expect("items");
                    assert_eq!(items.len(), full_items.len(), "{path} {name}");
                    full_items.iter().zip(items).collect()
                }
                None => vec![(&full, &sparse)],
            };
            for (full_item, item) in pairs {
                let names = keys(item);
                assert!(names.contains(&name), "{path}?fields={name}: {names:?}");
                assert_eq!(*item, restricted(full_item, &names), "{path}?fields={name}");
            }
        }
    }
}

/// Every read `fields=` trims (flagged listings included), with its operation's path in the spec.
fn trimmable_reads(clinic: &str) -> [(String, &'static str); 3] {
    [
        ("/v1/clinics?include_flagged=true".to_owned(), "/v1/clinics"),
        (
            "/v1/treatment-packages?include_flagged=true".to_owned(),
            "/v1/treatment-packages",
        ),
        (format!("/v1/clinics/{clinic}"), "/v1/clinics/{id}"),
    ]
}

/// The names the spec allows in an operation's `fields`.
fn allowed_names(spec: &Value, path: &str) -> Vec<String> {
    let parameter = spec["paths"][path]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "fields")
        .unwrap_or_else(|| panic!("{path} documents fields"));
    parameter["schema"]["items"]["enum"]
        .as_array()
        .expect("an enum")
        .iter()
        .map(|v| v.as_str().expect("a name").to_owned())
        .collect()
}

#[tokio::test]
async fn the_spec_lists_every_allowed_name_in_the_description() {
    let app = TestApp::spawn().await;
    let spec = app.get_json("/v1/openapi.json", 200).await;
    for path in [
        "/v1/clinics",
        "/v1/clinics/{id}",
        "/v1/clinics/{id}/treatment-packages",
        "/v1/treatment-packages",
        "/v1/treatment-packages/{id}",
    ] {
        let parameter = spec["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == "fields")
            .expect("fields")
            .clone();
        assert_eq!(parameter["style"], "form", "{path}");
        assert_eq!(parameter["explode"], false, "{path}");
        let description = parameter["description"].as_str().expect("description");
        for name in allowed_names(&spec, path) {
            assert!(description.contains(&format!("`{name}`")), "{path}: {name}");
        }
    }
}

#[tokio::test]
async fn unknown_empty_and_repeated_names_are_400_problems() {
    let app = TestApp::spawn().await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    let package = package_id(&app).await;
    for path in [
        "/v1/clinics".to_owned(),
        format!("/v1/clinics/{clinic}"),
        format!("/v1/clinics/{clinic}/treatment-packages"),
        "/v1/treatment-packages".to_owned(),
        format!("/v1/treatment-packages/{package}"),
    ] {
        for (fields, says) in [
            ("id,nope", "`nope`"),
            ("", "empty name"),
            ("id,,slug", "empty name"),
            ("id,", "empty name"),
            ("slug,slug", "`slug` twice"),
            ("ID", "`ID`"),
        ] {
            let body = assert_problem(
                app.get(&format!("{path}?fields={fields}")).await,
                400,
                "invalid-query",
            )
            .await;
            assert_eq!(body["errors"][0]["pointer"], "/query/fields", "{path} {fields}");
            let message = body["errors"][0]["message"].as_str().expect("message");
            assert!(message.contains(says), "{path} {fields}: {message}");
            if says.starts_with("`nope`") {
                assert!(message.contains("allowed: red_flags,"), "{message}");
            }
        }
    }
}

#[tokio::test]
async fn page_tokens_are_bound_to_the_field_set_and_paging_is_unchanged() {
    let app = TestApp::spawn().await;
    let clinic = app.clinic_id("liv-hospital-ulus").await;
    for (path, fields) in [
        ("/v1/clinics?page_size=2", "id,name"),
        (
            "/v1/clinics?page_size=2&order_by=price&include_flagged=true",
            "id",
        ),
        ("/v1/clinics?page_size=3&order_by=-name", "country,id"),
        ("/v1/clinics?page_size=2&order_by=patients_per_year", "id"),
        ("/v1/treatment-packages?page_size=2", "id,price"),
        (
            "/v1/treatment-packages?page_size=2&order_by=-updated_at",
            "title,id",
        ),
    ] {
        let sparse_path = format!("{path}&fields={fields}");
        let first = app.get_json(&sparse_path, 200).await;
        let token = first["next_page_token"].as_str().expect("a second page");
        // Same fields: the next page; other fields or none: refused.
        app.get_json(&format!("{sparse_path}&page_token={token}"), 200)
            .await;
        for other in [format!("{path}&fields=slug"), path.to_owned()] {
            assert_problem(
                app.get(&format!("{other}&page_token={token}")).await,
                400,
                "invalid-page-token",
            )
            .await;
        }
        // Walking every page with fields= yields the ids of walking without (ids asked for).
        let sparse_ids: Vec<Value> = app
            .walk(&sparse_path)
            .await
            .iter()
            .map(|i| i["id"].clone())
            .collect();
        let full_ids: Vec<Value> = app.walk(path).await.iter().map(|i| i["id"].clone()).collect();
        assert!(full_ids.len() > 2, "{path}");
        assert_eq!(sparse_ids, full_ids, "{path}");
    }
    // A clinic's packages: a token of one field set is refused with another.
    let path = format!("/v1/clinics/{clinic}/treatment-packages?page_size=1&include_flagged=true");
    let first = app.get_json(&format!("{path}&fields=id"), 200).await;
    if let Some(token) = first["next_page_token"].as_str() {
        app.get_json(&format!("{path}&fields=id&page_token={token}"), 200)
            .await;
        assert_problem(
            app.get(&format!("{path}&fields=title&page_token={token}")).await,
            400,
            "invalid-page-token",
        )
        .await;
    }
}

#[tokio::test]
async fn etags_name_the_representation_sent_and_304_works() {
    let app = TestApp::spawn().await;
    let package = package_id(&app).await;
    for path in [
        "/v1/clinics?page_size=5".to_owned(),
        "/v1/treatment-packages?page_size=5".to_owned(),
        format!("/v1/treatment-packages/{package}?currency=EUR"),
    ] {
        let etag =
            |response: &reqwest::Response| response.headers()["etag"].to_str().expect("etag").to_owned();
        let full = etag(&app.get(&path).await);
        let narrow = app.get(&format!("{path}&fields=id")).await;
        assert_eq!(narrow.headers()["cache-control"], "public, max-age=60");
        let narrow = etag(&narrow);
        let wider = etag(&app.get(&format!("{path}&fields=id,slug")).await);
        assert_ne!(full, narrow, "{path}");
        assert_ne!(narrow, wider, "{path}");
        let again = app
            .client
            .get(app.url(&format!("{path}&fields=id")))
            .header("if-none-match", &narrow)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status().as_u16(), 304, "{path}");
        // The tag of one field set does not validate another.
        let other = app
            .client
            .get(app.url(&format!("{path}&fields=id,slug")))
            .header("if-none-match", &narrow)
            .send()
            .await
            .expect("request");
        assert_eq!(other.status().as_u16(), 200, "{path}");
    }
}

#[tokio::test]
async fn the_inclusion_vocabulary_is_an_enum_in_the_spec_and_cacheable() {
    let app = TestApp::spawn().await;
    let spec = app.get_json("/v1/openapi.json", 200).await;
    let component = &spec["components"]["schemas"]["InclusionCode"];
    assert!(component["description"]
        .as_str()
        .expect("description")
        .contains("GET /v1/inclusion-items"));
    let in_spec: Vec<String> = component["enum"]
        .as_array()
        .expect("an enum")
        .iter()
        .map(|code| code.as_str().expect("a code").to_owned())
        .collect();
    let served: Vec<String> = app
        .walk("/v1/inclusion-items?page_size=100")
        .await
        .iter()
        .map(|item| item["code"].as_str().expect("a code").to_owned())
        .collect();
    assert_eq!(in_spec, served, "the spec's enum is the seeded vocabulary");
    // The package and offer fields that carry codes reference it.
    let reference = serde_json::json!({"$ref": "#/components/schemas/InclusionCode"});
    let package = &spec["components"]["schemas"]["TreatmentPackageResponse"]["properties"];
    for field in ["inclusions", "exclusions", "unknown_items"] {
        assert_eq!(package[field]["items"], reference, "{field}");
    }
    for schema in ["OfferResponse", "CreateOfferRequest"] {
        assert_eq!(
            spec["components"]["schemas"][schema]["properties"]["exclusions"]["items"], reference,
            "{schema}"
        );
    }

    let first = app.get("/v1/inclusion-items").await;
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(first.headers()["cache-control"], "public, max-age=60");
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let again = app
        .client
        .get(app.url("/v1/inclusion-items"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(again.headers()["etag"].to_str().expect("etag"), etag);
}
