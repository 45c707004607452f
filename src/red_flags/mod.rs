//! Red flags of unproven stem cell clinics: versioned rules with stable codes, the engine that
//! applies them, the stored detections, and the public endpoints (`/v1/red-flag-rules`,
//! `/v1/claim-checks`).

mod claim_checks;
pub mod disclosures;
/// The engine is a pure library below the resources (no database, no HTTP).
pub use crate::red_flag_engine as engine;
pub mod registry;
pub mod repo;
mod routes;
pub mod verified;

pub use routes::{configure, RedFlag};
