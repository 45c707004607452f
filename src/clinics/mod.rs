//! Clinics: who offers stem cell therapy for back pain, what is known about them (and what is
//! not), the claims they make, the red flags those claims raise, and a transparent score.

pub mod domain;
pub mod fields;
pub mod model;
mod present;
pub mod repo;
pub mod routes;
pub mod scoring;
mod sparse_row;

pub use present::{ClaimTopic, ClinicResponse};
pub use routes::configure;
pub use sparse_row::ColumnSets;
