//! Builds quote and offer responses with the visibility rules of each reader.

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::auth::Principal;
use crate::crypto::DataKey;
use crate::error::ApiError;
use crate::quotes::contact::{open_text, PatientContact};
use crate::quotes::domain::cited_texts;
use crate::quotes::dto::{
    Deposit, LineItem, MoneyInput, OfferResponse, PriceChange, QuoteResponse, RefundPolicy, TravelWindow,
};
use crate::quotes::model::{Offer, Quote};
use crate::quotes::repo;
use crate::red_flag_engine::{RuleBook, Severity};
use crate::red_flags::RedFlag;
use crate::trial_registry::flags::OfferFacts;

/// The status a reader sees: `erased` once the patient erased their data.
pub fn visible_status(quote: &Quote) -> String {
    if quote.erased_at.is_some() {
        "erased".to_owned()
    } else {
        quote.status.as_str().to_owned()
    }
}

/// Whether `principal` may read the contact details of `quote`.
async fn may_see_contact(
    conn: &mut AsyncPgConnection,
    principal: &Principal,
    quote: &Quote,
) -> Result<bool, ApiError> {
    Ok(match principal {
        Principal::Patient { .. } | Principal::Admin { .. } | Principal::Coordinator { .. } => true,
        Principal::Partner { partner_id, .. } => match quote.accepted_offer_id {
            None => false,
            Some(offer_id) => {
                let offers = repo::offers_of(conn, quote.id).await?;
                let Some(accepted) = offers.iter().find(|o| o.id == offer_id) else {
                    return Ok(false);
                };
                repo::clinic_owner(conn, accepted.clinic_id).await?.flatten() == Some(*partner_id)
            }
        },
    })
}

/// The quote as `principal` may see it. Reads of contact data by staff and partners are audited.
pub async fn quote_response(
    conn: &mut AsyncPgConnection,
    key: &DataKey,
    principal: &Principal,
    quote: &Quote,
) -> Result<QuoteResponse, ApiError> {
    let patient = match &quote.contact_ciphertext {
        Some(sealed) if may_see_contact(conn, principal, quote).await? => {
            if !matches!(principal, Principal::Patient { .. }) {
                crate::audit::record(conn, principal, "read_contact", quote.id).await?;
            }
            Some(PatientContact::open(key, sealed)?)
        }
        _ => None,
    };
    build(conn, key, quote, patient).await
}

/// The quote without contact details (for lists).
pub async fn quote_summary(
    conn: &mut AsyncPgConnection,
    key: &DataKey,
    quote: &Quote,
) -> Result<QuoteResponse, ApiError> {
    build(conn, key, quote, None).await
}

async fn build(
    conn: &mut AsyncPgConnection,
    key: &DataKey,
    quote: &Quote,
    patient: Option<PatientContact>,
) -> Result<QuoteResponse, ApiError> {
    let notes = quote
        .notes_ciphertext
        .as_deref()
        .map(|sealed| open_text(key, sealed))
        .transpose()?;
    let routed_clinic_ids = repo::routed_clinic_ids(conn, quote.id).await?;
    Ok(QuoteResponse {
        id: quote.id,
        status: visible_status(quote),
        condition: quote.condition_slug.clone(),
        has_mri: quote.has_mri,
        notes,
        preferred_countries: quote.preferred_countries.clone(),
        preferred_cell_types: quote.preferred_cell_types.clone(),
        budget: quote
            .budget_amount
            .zip(quote.budget_currency.clone())
            .map(|(amount, currency)| MoneyInput { amount, currency }),
        travel_window: quote
            .travel_from
            .zip(quote.travel_to)
            .map(|(from, to)| TravelWindow { from, to }),
        patient_country: quote.patient_country.clone(),
        preferred_language: quote.preferred_language.clone(),
        patient,
        share_mode: quote.share_mode.clone(),
        routed_clinic_ids,
        estimates: serde_json::from_value(quote.estimates.clone()).unwrap_or_default(),
        accepted_offer_id: quote.accepted_offer_id,
        expires_at: quote.expires_at,
        erased_at: quote.erased_at,
        created_at: quote.created_at,
        updated_at: quote.updated_at,
        disclaimer: crate::disclaimer::DISCLAIMER,
    })
}

/// Offers as every reader sees them (the patient, the offering partner, staff, the patient's
/// export): the flags their texts raised when they were made, plus the registry checks of the NCT
/// ids they cite, evaluated now from the stored snapshots as of `today` (docs/TRIALS.md).
pub async fn offer_responses(
    conn: &mut AsyncPgConnection,
    book: &RuleBook,
    today: NaiveDate,
    offers: &[Offer],
) -> Result<Vec<OfferResponse>, ApiError> {
    let clinic_ids: Vec<Uuid> = offers.iter().map(|o| o.clinic_id).collect();
    let clinics = repo::offering_clinics(conn, &clinic_ids).await?;
    let mut views = Vec::with_capacity(offers.len());
    let mut facts = Vec::with_capacity(offers.len());
    for offer in offers {
        let (name, country) = clinics
            .iter()
            .find(|(id, _, _)| *id == offer.clinic_id)
            .map_or(("", ""), |(_, name, country)| (name.as_str(), country.as_str()));
        let view = offer_response(offer, name);
        let texts = cited_texts(
            view.notes.as_deref(),
            view.outcome_guarantee.as_deref(),
            &view.price_change,
            &view.refund_policy,
            &view.line_items,
        );
        facts.push(OfferFacts {
            offer_id: view.id,
            clinic_name: name.to_owned(),
            country_code: country.to_owned(),
            texts: texts.into_iter().map(str::to_owned).collect(),
            charges: view.total > Decimal::ZERO,
        });
        views.push(view);
    }
    let mut registry = crate::trial_registry::offers::offer_flags(conn, book, &facts, today).await?;
    for view in &mut views {
        if let Some(found) = registry.remove(&view.id) {
            add_flags(&mut view.red_flags, found);
        }
    }
    Ok(views)
}

/// Adds registry flags to an offer's own, in the engine's order: most severe first, then by code,
/// so a critical registry flag leads the list as a critical text flag does.
fn add_flags(flags: &mut Vec<RedFlag>, found: Vec<RedFlag>) {
    for flag in found {
        if !flags.iter().any(|f| f.code == flag.code) {
            flags.push(flag);
        }
    }
    let rank = |severity: &str| {
        [Severity::Info, Severity::Warn, Severity::Critical]
            .iter()
            .position(|s| s.as_str() == severity)
            .unwrap_or(0)
    };
    flags.sort_by(|a, b| {
        rank(&b.severity)
            .cmp(&rank(&a.severity))
            .then_with(|| a.code.cmp(&b.code))
    });
}

fn offer_response(offer: &Offer, clinic_name: &str) -> OfferResponse {
    let deposit: Deposit = serde_json::from_value(offer.deposit.clone()).unwrap_or(Deposit {
        amount: rust_decimal::Decimal::ZERO,
        due: "unknown".into(),
        refundable_percent: 0,
    });
    let refund_policy: RefundPolicy =
        serde_json::from_value(offer.refund_policy.clone()).unwrap_or(RefundPolicy {
            full_refund_until_days_before: 0,
            late_refund_percent: 0,
            notes: None,
        });
    let line_items: Vec<LineItem> = serde_json::from_value(offer.line_items.clone()).unwrap_or_default();
    OfferResponse {
        id: offer.id,
        quote_id: offer.quote_id,
        clinic_id: offer.clinic_id,
        clinic_name: clinic_name.to_owned(),
        package_id: offer.package_id,
        line_items,
        total: offer.total,
        currency: offer.currency.clone(),
        injections: offer.injections,
        cell_type: offer.cell_type.clone(),
        cell_source: offer.cell_source.clone(),
        exclusions: offer.exclusions.clone(),
        price_change: PriceChange {
            conditions: offer.price_change_conditions.clone(),
            max_increase_percent: offer.max_increase_percent,
        },
        deposit,
        refund_policy,
        outcome_guarantee: offer.outcome_guarantee.clone(),
        valid_until: offer.valid_until,
        notes: offer.notes.clone(),
        red_flags: serde_json::from_value(offer.red_flags.clone()).unwrap_or_default(),
        status: offer.status.as_str().to_owned(),
        created_at: offer.created_at,
        updated_at: offer.updated_at,
    }
}
