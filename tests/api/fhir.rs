//! The FHIR R4 directory, checked against the structure the R4 specification gives each resource.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// FHIR `instant` (R4 datatypes): seconds and a time zone are required.
const INSTANT: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$";

async fn fhir(app: &TestApp, url: &str, status: u16) -> Value {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        app.url(url)
    };
    let response = app.client.get(&url).send().await.expect("GET");
    assert_eq!(response.status().as_u16(), status, "GET {url}");
    assert_eq!(
        response.headers()["content-type"],
        "application/fhir+json",
        "GET {url}"
    );
    response.json().await.expect("FHIR JSON")
}

/// FHIR JSON never carries `null`, empty strings, empty arrays or empty objects (R4 JSON §2.6.2).
fn assert_fhir_json(value: &Value, path: &str) {
    match value {
        Value::Null => panic!("null at {path}"),
        Value::String(s) => assert!(!s.is_empty(), "empty string at {path}"),
        Value::Array(items) => {
            assert!(!items.is_empty(), "empty array at {path}");
            for (i, item) in items.iter().enumerate() {
                assert_fhir_json(item, &format!("{path}/{i}"));
            }
        }
        Value::Object(map) => {
            assert!(!map.is_empty(), "empty object at {path}");
            for (key, item) in map {
                assert_fhir_json(item, &format!("{path}/{key}"));
            }
        }
        _ => {}
    }
}

fn assert_reference(value: &Value, resource_type: &str) -> String {
    let reference = value["reference"].as_str().expect("reference");
    let pattern = format!("^{resource_type}/[0-9a-f-]{{36}}$");
    assert!(
        regex::Regex::new(&pattern).expect("regex").is_match(reference),
        "{reference}"
    );
    reference[resource_type.len() + 1..].to_owned()
}

/// Checks one resource of `resource_type` against its R4 definition (the elements we emit).
fn assert_resource(resource: &Value, resource_type: &str) {
    assert_fhir_json(resource, resource_type);
    assert_eq!(resource["resourceType"], resource_type);
    let id = resource["id"].as_str().expect("id");
    assert!(
        regex::Regex::new(r"^[A-Za-z0-9\-\.]{1,64}$")
            .expect("regex")
            .is_match(id),
        "FHIR id"
    );
    let updated = resource["meta"]["lastUpdated"]
        .as_str()
        .expect("meta.lastUpdated");
    assert!(
        regex::Regex::new(INSTANT).expect("regex").is_match(updated),
        "{updated}"
    );
    for identifier in resource["identifier"].as_array().expect("identifier 0..*") {
        assert!(identifier["system"]
            .as_str()
            .expect("system")
            .starts_with("urn:stemcare:"));
        assert!(identifier["value"].is_string());
    }
    match resource_type {
        "Organization" => {
            // org-1: an identifier or a name.
            assert!(resource["name"].is_string());
            assert_eq!(resource["active"], true);
            assert_eq!(resource["type"][0]["coding"][0]["code"], "prov");
            assert_eq!(
                resource["type"][0]["coding"][0]["system"],
                "http://terminology.hl7.org/CodeSystem/organization-type"
            );
            for address in resource["address"].as_array().expect("address 0..*") {
                assert_eq!(address["country"].as_str().expect("country").len(), 2);
            }
        }
        "Location" => {
            assert!(
                ["active", "suspended", "inactive"].contains(&resource["status"].as_str().expect("status"))
            );
            assert_eq!(resource["mode"], "instance");
            assert!(resource["address"].is_object(), "Location.address is 0..1");
            assert_eq!(
                assert_reference(&resource["managingOrganization"], "Organization"),
                id
            );
        }
        "HealthcareService" => {
            assert_eq!(resource["active"], true);
            assert_reference(&resource["providedBy"], "Organization");
            for location in resource["location"].as_array().expect("location 0..*") {
                assert_reference(location, "Location");
            }
            assert!(resource["name"].is_string());
            assert!(resource["comment"]
                .as_str()
                .expect("comment")
                .starts_with("Indicative price: "));
            assert!(resource["extraDetails"]
                .as_str()
                .expect("extraDetails")
                .contains("indicative and dated"));
            for concept in resource["category"].as_array().expect("category 0..*") {
                assert!(concept["text"].is_string() || concept["coding"].is_array());
            }
        }
        other => panic!("unexpected {other}"),
    }
}

/// Checks a `searchset` Bundle and returns its resources.
fn assert_searchset(bundle: &Value, resource_type: &str) -> Vec<Value> {
    assert_fhir_json(bundle, "Bundle");
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "searchset");
    assert!(bundle["total"].as_u64().is_some(), "total is an unsignedInt");
    assert!(regex::Regex::new(INSTANT)
        .expect("regex")
        .is_match(bundle["timestamp"].as_str().expect("timestamp")));
    let links = bundle["link"].as_array().expect("link");
    assert!(links.iter().any(|l| l["relation"] == "self"));
    for link in links {
        assert!(link["url"]
            .as_str()
            .expect("url")
            .starts_with("http://127.0.0.1:"));
    }
    bundle
        .get("entry")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|entry| {
            let resource = entry["resource"].clone();
            assert_resource(&resource, resource_type);
            let full_url = entry["fullUrl"].as_str().expect("fullUrl");
            assert!(full_url.starts_with("http://127.0.0.1:"), "absolute fullUrl");
            assert!(
                full_url.ends_with(&format!(
                    "/fhir/r4/{resource_type}/{}",
                    resource["id"].as_str().expect("id")
                )),
                "{full_url}"
            );
            assert_eq!(entry["search"]["mode"], "match");
            resource
        })
        .collect()
}

fn names(resources: &[Value]) -> HashSet<String> {
    resources
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn assert_outcome(app: &TestApp, url: &str, status: u16, code: &str) {
    let outcome = fhir(app, url, status).await;
    assert_fhir_json(&outcome, "OperationOutcome");
    assert_eq!(outcome["resourceType"], "OperationOutcome", "{url}");
    assert_eq!(outcome["issue"][0]["severity"], "error");
    assert_eq!(outcome["issue"][0]["code"], code, "{url}");
    assert!(outcome["issue"][0]["diagnostics"].is_string());
}

#[tokio::test]
async fn istanbul_lists_the_two_hospitals_as_organizations_and_locations() {
    let app = TestApp::spawn().await;
    let expected: HashSet<String> = ["Liv Hospital Ulus", "Medipol University Hospital"]
        .map(str::to_owned)
        .into();
    let bundle = fhir(&app, "/fhir/r4/Organization?address-country=TR", 200).await;
    let organizations = assert_searchset(&bundle, "Organization");
    assert_eq!(names(&organizations), expected);
    assert_eq!(bundle["total"], 2);
    assert!(organizations.iter().all(|o| o["address"][0]["country"] == "TR"));

    let bundle = fhir(&app, "/fhir/r4/Location?address-country=tr", 200).await;
    let locations = assert_searchset(&bundle, "Location");
    assert_eq!(names(&locations), expected);
    let medipol = locations
        .iter()
        .find(|l| l["name"] == "Medipol University Hospital")
        .expect("Medipol");
    assert_eq!(
        medipol["address"],
        json!({"country": "TR"}),
        "unknown city left out, not invented"
    );

    // Reads by id; the Location and Organization of a clinic share its id.
    let id = organizations[0]["id"].as_str().expect("id");
    assert_resource(
        &fhir(&app, &format!("/fhir/r4/Organization/{id}"), 200).await,
        "Organization",
    );
    let location = fhir(&app, &format!("/fhir/r4/Location/{id}"), 200).await;
    assert_resource(&location, "Location");
    assert_eq!(
        location["managingOrganization"]["reference"],
        format!("Organization/{id}")
    );
}

#[tokio::test]
async fn healthcare_services_are_the_public_packages_with_dated_prices() {
    let app = TestApp::spawn().await;
    let bundle = fhir(&app, "/fhir/r4/HealthcareService?_count=100", 200).await;
    let services = assert_searchset(&bundle, "HealthcareService");
    let packages = app.walk("/v1/treatment-packages?page_size=100").await;
    assert_eq!(services.len(), packages.len());
    assert_eq!(bundle["total"], packages.len());
    let organizations: HashSet<String> = assert_searchset(
        &fhir(&app, "/fhir/r4/Organization?_count=100", 200).await,
        "Organization",
    )
    .iter()
    .map(|o| o["id"].as_str().expect("id").to_owned())
    .collect();
    for service in &services {
        let provider = assert_reference(&service["providedBy"], "Organization");
        assert!(organizations.contains(&provider), "providedBy resolves");
    }
    let id = services[0]["id"].as_str().expect("id");
    let read = fhir(&app, &format!("/fhir/r4/HealthcareService/{id}"), 200).await;
    assert_eq!(read, services[0]);
}

#[tokio::test]
async fn count_one_pages_follow_next_links_across_every_result_once() {
    let app = TestApp::spawn().await;
    let all = assert_searchset(
        &fhir(&app, "/fhir/r4/Organization?_count=100", 200).await,
        "Organization",
    );
    assert!(all.len() > 2);
    let mut seen = Vec::new();
    let mut url = "/fhir/r4/Organization?_count=1&_lastUpdated=gt2000-01-01".to_owned();
    for _ in 0..50 {
        let bundle = fhir(&app, &url, 200).await;
        assert_eq!(bundle["total"], all.len(), "total counts every page");
        let page = assert_searchset(&bundle, "Organization");
        assert_eq!(page.len(), 1);
        seen.push(page[0]["id"].as_str().expect("id").to_owned());
        match bundle["link"]
            .as_array()
            .expect("link")
            .iter()
            .find(|l| l["relation"] == "next")
        {
            Some(next) => url = next["url"].as_str().expect("url").to_owned(),
            None => break,
        }
    }
    let expected: Vec<String> = all
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(seen, expected, "every result exactly once, in order");

    // A token is bound to its filters, and tampering is refused.
    let bundle = fhir(&app, "/fhir/r4/Organization?_count=1", 200).await;
    let next = bundle["link"][1]["url"].as_str().expect("next").to_owned();
    assert_outcome(&app, &format!("{next}&address-country=TR"), 400, "invalid").await;
    assert_outcome(&app, &format!("{next}x"), 400, "invalid").await;
}

#[tokio::test]
async fn search_parameters_are_checked_and_errors_are_operation_outcomes() {
    let app = TestApp::spawn().await;
    let everything = fhir(
        &app,
        "/fhir/r4/Location?_lastUpdated=ge2000-01-01&_lastUpdated=lt2999-01-01",
        200,
    )
    .await;
    // The directory's searches list what the catalogue lists by default (no critically flagged clinic).
    let listed = app.walk("/v1/clinics?page_size=100").await.len() as u64;
    assert!(listed >= 4);
    assert_eq!(everything["total"].as_u64().expect("total"), listed);
    let nothing = fhir(
        &app,
        "/fhir/r4/Organization?_lastUpdated=lt2000-01-01T00:00:00Z",
        200,
    )
    .await;
    assert_eq!(nothing["total"], 0);
    assert!(nothing.get("entry").is_none(), "no empty entry array");
    assert_searchset(&nothing, "Organization");

    assert_outcome(&app, "/fhir/r4/Organization?name=Liv", 400, "not-supported").await;
    assert_outcome(
        &app,
        "/fhir/r4/HealthcareService?address-country=TR",
        400,
        "not-supported",
    )
    .await;
    assert_outcome(&app, "/fhir/r4/Location?_count=0", 400, "invalid").await;
    assert_outcome(&app, "/fhir/r4/Location?_count=101", 400, "invalid").await;
    assert_outcome(&app, "/fhir/r4/Location?_lastUpdated=2026-01-01", 400, "invalid").await;
    assert_outcome(
        &app,
        "/fhir/r4/Location?_lastUpdated=eq2026-01-01",
        400,
        "invalid",
    )
    .await;
    assert_outcome(&app, "/fhir/r4/Location?_page_token=forged", 400, "invalid").await;
    assert_outcome(
        &app,
        &format!("/fhir/r4/Organization/{}", uuid::Uuid::new_v4()),
        404,
        "not-found",
    )
    .await;
    assert_outcome(&app, "/fhir/r4/HealthcareService/not-a-uuid", 404, "not-found").await;
    assert_outcome(
        &app,
        &format!("/fhir/r4/Location/{}?_pretty=true", uuid::Uuid::new_v4()),
        400,
        "not-supported",
    )
    .await;

    // Known paths with another method answer 405 (the routes are in the OpenAPI document).
    let post = app
        .client
        .post(app.url("/fhir/r4/Organization"))
        .send()
        .await
        .expect("POST");
    assert_eq!(post.status().as_u16(), 405);
}

#[tokio::test]
async fn metadata_lists_the_resource_types_and_their_search_parameters() {
    let app = TestApp::spawn().await;
    let statement = fhir(&app, "/fhir/r4/metadata", 200).await;
    assert_fhir_json(&statement, "CapabilityStatement");
    assert_eq!(statement["resourceType"], "CapabilityStatement");
    // Required by R4: status, date, kind, fhirVersion, format.
    assert_eq!(statement["status"], "active");
    assert!(statement["date"].is_string());
    assert_eq!(statement["kind"], "instance");
    assert_eq!(statement["fhirVersion"], "4.0.1");
    assert_eq!(statement["format"], json!(["application/fhir+json"]));
    let rest = &statement["rest"][0];
    assert_eq!(rest["mode"], "server");
    let resources = rest["resource"].as_array().expect("resources");
    let types: Vec<&str> = resources
        .iter()
        .map(|r| r["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "Organization",
            "Location",
            "HealthcareService",
            "Practitioner",
            "PractitionerRole"
        ]
    );
    for resource in resources {
        let interactions: Vec<&str> = resource["interaction"]
            .as_array()
            .expect("interaction")
            .iter()
            .map(|i| i["code"].as_str().expect("code"))
            .collect();
        assert_eq!(interactions, ["read", "search-type"]);
        let params: Vec<&str> = resource["searchParam"]
            .as_array()
            .expect("searchParam")
            .iter()
            .map(|p| {
                assert!(p["type"].is_string() && p["definition"].is_string());
                p["name"].as_str().expect("name")
            })
            .collect();
        let expected: &[&str] = if ["HealthcareService", "Practitioner", "PractitionerRole"]
            .contains(&resource["type"].as_str().unwrap_or_default())
        {
            &["_lastUpdated"]
        } else {
            &["_lastUpdated", "address-country"]
        };
        assert_eq!(params, expected);
    }
}

#[tokio::test]
async fn a_listing_waiting_for_moderation_is_not_in_the_directory() {
    let app = TestApp::spawn().await;
    let key = app.partner_key("Partner P", "cellular-hope-institute").await;
    let listing = |name: &str, claims: Value| {
        json!({
            "external_id": name, "name": name, "country": "TR", "city": "Ankara",
            "description": "Outpatient spine clinic offering bone marrow cell injections under fluoroscopy.",
            "claims": claims
        })
    };
    let flagged = app
        .post_json(
            "/v1/partner/clinics",
            Some(&key),
            &listing(
                "Miracle Spine Center",
                json!(["Our doctors have a 100% success rate for every back problem."]),
            ),
        )
        .await;
    assert_eq!(flagged.status().as_u16(), 201);
    let flagged: Value = flagged.json().await.expect("json");
    assert_eq!(flagged["status"], "pending_review");
    let clean = app
        .post_json(
            "/v1/partner/clinics",
            Some(&key),
            &listing("Ankara Spine Clinic", json!([])),
        )
        .await;
    assert_eq!(clean.status().as_u16(), 201);

    let organizations = assert_searchset(
        &fhir(&app, "/fhir/r4/Organization?address-country=TR", 200).await,
        "Organization",
    );
    let listed = names(&organizations);
    assert!(
        listed.contains("Ankara Spine Clinic"),
        "a clean partner listing is public"
    );
    assert!(!listed.contains("Miracle Spine Center"), "a flagged one is not");
    let id = flagged["id"].as_str().expect("id");
    assert_outcome(&app, &format!("/fhir/r4/Organization/{id}"), 404, "not-found").await;
    assert_outcome(&app, &format!("/fhir/r4/Location/{id}"), 404, "not-found").await;
}

#[tokio::test]
async fn searches_leave_out_critically_flagged_clinics_but_reads_by_id_answer() {
    let app = TestApp::spawn().await;
    let flagged = app.clinic_id("cellular-hope-institute").await;
    let organizations = assert_searchset(
        &fhir(&app, "/fhir/r4/Organization?_count=100", 200).await,
        "Organization",
    );
    assert!(!organizations.is_empty());
    assert!(
        organizations.iter().all(|o| o["id"] != flagged.as_str()),
        "a critically flagged clinic is not in the directory's searches"
    );
    let read = fhir(&app, &format!("/fhir/r4/Organization/{flagged}"), 200).await;
    assert_eq!(read["id"], flagged.as_str());
}
