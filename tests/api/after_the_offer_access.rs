//! Who may call each endpoint issue 20 added, as one table: every endpoint × every kind of caller,
//! each answer with its problem type (docs/CONVENTIONS.md §4.6, GUIDE §5: missing or bad
//! credentials 401 before anything else, 404 for an object the caller may not see, 403 for a role
//! without the permission).
//!
//! Two readings of "wrong role" meet here, both revealing nothing: the treatment, handover and
//! follow-up endpoints first ask whether the caller may see the quote (404 if not) and then answer
//! 403 to a key that may see it but not act; the review endpoints answer 403 to every API key
//! without looking the quote up (`reviews` sits below `quotes` and may not import its visibility
//! rule: docs/REVIEWS.md, "Layering"). A partner whose clinic never saw the quote therefore gets
//! 404 from the first kind and 403 from the second.
//!
//! Requests that would change what later rows rely on (the patient's own writes, the clinic's
//! reply, an admin creating or deleting an endpoint) are not sent here: their success is tested
//! beside each endpoint and in the twelve-patient journey.

use std::fmt::Write;

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};

use crate::follow_ups::answer;
use crate::helpers::TestApp;
use crate::journey::{
    accepted_over_rival, clinic, liv, medipol, record_treatment, treated_body, treated_quote,
};
use crate::treatments::read;

/// The kinds of caller, in the order of a row's answers.
const CALLERS: [&str; 9] = [
    "anonymous",
    "a bad token",
    "another patient",
    "another partner",
    "the rival partner",
    "the patient",
    "the treating partner",
    "a coordinator",
    "an admin",
];

/// What a caller gets.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// Not sent: it would change the data later rows rely on.
    Skip,
    /// A success with this status.
    Ok(u16),
    /// A problem+json with this status and type.
    Problem(u16, &'static str),
}

const SKIP: Expect = Expect::Skip;
const OK: Expect = Expect::Ok(200);
const UNAUTH: Expect = Expect::Problem(401, "unauthorized");
const FORBID: Expect = Expect::Problem(403, "forbidden");
const NOT_FOUND: Expect = Expect::Problem(404, "not-found");
/// The caller passed every access check and met the quote's state (already treated, reviewed …).
const CONFLICT: Expect = Expect::Problem(409, "conflict");
/// The caller passed every access check and the body was refused.
const INVALID: Expect = Expect::Problem(422, "validation-failed");

/// One endpoint and what each caller of [`CALLERS`] gets from it.
struct Row {
    method: Method,
    route: &'static str,
    path: String,
    body: Option<Value>,
    expect: [Expect; 9],
}

fn row(method: Method, route: &'static str, path: String, body: Option<Value>, expect: [Expect; 9]) -> Row {
    Row {
        method,
        route,
        path,
        body,
        expect,
    }
}

/// The status and, for a problem, its type slug; `None` when the body is not problem+json.
async fn answer_of(response: reqwest::Response) -> (u16, Option<String>) {
    let status = response.status().as_u16();
    let is_problem = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    if !is_problem {
        return (status, None);
    }
    let body: Value = response.json().await.unwrap_or_default();
    let slug = body["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("/problems/"))
        .map(str::to_owned);
    (status, slug)
}

#[tokio::test]
async fn every_endpoint_of_issue_20_answers_each_kind_of_caller_as_the_convention_says() {
    let app = TestApp::spawn().await;
    let (liv, medipol) = (liv(&app).await, medipol(&app).await);
    let stranger = clinic(&app, "Stranger Group", "cellular-hope-institute").await;
    // The quote under test: shared with Liv and Medipol, Liv's offer accepted and treated.
    let patient = accepted_over_rival(&app, "owner@example.com", &liv, &medipol).await;
    record_treatment(&app, &patient.quote_id, &liv, "LOT-OWNER").await;
    let other = treated_quote(&app, "other@example.com", &liv, "LOT-OTHER").await;
    let coordinator = app.staff_key("coordinator").await;
    let admin = app.staff_key("admin").await;

    // Reviews open on day 14; the patient writes one and gives a doctor a link, as does the other.
    app.clock.advance(Duration::days(14));
    let id = patient.quote_id.clone();
    let review = app
        .post_json(
            &format!("/v1/quotes/{id}/review"),
            Some(&patient.token),
            &json!({"rating": 4, "text": "Kind staff and a clear invoice."}),
        )
        .await;
    assert_eq!(review.status().as_u16(), 201);
    let review_id = review.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let link_of = |quote_id: String, token: String| {
        let app = &app;
        async move {
            let response = app
                .post_json(
                    &format!("/v1/quotes/{quote_id}/handover-links"),
                    Some(&token),
                    &json!({}),
                )
                .await;
            assert_eq!(response.status().as_u16(), 201);
            response.json::<Value>().await.expect("json")
        }
    };
    let link = link_of(id.clone(), patient.token.clone()).await;
    let other_link = link_of(other.quote_id.clone(), other.token.clone()).await;
    let (link_id, link_url) = (&link["id"], link["url"].as_str().expect("url"));
    let endpoint_id = app
        .staff_webhook_endpoint(&admin, "http://127.0.0.1:9/follow-ups")
        .await;

    let bearers: [Option<&str>; 9] = [
        None,
        Some("qt_this-is-no-token-at-all"),
        Some(other.token.as_str()),
        Some(stranger.key.as_str()),
        Some(medipol.key.as_str()),
        Some(patient.token.as_str()),
        Some(liv.key.as_str()),
        Some(coordinator.as_str()),
        Some(admin.as_str()),
    ];
    let treatment = treated_body(&app.clock.today().to_string(), "LOT-AGAIN");
    let review_body = json!({"rating": 1, "text": "Not mine to write."});
    let consent = json!({"granted": true});
    let staff_endpoint = json!({"url": "http://127.0.0.1:9/other"});
    use Method as M;
    #[rustfmt::skip]
    let rows = [
        // Answers in the order of CALLERS: anonymous, bad token, other patient, other partner, rival,
        // patient, treating partner, coordinator, admin.
        row(M::POST, "POST /v1/quotes/{id}/treatment", format!("/v1/quotes/{id}/treatment"), Some(treatment),
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBID, CONFLICT, CONFLICT, CONFLICT]),
        row(M::GET, "GET /v1/quotes/{id}/treatment", format!("/v1/quotes/{id}/treatment"), None,
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK, OK, OK]),
        row(M::GET, "GET /v1/quotes/{id}/handover", format!("/v1/quotes/{id}/handover"), None,
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK, OK, OK]),
        row(M::POST, "POST /v1/quotes/{id}/handover-links", format!("/v1/quotes/{id}/handover-links"), Some(json!({})),
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, FORBID, SKIP, FORBID, FORBID, FORBID]),
        row(M::DELETE, "DELETE /v1/quotes/{id}/handover-links/{link_id}", format!("/v1/quotes/{id}/handover-links/{}", link_id.as_str().unwrap_or_default()), None,
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, FORBID, SKIP, FORBID, FORBID, FORBID]),
        // Another quote's link through this quote's path: not this patient's to revoke.
        row(M::DELETE, "DELETE /v1/quotes/{id}/handover-links/{another quote's link}", format!("/v1/quotes/{id}/handover-links/{}", other_link["id"].as_str().unwrap_or_default()), None,
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, FORBID, NOT_FOUND, FORBID, FORBID, FORBID]),
        // The capability URL: the link's token is the only credential, any other is ignored.
        row(M::GET, "GET /v1/handover/{token}", link_url.to_owned(), None,
            [OK, OK, OK, OK, OK, OK, OK, OK, OK]),
        row(M::GET, "GET /v1/handover/{unknown token}", format!("/v1/handover/hl_{}", "A".repeat(43)), None,
            [NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND]),
        row(M::GET, "GET /v1/quotes/{id}/follow-ups", format!("/v1/quotes/{id}/follow-ups"), None,
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, FORBID, OK, FORBID, OK, OK]),
        row(M::PUT, "PUT /v1/quotes/{id}/follow-ups/{time_point}", format!("/v1/quotes/{id}/follow-ups/month_3"), Some(answer(4, 2, 30.0)),
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, FORBID, SKIP, FORBID, FORBID, FORBID]),
        // An answer out of range: checked only for the patient, so no one else learns even that.
        row(M::PUT, "PUT /v1/quotes/{id}/follow-ups/{time_point} (invalid answer)", format!("/v1/quotes/{id}/follow-ups/month_3"), Some(answer(11, 2, 30.0)),
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, FORBID, INVALID, FORBID, FORBID, FORBID]),
        row(M::POST, "POST /v1/quotes/{id}/follow-ups/{time_point}/skip", format!("/v1/quotes/{id}/follow-ups/month_3/skip"), None,
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, FORBID, SKIP, FORBID, FORBID, FORBID]),
        row(M::PUT, "PUT /v1/quotes/{id}/registry-consent", format!("/v1/quotes/{id}/registry-consent"), Some(consent),
            [UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, FORBID, SKIP, FORBID, FORBID, FORBID]),
        row(M::POST, "POST /v1/quotes/{id}/review", format!("/v1/quotes/{id}/review"), Some(review_body.clone()),
            [UNAUTH, UNAUTH, NOT_FOUND, FORBID, FORBID, CONFLICT, FORBID, FORBID, FORBID]),
        row(M::GET, "GET /v1/quotes/{id}/review", format!("/v1/quotes/{id}/review"), None,
            [UNAUTH, UNAUTH, NOT_FOUND, FORBID, FORBID, OK, FORBID, FORBID, FORBID]),
        row(M::PUT, "PUT /v1/quotes/{id}/review", format!("/v1/quotes/{id}/review"), Some(review_body),
            [UNAUTH, UNAUTH, NOT_FOUND, FORBID, FORBID, SKIP, FORBID, FORBID, FORBID]),
        row(M::POST, "POST /v1/partner/clinics/{clinic_id}/reviews/{review_id}/reply", format!("/v1/partner/clinics/{}/reviews/{review_id}/reply", liv.id), Some(json!({"text": "Thank you."})),
            [UNAUTH, UNAUTH, FORBID, NOT_FOUND, NOT_FOUND, FORBID, SKIP, FORBID, FORBID]),
        // Another partner through its own clinic: the review is not of that clinic.
        row(M::POST, "POST /v1/partner/clinics/{own clinic}/reviews/{another clinic's review}/reply", format!("/v1/partner/clinics/{}/reviews/{review_id}/reply", stranger.id), Some(json!({"text": "Thank you."})),
            [UNAUTH, UNAUTH, FORBID, NOT_FOUND, NOT_FOUND, FORBID, NOT_FOUND, FORBID, FORBID]),
        // The coordinators' webhook endpoints (follow_up.due): admin keys only.
        row(M::POST, "POST /v1/admin/webhook-endpoints", "/v1/admin/webhook-endpoints".to_owned(), Some(staff_endpoint),
            [UNAUTH, UNAUTH, FORBID, FORBID, FORBID, FORBID, FORBID, FORBID, SKIP]),
        row(M::GET, "GET /v1/admin/webhook-endpoints", "/v1/admin/webhook-endpoints".to_owned(), None,
            [UNAUTH, UNAUTH, FORBID, FORBID, FORBID, FORBID, FORBID, FORBID, OK]),
        row(M::GET, "GET /v1/admin/webhook-endpoints/{id}", format!("/v1/admin/webhook-endpoints/{endpoint_id}"), None,
            [UNAUTH, UNAUTH, FORBID, FORBID, FORBID, FORBID, FORBID, FORBID, OK]),
        row(M::DELETE, "DELETE /v1/admin/webhook-endpoints/{id}", format!("/v1/admin/webhook-endpoints/{endpoint_id}"), None,
            [UNAUTH, UNAUTH, FORBID, FORBID, FORBID, FORBID, FORBID, FORBID, SKIP]),
        // Public by design.
        row(M::GET, "GET /v1/clinics/{id}/reviews", format!("/v1/clinics/{}/reviews", liv.id), None,
            [OK, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP]),
        row(M::GET, "GET /v1/outcome-registry", "/v1/outcome-registry".to_owned(), None,
            [OK, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP, SKIP]),
    ];

    let mut wrong = String::new();
    let mut checked = 0;
    for row in &rows {
        for ((caller, bearer), expected) in CALLERS.iter().zip(bearers).zip(row.expect) {
            if expected == SKIP {
                continue;
            }
            let response = app
                .request(row.method.clone(), &row.path, bearer, row.body.as_ref())
                .await;
            let (status, slug) = answer_of(response).await;
            let matches = match expected {
                Expect::Skip => true,
                Expect::Ok(want) => status == want && slug.is_none(),
                Expect::Problem(want, want_slug) => status == want && slug.as_deref() == Some(want_slug),
            };
            checked += 1;
            if !matches {
                let _ = writeln!(
                    wrong,
                    "{} as {caller}: expected {expected:?}, got {status} {}",
                    row.route,
                    slug.as_deref().unwrap_or("(not problem+json)")
                );
            }
        }
    }
    assert!(wrong.is_empty(), "wrong answers:\n{wrong}");
    assert!(checked > 150, "{checked} requests checked");

    // Nothing above changed what the patient holds: the link still opens, the review is as written,
    // no consent was given, no follow-up answered or skipped.
    assert_eq!(app.get(link_url).await.status().as_u16(), 200);
    let own = read(&app, &format!("/v1/quotes/{id}/review"), &patient.token).await;
    assert_eq!(own["rating"], 4);
    let list = read(&app, &format!("/v1/quotes/{id}/follow-ups"), &patient.token).await;
    assert_eq!(list["registry_consent"], false);
    assert!(list["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["responded_at"].is_null()));
}
