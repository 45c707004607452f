//! Incremental sync out: `GET /v1/exports` streams the public catalogue (or what changed in it
//! since a point in time) as NDJSON, in the manner of FHIR bulk `$export` with `_since`.

mod repo;
mod routes;
mod shape;

pub use routes::configure;
pub use shape::{ClinicExport, ExportLine, PackageExport};
