//! Evidence: the studies behind efficacy claims and one graded summary per condition (and per cell
//! type where the studies differ), with a consumer badge and the reasons for each grade. Certainty
//! is computed by `grading` when the seeds load, never typed in.

pub mod funding;
pub mod grading;
pub mod links;
pub mod model;
pub mod present;
pub mod repo;
mod routes;
mod studies;
mod vocabulary;

pub use links::{EvidenceLink, EvidenceLinks};
pub use repo::refresh_certainty;
pub use routes::configure;
