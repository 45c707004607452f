//! Where a clinic or package listing stands in moderation (the `status` columns of `clinics` and
//! `treatment_packages`, checked by the `*_status` constraints). Only `published` listings reach
//! patients; partners' edits that raise a red flag wait in `pending_review` for staff.

crate::text_enum! {
    /// Moderation state of a clinic or package listing.
    pub enum ListingStatus {
        /// Shown to patients.
        Published => "published",
        /// Waiting for staff review (a partner's edit raised a red flag).
        PendingReview => "pending_review",
        /// Refused by staff; never shown.
        Rejected => "rejected",
        /// Withdrawn by the partner or staff; never shown.
        Unlisted => "unlisted",
    }
}
