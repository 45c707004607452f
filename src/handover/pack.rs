//! Assembling a quote's handover pack from its treatment record, the catalogue, the clinic's
//! listing and the evidence summaries.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::cell_types::repo as cell_types_repo;
use crate::conditions::repo as conditions_repo;
use crate::crypto::DataKey;
use crate::error::ApiError;
use crate::evidence::present::{present_summary, EvidenceSummaryResponse};
use crate::evidence::repo as evidence_repo;
use crate::handover::domain::{self, SOURCES, WARNING_SIGNS};
use crate::handover::dto::{
    ClinicContact, FollowUpDate, HandoverPack, HandoverTreatment, Named, SourceView, WarningSignView,
};
use crate::quotes::domain::conflict;
use crate::quotes::model::Quote;
use crate::treatments::domain::follow_up_schedule;
use crate::treatments::repo::TreatmentRow;
use crate::treatments::routes::open_details;

/// The pack of a treated quote; 409 when the treatment did not happen or its details were erased.
pub async fn build(
    conn: &mut AsyncPgConnection,
    key: &DataKey,
    now: DateTime<Utc>,
    quote: &Quote,
    row: &TreatmentRow,
) -> Result<HandoverPack, ApiError> {
    let wanted = "handed over";
    let Some(treated_on) = row.treated_on else {
        return Err(conflict("quote", "not treated", wanted));
    };
    let Some(details) = open_details(key, row)? else {
        return Err(conflict("treatment record", "erased", wanted));
    };
    let cell_type_slug = row.cell_type_slug.clone().unwrap_or_default();
    let cell_type_name = cell_types_repo::find_cell_type(conn, &cell_type_slug)
        .await?
        .map(|c| c.name);
    let methods = cell_types_repo::administration_methods(conn).await?;
    let administration_method = details.administration_method.clone().map(|slug| Named {
        name: methods.iter().find(|m| m.slug == slug).map(|m| m.name.clone()),
        slug,
    });
    let condition_name = conditions_repo::find(conn, &quote.condition_slug)
        .await?
        .map(|c| c.name);
    let clinic = clinic_contact(conn, row).await?;
    let evidence = evidence_for(conn, &quote.condition_slug, &cell_type_slug).await?;
    let mut sources: Vec<SourceView> = SOURCES
        .iter()
        .map(|s| SourceView {
            id: s.id.to_owned(),
            title: s.title.to_owned(),
            url: s.url.map(str::to_owned),
        })
        .collect();
    if let Some(summary) = &evidence {
        sources.push(SourceView {
            id: format!("evidence:{}", summary.slug),
            title: format!(
                "StemCare evidence summary `{}` (GET /v1/evidence-summaries/{})",
                summary.slug, summary.id
            ),
            url: Some(format!("/v1/evidence-summaries/{}", summary.id)),
        });
        sources.extend(summary.citations.iter().map(|c| SourceView {
            id: format!("study:{}", c.slug),
            title: c.title.clone(),
            url: c.url.clone(),
        }));
    }
    Ok(HandoverPack {
        quote_id: quote.id,
        generated_at: now,
        condition: Named {
            slug: quote.condition_slug.clone(),
            name: condition_name,
        },
        treatment: HandoverTreatment {
            treated_on,
            cell_type: Named {
                slug: cell_type_slug,
                name: cell_type_name,
            },
            cell_source: row.cell_source,
            cell_count: details.cell_count,
            administration_method,
            sites: details.sites,
            product_lot: details.product_lot,
            certificate_of_analysis: details.certificate_of_analysis,
            medications: details.medications,
            adverse_events_during_stay: details.adverse_events,
            recorded_by: row.recorded_by.clone(),
            recorded_at: row.created_at,
            source_id: domain::RECORD,
        },
        clinic,
        warning_signs: WARNING_SIGNS
            .iter()
            .map(|w| WarningSignView {
                complication: w.complication,
                source_id: w.source_id,
            })
            .collect(),
        warning_signs_note: domain::WARNING_SIGNS_NOTE,
        evidence_note: evidence.is_none().then_some(domain::NO_EVIDENCE),
        evidence,
        follow_up_schedule: follow_up_schedule(treated_on)
            .into_iter()
            .map(|s| FollowUpDate {
                time_point: s.time_point,
                due_on: s.due_on,
                window_opens: s.window_opens,
                window_closes: s.window_closes,
            })
            .collect(),
        follow_up_note: domain::FOLLOW_UP_NOTE,
        sources,
        disclaimer: crate::disclaimer::DISCLAIMER,
    })
}

/// The treating clinic as listed (a clinic no longer published keeps only its name).
async fn clinic_contact(conn: &mut AsyncPgConnection, row: &TreatmentRow) -> Result<ClinicContact, ApiError> {
    let listed = crate::clinics::repo::find_published(&mut &*conn, row.clinic_id).await?;
    let (name, city, country_code, website) = match listed {
        Some(c) => (c.name, c.city, Some(c.country_code), c.website),
        None => {
            let names = crate::quotes::repo::clinic_names(conn, &[row.clinic_id]).await?;
            let name = names.into_iter().next().map(|(_, n)| n).unwrap_or_default();
            (name, None, None, None)
        }
    };
    Ok(ClinicContact {
        clinic_id: row.clinic_id,
        name,
        city,
        country_code,
        website,
        unknown_fields: domain::CLINIC_UNKNOWN_FIELDS.to_vec(),
        note: domain::CLINIC_NOTE,
    })
}

/// The condition's summary for this cell type, else its condition-level summary.
async fn evidence_for(
    conn: &mut AsyncPgConnection,
    condition: &str,
    cell_type: &str,
) -> Result<Option<EvidenceSummaryResponse>, ApiError> {
    let summaries = evidence_repo::summaries_for_condition(conn, condition).await?;
    let chosen = summaries
        .iter()
        .find(|s| s.cell_type.as_deref() == Some(cell_type))
        .or_else(|| summaries.iter().find(|s| s.cell_type.is_none()));
    let Some(summary) = chosen else {
        return Ok(None);
    };
    let studies = evidence_repo::studies_by_slug(conn, &summary.study_slugs).await?;
    Ok(Some(present_summary(summary, &studies)))
}
