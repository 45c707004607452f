//! What a partner sees of its own listings: the writable fields as sent, plus server-owned state.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clinics::model::Clinic;
use crate::error::ApiError;
use crate::partner_listings::dto::{ClinicInput, PackageInput};
use crate::partner_listings::repo;
use crate::red_flags::{repo as flags_repo, RedFlag};
use crate::states::ListingStatus;

/// One of the partner's packages.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerPackageResponse {
    pub id: Uuid,
    /// Send as `If-Match` (quoted) to update.
    pub version: i32,
    /// `published` or `unlisted` (deleted).
    pub status: String,
    pub listing: PackageInput,
    pub red_flags: Vec<RedFlag>,
    pub updated_at: DateTime<Utc>,
}

/// One of the partner's clinics.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerClinicResponse {
    pub id: Uuid,
    pub slug: String,
    /// `published`, `pending_review` (waiting for moderation because of red flags), `rejected` or `unlisted`.
    #[schema(example = pending_review_example)]
    pub status: String,
    /// The moderator's reason, when there is one.
    pub moderation_note: Option<String>,
    /// Send as `If-Match` (quoted) to update.
    pub version: i32,
    /// The writable fields, as last accepted.
    pub listing: ClinicInput,
    pub red_flags: Vec<RedFlag>,
    pub treatment_packages: Vec<PartnerPackageResponse>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The example status in the schema (a listing waiting for moderation).
fn pending_review_example() -> ListingStatus {
    ListingStatus::PendingReview
}

/// The partner's view of one of its clinics, with its packages and their red flags.
pub async fn partner_view(
    conn: &mut AsyncPgConnection,
    clinic: &Clinic,
) -> Result<PartnerClinicResponse, ApiError> {
    let packages = repo::live_packages(conn, clinic.id).await?;
    let mut ids: Vec<Uuid> = packages.iter().map(|p| p.id).collect();
    ids.push(clinic.id);
    let mut flags = flags_repo::detections_for(&mut &*conn, &ids).await?;
    let mut take = |id: &Uuid| -> Vec<RedFlag> {
        flags
            .remove(id)
            .unwrap_or_default()
            .into_iter()
            .map(RedFlag::from)
            .collect()
    };
    let treatment_packages = packages
        .iter()
        .map(|p| PartnerPackageResponse {
            id: p.id,
            version: p.version,
            status: p.status.clone(),
            listing: repo::package_input_of(p),
            red_flags: take(&p.id),
            updated_at: p.updated_at,
        })
        .collect();
    Ok(PartnerClinicResponse {
        id: clinic.id,
        slug: clinic.slug.clone(),
        status: clinic.status.clone(),
        moderation_note: clinic.moderation_note.clone(),
        version: clinic.version,
        listing: repo::clinic_input_of(clinic),
        red_flags: take(&clinic.id),
        treatment_packages,
        created_at: clinic.created_at,
        updated_at: clinic.updated_at,
    })
}
