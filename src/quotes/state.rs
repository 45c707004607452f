//! The quote and offer state machines, in one place (the database enforces the same rules with
//! triggers, see the quotes migration).
//!
//! quote: `open → offered → accepted | cancelled | expired` (an open quote may also be cancelled
//! or expire); offer: `pending → accepted | declined | withdrawn | expired`.

use crate::error::{ApiError, ProblemKind};

pub fn quote_may_become(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("open", "offered" | "cancelled" | "expired") | ("offered", "accepted" | "cancelled" | "expired")
    )
}

pub fn offer_may_become(from: &str, to: &str) -> bool {
    from == "pending" && matches!(to, "accepted" | "declined" | "withdrawn" | "expired")
}

/// 409 naming the current state.
pub fn conflict(what: &str, current: &str, wanted: &str) -> ApiError {
    ApiError::new(
        ProblemKind::Conflict,
        format!("the {what} is {current} and cannot become {wanted}"),
    )
}

pub fn check_quote(from: &str, to: &str) -> Result<(), ApiError> {
    if quote_may_become(from, to) {
        Ok(())
    } else {
        Err(conflict("quote", from, to))
    }
}

pub fn check_offer(from: &str, to: &str) -> Result<(), ApiError> {
    if offer_may_become(from, to) {
        Ok(())
    } else {
        Err(conflict("offer", from, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_transitions_are_legal() {
        assert!(quote_may_become("open", "offered"));
        assert!(quote_may_become("offered", "accepted"));
        assert!(!quote_may_become("open", "accepted"), "accepting needs an offer");
        assert!(!quote_may_become("accepted", "cancelled"));
        assert!(!quote_may_become("expired", "open"));
        assert!(offer_may_become("pending", "withdrawn"));
        assert!(!offer_may_become("accepted", "declined"));
    }
}
