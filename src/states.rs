//! Every stored state of the write side, declared once with `text_enum!` (wire name, OpenAPI
//! schema, diesel `Text` mapping) and matching the tables' `CHECK` constraints. They sit in the core
//! because several resources and the webhook outbox name them; the transitions each resource allows
//! are methods next to its rules (`quotes::domain` for quotes and offers, moderation for listings).
//!
//! Listings: only `published` reaches patients; partners' edits that raise a red flag wait in
//! `pending_review` for staff. Quotes: `open → offered → accepted | cancelled | expired` (an open
//! quote may also be cancelled or expire), then `accepted → treated | not_treated`. Offers:
//! `pending → accepted | declined | withdrawn | expired`.

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

crate::text_enum! {
    /// Where a quote stands (the `quotes_status` CHECK).
    pub enum QuoteStatus {
        /// Waiting for offers.
        Open => "open",
        /// At least one clinic made an offer.
        Offered => "offered",
        /// The patient accepted an offer.
        Accepted => "accepted",
        /// The patient withdrew the request.
        Cancelled => "cancelled",
        /// Past `expires_at` without an accepted offer.
        Expired => "expired",
        /// After acceptance: the clinic (or staff) recorded the treatment as delivered.
        Treated => "treated",
        /// After acceptance: the treatment did not happen (the record says why).
        NotTreated => "not_treated",
    }
}

crate::text_enum! {
    /// Where an offer stands (the `offers_status` CHECK).
    pub enum OfferStatus {
        /// Waiting for the patient.
        Pending => "pending",
        /// The patient accepted it.
        Accepted => "accepted",
        /// The patient accepted another offer, cancelled or erased the quote.
        Declined => "declined",
        /// Its author took it back.
        Withdrawn => "withdrawn",
        /// Past `valid_until`, or its quote ended.
        Expired => "expired",
    }
}
