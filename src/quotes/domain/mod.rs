//! The quote and offer states with their allowed transitions (the database enforces the same
//! rules with triggers, see the quotes migration), and the values parsed from requests.
//!
//! quote: `open → offered → accepted | cancelled | expired` (an open quote may also be cancelled
//! or expire), `accepted → treated | not_treated`; offer: `pending → accepted | declined | withdrawn | expired`.

mod new_offer;
mod new_quote;

pub use new_offer::{cited_texts, NewOffer, OfferChecks};
pub use new_quote::NewQuote;

pub use crate::states::{OfferStatus, QuoteStatus};

use crate::error::{ApiError, ProblemKind};

impl QuoteStatus {
    /// The states the expiry worker may end (they are the only ones with a deadline).
    pub const EXPIRABLE: [QuoteStatus; 2] = [QuoteStatus::Open, QuoteStatus::Offered];

    /// Whether a quote in this state may move to `to`.
    pub fn may_become(self, to: QuoteStatus) -> bool {
        use QuoteStatus::*;
        match self {
            Open => matches!(to, Offered | Cancelled | Expired),
            Offered => matches!(to, Accepted | Cancelled | Expired),
            Accepted => matches!(to, Treated | NotTreated),
            Cancelled | Expired | Treated | NotTreated => false,
        }
    }

    /// `Ok` when the move is allowed, else a 409 naming the current state.
    pub fn check(self, to: QuoteStatus) -> Result<(), ApiError> {
        if self.may_become(to) {
            Ok(())
        } else {
            Err(conflict("quote", self.as_str(), to.as_str()))
        }
    }
}

impl OfferStatus {
    /// Whether an offer in this state may move to `to`.
    pub fn may_become(self, to: OfferStatus) -> bool {
        use OfferStatus::*;
        match self {
            Pending => matches!(to, Accepted | Declined | Withdrawn | Expired),
            Accepted | Declined | Withdrawn | Expired => false,
        }
    }

    /// `Ok` when the move is allowed, else a 409 naming the current state.
    pub fn check(self, to: OfferStatus) -> Result<(), ApiError> {
        if self.may_become(to) {
            Ok(())
        } else {
            Err(conflict("offer", self.as_str(), to.as_str()))
        }
    }
}

/// 409 naming the current state (or condition, such as `erased`).
pub fn conflict(what: &str, current: &str, wanted: &str) -> ApiError {
    ApiError::new(
        ProblemKind::Conflict,
        format!("the {what} is {current} and cannot become {wanted}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_transitions_are_legal() {
        use OfferStatus as O;
        use QuoteStatus as Q;
        assert!(Q::Open.may_become(Q::Offered));
        assert!(Q::Offered.may_become(Q::Accepted));
        assert!(!Q::Open.may_become(Q::Accepted), "accepting needs an offer");
        assert!(!Q::Accepted.may_become(Q::Cancelled));
        assert!(Q::Accepted.may_become(Q::Treated));
        assert!(Q::Accepted.may_become(Q::NotTreated));
        assert!(
            !Q::Offered.may_become(Q::Treated),
            "a treatment follows an accepted offer"
        );
        assert!(!Q::Treated.may_become(Q::NotTreated));
        assert!(!Q::Expired.may_become(Q::Open));
        assert!(O::Pending.may_become(O::Withdrawn));
        assert!(!O::Accepted.may_become(O::Declined));
        let legal_quote_moves = Q::ALL.iter().flat_map(|a| Q::ALL.iter().map(move |b| (a, b)));
        assert_eq!(legal_quote_moves.filter(|(a, b)| a.may_become(**b)).count(), 8);
    }

    #[test]
    fn conflicts_name_the_current_state() {
        let error = QuoteStatus::Accepted.check(QuoteStatus::Cancelled).unwrap_err();
        assert_eq!(error.detail, "the quote is accepted and cannot become cancelled");
    }
}
