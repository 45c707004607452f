use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::db::DbPool;
use crate::error::{ApiError, Problem};
use crate::exports::repo::{self, Window};
use crate::exports::shape::{ClinicExport, ExportLine, PackageExport};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(export_listings);
}

/// Rows fetched (and written) per database round trip: memory stays bounded by one batch.
const BATCH: i64 = 500;

/// `types` and `since` of `GET /v1/exports`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Comma-separated resource types, without spaces: `clinics`, `treatment-packages` (default both).
    #[param(
        example = "clinics,treatment-packages",
        max_length = 100,
        pattern = "^(clinics|treatment-packages)(,(clinics|treatment-packages))*$"
    )]
    pub types: Option<String>,
    /// RFC 3339 timestamp, normally the `transaction_time` of the previous export: only listings
    /// changed after it, with tombstones for those no longer public. Absent: every public listing.
    #[param(example = "2026-11-29T10:00:00.123456Z", format = DateTime, max_length = 64)]
    pub since: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Clinics,
    Packages,
}

fn parse_types(raw: Option<&str>) -> Result<Vec<Kind>, ApiError> {
    let Some(raw) = raw else {
        return Ok(vec![Kind::Clinics, Kind::Packages]);
    };
    if raw.chars().count() > 100 {
        return Err(ApiError::invalid_query("types", "must be at most 100 characters"));
    }
    let mut kinds = Vec::new();
    for name in raw.split(',') {
        let kind = match name {
            "clinics" => Kind::Clinics,
            "treatment-packages" => Kind::Packages,
            other => {
                return Err(ApiError::invalid_query(
                    "types",
                    format!("has unknown type `{other}`; use clinics, treatment-packages"),
                ))
            }
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    // Clinics first, whatever the order asked: a mirror can then insert packages after their clinic.
    kinds.sort_by_key(|k| *k != Kind::Clinics);
    Ok(kinds)
}

fn parse_since(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|raw| {
        if raw.len() > 64 {
            return Err(ApiError::invalid_query("since", "must be at most 64 characters"));
        }
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::invalid_query(
                    "since",
                    "must be an RFC 3339 timestamp such as 2026-11-29T10:00:00Z (URL-encode a `+` offset)",
                )
            })
    })
    .transpose()
}

/// The export's progress between batches; it owns a pool handle, never a connection.
struct Export {
    pool: DbPool,
    kinds: Vec<Kind>,
    next_kind: usize,
    since: Option<DateTime<Utc>>,
    until: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid)>,
    count: u64,
    finished: bool,
}

fn push_line(out: &mut Vec<u8>, line: &ExportLine) {
    // Serialising these plain structs cannot fail; an empty line would still keep NDJSON valid.
    if serde_json::to_writer(&mut *out, line).is_ok() {
        out.push(b'\n');
    }
}

impl Export {
    /// The next chunk of the body: one batch of lines, the closing line, or `None` at the end.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.finished {
            return None;
        }
        let mut out = Vec::new();
        while let Some(kind) = self.kinds.get(self.next_kind).copied() {
            match self.batch(kind, &mut out).await {
                Ok(0) => {
                    self.next_kind += 1;
                    self.after = None;
                }
                Ok(_) => return Some(Bytes::from(out)),
                Err(error) => {
                    log::error!("export failed part-way: {error}");
                    self.finished = true;
                    push_line(
                        &mut out,
                        &ExportLine::ExportError {
                            detail: "the export failed part-way; start it again with the same `since`"
                                .to_owned(),
                        },
                    );
                    return Some(Bytes::from(out));
                }
            }
        }
        self.finished = true;
        push_line(
            &mut out,
            &ExportLine::ExportComplete {
                transaction_time: self.until,
                count: self.count,
            },
        );
        Some(Bytes::from(out))
    }

    /// Writes one batch of `kind` to `out`; returns the number of lines.
    async fn batch(&mut self, kind: Kind, out: &mut Vec<u8>) -> Result<usize, String> {
        let window = Window {
            since: self.since,
            until: self.until,
            after: self.after,
            limit: BATCH,
        };
        // One pooled connection per batch, returned before the batch is written out.
        let mut conn = self.pool.get().await.map_err(|e| format!("database pool: {e}"))?;
        let lines: Vec<(DateTime<Utc>, Uuid, ExportLine)> = match kind {
            Kind::Clinics => repo::clinics(&mut conn, &window)
                .await
                .map_err(|e| format!("database: {e}"))?
                .into_iter()
                .map(|row| {
                    let (id, at) = (row.clinic.id, row.changed_at);
                    let line = ExportLine::Clinic {
                        id,
                        updated_at: at,
                        deleted: (!row.public).then_some(true),
                        resource: row.public.then(|| ClinicExport::of(&row.clinic)),
                    };
                    (at, id, line)
                })
                .collect(),
            Kind::Packages => repo::packages(&mut conn, &window)
                .await
                .map_err(|e| format!("database: {e}"))?
                .into_iter()
                .map(|row| {
                    let (id, at) = (row.package.id, row.changed_at);
                    let line = ExportLine::TreatmentPackage {
                        id,
                        updated_at: at,
                        deleted: (!row.public).then_some(true),
                        resource: row.public.then(|| PackageExport::of(&row.package)),
                    };
                    (at, id, line)
                })
                .collect(),
        };
        drop(conn);
        for (_, _, line) in &lines {
            push_line(out, line);
        }
        self.count += lines.len() as u64;
        self.after = lines.last().map(|(at, id, _)| (*at, *id));
        Ok(lines.len())
    }
}

/// Export listings (NDJSON)
///
/// Streams the public catalogue as newline-delimited JSON, for directories and partners that mirror
/// it, in the manner of FHIR bulk data `$export` with `_since`:
///
/// - Without `since`: every public listing (published clinics; published packages of published clinics).
/// - With `since`: every listing whose `updated_at` is later than `since`: public ones as they are now,
///   the others as tombstones `{"type": "clinic", "id": …, "deleted": true, "updated_at": …}`
///   (deleted, unlisted, waiting for moderation or rejected: remove them from your copy).
/// - Lines are `clinic` lines first, then `treatment_package` lines, each ordered by `updated_at`, `id`.
/// - The last line is `{"type": "export_complete", "transaction_time": …, "count": N}`. Use
///   `transaction_time` as the next `since`: the export holds every change up to it and nothing later,
///   so successive exports miss nothing (a listing changed while an export runs comes in the next one).
///   No `export_complete` line (or an `export_error` line) means the export is incomplete: run it again.
/// - Resources have a compact export shape (the listing's own fields). Scores, red flags, evidence links
///   and conversions are derived, can change without a new `updated_at`, and are not included; read them
///   from `GET /v1/clinics/{id}`.
///
/// The response streams in batches of 500 rows, so any catalogue size exports in constant server memory.
/// `Cache-Control: no-store`.
#[utoipa::path(
    tag = "exports",
    params(ExportParams),
    responses(
        (status = 200, description = "One JSON object per line, the last one `export_complete`", body = ExportLine, content_type = "application/x-ndjson"),
        (status = 400, description = "Unknown type, unknown parameter or a `since` that is not RFC 3339", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/v1/exports")]
pub async fn export_listings(
    state: web::Data<AppState>,
    params: web::Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let kinds = parse_types(params.types.as_deref())?;
    let since = parse_since(params.since.as_deref())?;
    let until = {
        let mut conn = state.pool.get().await?;
        repo::watermark(&mut conn).await?
    };
    let export = Export {
        pool: state.pool.clone(),
        kinds,
        next_kind: 0,
        since,
        until,
        after: None,
        count: 0,
        finished: false,
    };
    let body = futures_util::stream::unfold(export, |mut export| async move {
        let chunk = export.next_chunk().await?;
        Some((Ok::<_, actix_web::Error>(chunk), export))
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}
