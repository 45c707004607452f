//! Steps of the twelve-patient journey (`after_the_offer.rs`) that check one part of issue 20 each:
//! the handover pack and the doctor's link, and the reviews around the 14-day mark with the
//! clinic's reply. They run inside that one test, on its server and its clock.

use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use crate::follow_ups::{advance_to, item};
use crate::helpers::{assert_problem, TestApp};
use crate::journey::{delete, get_accepting, post_review, reply, Clinic};

/// What every test quote's patient gave (`quotes::quote_request`) and no pack may show.
const CONTACT: [&str; 3] = ["Jane Doe", "7946 0958", "@example.com"];

/// The pack without the instant it was generated (the only field that differs between reads).
fn content_of(mut pack: Value) -> Value {
    if let Some(fields) = pack.as_object_mut() {
        fields.remove("generated_at");
    }
    pack
}

/// The treated patient's handover pack, as JSON and as a printable page, agrees with the follow-up
/// list's schedule and carries no contact detail; the doctor's link opens the same pack with no
/// credential, opens nothing else, and answers 410 once the patient revokes it.
pub(crate) async fn handover_and_doctors_link(
    app: &TestApp,
    quote_id: &str,
    token: &str,
    lot: &str,
    follow_up_list: &Value,
) {
    let path = format!("/v1/quotes/{quote_id}/handover");
    let response = app.get_as(&path, token).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let pack: Value = response.json().await.expect("json");
    assert_eq!(pack["quote_id"], quote_id);
    assert_eq!(pack["treatment"]["product_lot"], lot);
    assert_eq!(pack["treatment"]["sites"], json!(["L4-L5 disc"]));
    assert_eq!(
        pack["evidence"]["certainty"], "none",
        "sciatica: no studies found"
    );
    let schedule = pack["follow_up_schedule"].as_array().expect("schedule");
    assert_eq!(
        schedule[0]["due_on"],
        item(follow_up_list, "baseline")["closes_on"],
        "the baseline closes on the treatment day"
    );
    for (entry, time_point) in schedule[1..]
        .iter()
        .zip(["month_3", "month_6", "month_12", "month_24"])
    {
        let listed = item(follow_up_list, time_point);
        assert_eq!(entry["time_point"], time_point);
        assert_eq!(
            [&entry["due_on"], &entry["window_opens"], &entry["window_closes"]],
            [&listed["due_on"], &listed["opens_on"], &listed["closes_on"]],
            "{time_point}: the pack and the follow-up list agree"
        );
    }
    let text = pack.to_string();
    for contact in CONTACT {
        assert!(!text.contains(contact), "the pack shows {contact}");
    }

    // The printable page: HTML a person reads, with the same facts and no script.
    let page = get_accepting(app, &path, Some(token), "text/html").await;
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let page = page.text().await.expect("text");
    assert!(page.starts_with("<!DOCTYPE html><html lang=\"en\">"));
    assert!(page.contains("Treatment handover for the home doctor"));
    assert!(page.contains(lot) && page.contains("L4-L5 disc") && page.contains("GRADE certainty: none"));
    assert!(!page.contains("<script"));

    // The doctor's link: made by the patient, opened by anyone holding it, JSON or page.
    let links = format!("/v1/quotes/{quote_id}/handover-links");
    let created = app
        .post_json(&links, Some(token), &json!({"expires_in_days": 30}))
        .await;
    assert_eq!(created.status().as_u16(), 201);
    let link: Value = created.json().await.expect("json");
    let url = link["url"].as_str().expect("url").to_owned();
    let link_token = link["token"].as_str().expect("token").to_owned();
    let by_link = app.get_json(&url, 200).await;
    assert_eq!(content_of(by_link), content_of(pack.clone()), "the same pack");
    let by_link_page = get_accepting(app, &url, None, "text/html").await;
    assert_eq!(by_link_page.status().as_u16(), 200);
    assert!(by_link_page.text().await.expect("text").contains(lot));
    // It reaches nothing else: as a bearer credential it is refused everywhere.
    for other in [
        format!("/v1/quotes/{quote_id}"),
        format!("/v1/quotes/{quote_id}/treatment"),
        format!("/v1/quotes/{quote_id}/follow-ups"),
        format!("/v1/quotes/{quote_id}/export"),
        path.clone(),
    ] {
        assert_problem(app.get_as(&other, &link_token).await, 401, "unauthorized").await;
    }

    // Revoked by the patient: the doctor learns it once worked (410), not that it never existed.
    let link_path = format!("{links}/{}", link["id"].as_str().expect("id"));
    assert_eq!(delete(app, &link_path, Some(token)).await.status().as_u16(), 204);
    let gone = assert_problem(app.get(&url).await, 410, "gone").await;
    assert_eq!(gone["detail"], "the patient revoked this handover link");
}

/// Reviews open 14 days after the treatment date: refused on day 13 (`review-not-open`, naming the
/// opening date), accepted on day 14 and published as by a verified patient; the treating clinic's
/// partner key replies once. Returns the review's id.
pub(crate) async fn reviews_around_day_14(
    app: &TestApp,
    clinic: &Clinic,
    quote_id: &str,
    token: &str,
    treated_on: NaiveDate,
) -> String {
    let body =
        json!({"rating": 4, "text": "Clear invoice and kind nurses; too early to say more about my leg."});
    let opens_on = treated_on + Duration::days(14);
    advance_to(app, opens_on - Duration::days(1));
    let early = post_review(app, quote_id, Some(token), &body).await;
    let problem = assert_problem(early, 409, "review-not-open").await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&opens_on.to_string())),
        "{problem}"
    );

    advance_to(app, opens_on);
    let created = post_review(app, quote_id, Some(token), &body).await;
    assert_eq!(created.status().as_u16(), 201);
    let review_id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let replied = reply(app, &clinic.id, &review_id, Some(&clinic.key)).await;
    assert_eq!(replied.status().as_u16(), 201);
    assert_problem(
        reply(app, &clinic.id, &review_id, Some(&clinic.key)).await,
        409,
        "conflict",
    )
    .await;

    let list = app
        .get_json(&format!("/v1/clinics/{}/reviews", clinic.id), 200)
        .await;
    let published = &list["items"][0];
    assert_eq!(published["id"], review_id.as_str());
    assert_eq!(published["rating"], 4);
    assert_eq!(
        published["reviewer"],
        format!("verified patient, treated {}", treated_on.format("%B %Y"))
    );
    assert!(published["reply"]["text"]
        .as_str()
        .is_some_and(|t| t.starts_with("Thank you")));
    let text = list.to_string();
    assert!(!text.contains(quote_id), "the public list names the quote");
    for contact in CONTACT {
        assert!(!text.contains(contact), "the public list shows {contact}");
    }
    review_id
}
