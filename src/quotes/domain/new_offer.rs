//! An offer, parsed: its lines, money and texts checked, and its clinic and package confirmed.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::FieldError;
use crate::money::Rates;
use crate::quotes::dto::{CreateOfferRequest, LineItem, PriceChange, RefundPolicy};
use crate::red_flags::engine::{Facts, PackageFacts, Subject};
use crate::reference::Reference;
use crate::text::is_free_text;

/// What checking an offer needs to know besides the request.
pub struct OfferChecks<'a> {
    /// The inclusion vocabulary's codes.
    pub vocabulary: &'a [String],
    pub rates: &'a Rates,
    pub reference: &'a Reference,
    /// Whether the quote was shared with the offering clinic, and the caller may speak for it.
    pub clinic_allowed: bool,
    /// The clinic owning the named package (`None`: no such package), when a package is named.
    pub package_owner: Option<Option<Uuid>>,
    pub now: DateTime<Utc>,
}

/// An offer that passed every check; only [`NewOffer::parse`] makes one.
pub struct NewOffer(CreateOfferRequest);

impl NewOffer {
    /// Checks the request; the errors point at the fields.
    pub fn parse(request: CreateOfferRequest, checks: &OfferChecks<'_>) -> Result<NewOffer, Vec<FieldError>> {
        let mut errors = shape_errors(&request, checks.vocabulary, checks.rates, checks.now);
        if !checks.clinic_allowed {
            errors.push(FieldError {
                pointer: "/clinic_id".into(),
                message: "the quote was not shared with this clinic of yours".into(),
            });
        }
        if let Some(owner) = checks.package_owner {
            if owner != Some(request.clinic_id) {
                errors.push(FieldError {
                    pointer: "/package_id".into(),
                    message: "is not a package of this clinic".into(),
                });
            }
        }
        if let Some(cell) = &request.cell_type {
            if !checks.reference.is_cell_type(cell) {
                errors.push(FieldError {
                    pointer: "/cell_type".into(),
                    message: "is not a known cell type slug".into(),
                });
            }
        }
        if errors.is_empty() {
            Ok(NewOffer(request))
        } else {
            Err(errors)
        }
    }

    /// The checked request.
    pub fn get(&self) -> &CreateOfferRequest {
        &self.0
    }

    /// The texts where the offer may cite an NCT id (see [`cited_texts`]).
    pub fn cited_texts(&self) -> Vec<&str> {
        let r = &self.0;
        cited_texts(
            r.notes.as_deref(),
            r.outcome_guarantee.as_deref(),
            &r.price_change,
            &r.refund_policy,
            &r.line_items,
        )
    }

    /// What the red-flag rules read: the offer's free texts and what the clinic stated.
    pub fn red_flag_subject(&self) -> Subject<'_> {
        let request = &self.0;
        let mut texts = Vec::new();
        if let Some(notes) = &request.notes {
            texts.push(("/notes".to_owned(), notes.as_str()));
        }
        if let Some(guarantee) = &request.outcome_guarantee {
            texts.push(("/outcome_guarantee".to_owned(), guarantee.as_str()));
        }
        if let Some(conditions) = &request.price_change.conditions {
            texts.push(("/price_change/conditions".to_owned(), conditions.as_str()));
        }
        Subject {
            texts,
            facts: Facts {
                package: Some(PackageFacts {
                    authored_by_clinic: true,
                    cell_type: request.cell_type.clone(),
                    cell_source: request.cell_source.clone(),
                    exclusions_stated: true,
                    price_open_ended: false,
                }),
                ..Facts::default()
            },
        }
    }
}

/// Every free text of an offer, where it may cite an NCT id. Each id found is looked up in the
/// registry (queued when the offer is made) and checked whenever the offer is read, so the two
/// must read the same texts: both call this.
pub fn cited_texts<'a>(
    notes: Option<&'a str>,
    outcome_guarantee: Option<&'a str>,
    price_change: &'a PriceChange,
    refund_policy: &'a RefundPolicy,
    line_items: &'a [LineItem],
) -> Vec<&'a str> {
    let mut texts: Vec<&str> = [
        notes,
        outcome_guarantee,
        price_change.conditions.as_deref(),
        refund_policy.notes.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    texts.extend(line_items.iter().filter_map(|item| item.description.as_deref()));
    texts
}

fn shape_errors(
    request: &CreateOfferRequest,
    vocabulary: &[String],
    rates: &Rates,
    now: DateTime<Utc>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut fail = |pointer: String, message: &str| {
        errors.push(FieldError {
            pointer,
            message: message.to_owned(),
        })
    };
    if request.line_items.is_empty() || request.line_items.len() > 30 {
        fail("/line_items".into(), "must have 1 to 30 items");
    }
    for (i, item) in request.line_items.iter().enumerate() {
        if item.code != "other" && !vocabulary.contains(&item.code) {
            fail(
                format!("/line_items/{i}/code"),
                "must be an inclusion vocabulary code or `other`",
            );
        }
        if item.amount < Decimal::ZERO || item.amount.scale() > 2 || item.amount > Decimal::from(10_000_000) {
            fail(
                format!("/line_items/{i}/amount"),
                "must be between 0 and 10000000 with at most 2 decimals",
            );
        }
        if item.description.as_ref().is_some_and(|d| !is_free_text(d, 300)) {
            fail(
                format!("/line_items/{i}/description"),
                "must be at most 300 characters, without control characters",
            );
        }
    }
    let sum: Decimal = request.line_items.iter().map(|i| i.amount).sum();
    if sum != request.total {
        fail(
            "/total".into(),
            &format!("must equal the sum of the line items ({sum})"),
        );
    }
    if rates.get(&request.currency).is_none() {
        fail(
            "/currency".into(),
            &format!("must be one of {}", rates.codes().join(", ")),
        );
    }
    if request.injections.is_some_and(|n| !(1..=50).contains(&n)) {
        fail("/injections".into(), "must be between 1 and 50");
    }
    if request
        .cell_source
        .as_ref()
        .is_some_and(|s| s != "autologous" && s != "allogeneic")
    {
        fail("/cell_source".into(), "must be autologous or allogeneic");
    }
    if request.exclusions.len() > 50 {
        fail("/exclusions".into(), "must have at most 50 items");
    }
    if request.cell_type.as_ref().is_some_and(|c| !is_free_text(c, 100)) {
        fail(
            "/cell_type".into(),
            "must be at most 100 characters, without control characters",
        );
    }
    for (i, code) in request.exclusions.iter().enumerate() {
        if !vocabulary.contains(code) {
            fail(format!("/exclusions/{i}"), "must be an inclusion vocabulary code");
        }
    }
    let increase = request.price_change.max_increase_percent;
    if increase < Decimal::ZERO || increase > Decimal::from(100) || increase.scale() > 2 {
        fail(
            "/price_change/max_increase_percent".into(),
            "must be between 0 and 100 with at most 2 decimals",
        );
    }
    if request
        .price_change
        .conditions
        .as_ref()
        .is_some_and(|c| !is_free_text(c, 1000))
    {
        fail(
            "/price_change/conditions".into(),
            "must be at most 1000 characters, without control characters",
        );
    }
    if !["on_booking", "after_medical_review"].contains(&request.deposit.due.as_str()) {
        fail(
            "/deposit/due".into(),
            "must be on_booking or after_medical_review",
        );
    }
    if request.deposit.amount < Decimal::ZERO
        || request.deposit.amount > request.total
        || request.deposit.amount.scale() > 2
    {
        fail(
            "/deposit/amount".into(),
            "must be between 0 and the total with at most 2 decimals",
        );
    }
    if request.deposit.refundable_percent > 100 {
        fail("/deposit/refundable_percent".into(), "must be between 0 and 100");
    }
    if request.refund_policy.full_refund_until_days_before > 365 {
        fail(
            "/refund_policy/full_refund_until_days_before".into(),
            "must be between 0 and 365",
        );
    }
    if request.refund_policy.late_refund_percent > 100 {
        fail(
            "/refund_policy/late_refund_percent".into(),
            "must be between 0 and 100",
        );
    }
    if request
        .refund_policy
        .notes
        .as_ref()
        .is_some_and(|n| !is_free_text(n, 500))
    {
        fail(
            "/refund_policy/notes".into(),
            "must be at most 500 characters, without control characters",
        );
    }
    if request
        .outcome_guarantee
        .as_ref()
        .is_some_and(|g| !is_free_text(g, 500))
    {
        fail(
            "/outcome_guarantee".into(),
            "must be at most 500 characters, without control characters",
        );
    }
    if request.notes.as_ref().is_some_and(|n| !is_free_text(n, 2000)) {
        fail(
            "/notes".into(),
            "must be at most 2000 characters, without control characters",
        );
    }
    if request.valid_until <= now || request.valid_until > now + Duration::days(180) {
        fail(
            "/valid_until".into(),
            "must be in the future and at most 180 days ahead",
        );
    }
    errors
}
