//! The state of a webhook delivery.

crate::text_enum! {
    /// Where a delivery stands (the `webhook_deliveries_status` CHECK).
    pub enum DeliveryStatus {
        /// Waiting for its next attempt (`next_attempt_at`).
        Pending => "pending",
        /// The endpoint answered 2xx.
        Succeeded => "succeeded",
        /// Given up: retries ran out or the endpoint was deleted.
        Failed => "failed",
    }
}
