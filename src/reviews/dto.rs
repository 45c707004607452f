//! Wire types of reviews and replies. Public shapes carry no quote id, name or contact: a
//! reviewer is "verified patient, treated <Month YYYY>".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::red_flags::RedFlag;
use crate::reviews::domain::{reviewer_label, MAX_RATING, MIN_RATING};
use crate::reviews::model::{Reply, Review};

/// A patient's review of the clinic that treated them.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// Stars, 1 (worst) to 5 (best).
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub rating: i64,
    /// What happened, in the patient's words: 1–4000 characters of plain text, without contact
    /// details, other people's health or abuse (screened; see `docs/REVIEWS.md`).
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        example = "Kind staff and a clear invoice. Three months on my back pain is a little better, not gone."
    )]
    pub text: String,
}

/// A clinic's reply to a review.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// 1–4000 characters of plain text, screened like reviews.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        example = "Thank you for your feedback; we have changed how invoices are explained."
    )]
    pub text: String,
}

/// The clinic's reply, as published.
#[derive(Serialize, ToSchema)]
pub struct ReplyResponse {
    /// The reply as the clinic wrote it.
    pub text: String,
    /// Red flags the reply's claims raise (shown, never hidden), most severe first.
    pub red_flags: Vec<RedFlag>,
    pub created_at: DateTime<Utc>,
}

/// A published review.
#[derive(Serialize, ToSchema)]
pub struct ReviewResponse {
    pub id: Uuid,
    /// Stars, 1 (worst) to 5 (best).
    #[schema(example = 4)]
    pub rating: i16,
    /// The review as the patient wrote it (published whether good or bad).
    pub text: String,
    /// Red flags the review's claims raise (e.g. a "100% success rate"), shown with the text,
    /// never hidden; most severe first.
    pub red_flags: Vec<RedFlag>,
    /// Who wrote it: never a name, only that the treatment was verified and its month.
    #[schema(example = "verified patient, treated March 2027")]
    pub reviewer: String,
    /// The month of the treatment, `YYYY-MM`.
    #[schema(example = "2027-03", pattern = r"^\d{4}-\d{2}$")]
    pub treated_month: String,
    /// When the review was published.
    pub created_at: DateTime<Utc>,
    /// True when the patient edited it after publishing (the history is kept, not published).
    pub edited: bool,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// The clinic's reply, when it wrote one.
    pub reply: Option<ReplyResponse>,
}

impl ReviewResponse {
    /// The public view of a review row and its reply.
    pub fn from_rows((review, reply): &(Review, Option<Reply>)) -> Self {
        Self {
            id: review.id.uuid(),
            rating: review.rating,
            text: review.body.clone(),
            red_flags: flags(&review.red_flags),
            reviewer: reviewer_label(review.treated_month),
            treated_month: review.treated_month.format("%Y-%m").to_string(),
            created_at: review.created_at,
            edited: review.edited_at.is_some(),
            edited_at: review.edited_at,
            reply: reply.as_ref().map(|r| ReplyResponse {
                text: r.body.clone(),
                red_flags: flags(&r.red_flags),
                created_at: r.created_at,
            }),
        }
    }
}

/// Flags stored by this module in the shape it wrote; anything else reads as none.
fn flags(stored: &serde_json::Value) -> Vec<RedFlag> {
    serde_json::from_value(stored.clone()).unwrap_or_default()
}

/// How many reviews gave one rating.
#[derive(Serialize, ToSchema)]
pub struct RatingCount {
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub rating: i16,
    #[schema(example = 3)]
    pub count: i64,
}

/// A clinic's reviews at a glance (for clinic detail): how many, how they spread over 1–5 stars,
/// and the latest few.
#[derive(Serialize, ToSchema)]
pub struct ReviewSummary {
    /// Every published review of the clinic.
    #[schema(example = 7)]
    pub count: i64,
    /// Counts for 1 to 5 stars, in that order (zeros included).
    pub distribution: Vec<RatingCount>,
    /// The latest reviews, newest first; the rest through `GET /v1/clinics/{id}/reviews`.
    pub latest: Vec<ReviewResponse>,
}

impl ReviewSummary {
    /// From (rating, count) pairs and the latest reviews.
    pub fn new(counts: &[(i16, i64)], latest: Vec<ReviewResponse>) -> Self {
        let distribution: Vec<RatingCount> = (MIN_RATING..=MAX_RATING)
            .map(|rating| RatingCount {
                rating,
                count: counts.iter().filter(|(r, _)| *r == rating).map(|(_, n)| n).sum(),
            })
            .collect();
        Self {
            count: distribution.iter().map(|d| d.count).sum(),
            distribution,
            latest,
        }
    }
}

/// An earlier version of the patient's review (private: only its author sees it).
#[derive(Serialize, ToSchema)]
pub struct RevisionResponse {
    pub rating: i16,
    pub text: String,
    /// When this version was written, and when an edit replaced it.
    pub written_at: DateTime<Utc>,
    pub replaced_at: DateTime<Utc>,
}

/// The patient's own review: the published view, until when it may be edited, and its history.
#[derive(Serialize, ToSchema)]
pub struct OwnReviewResponse {
    #[serde(flatten)]
    pub review: ReviewResponse,
    /// Edits are accepted until this instant (30 days after writing).
    pub editable_until: DateTime<Utc>,
    /// Earlier versions, oldest first (empty until the first edit).
    pub revisions: Vec<RevisionResponse>,
}

/// `page_size` and `page_token` of a clinic's reviews.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewListParams {
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page's `next_page_token`.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}
