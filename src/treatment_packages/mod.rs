//! Treatment packages: what a clinic offers for which conditions, at what (honestly sourced) price,
//! with what is included, excluded or unknown.

mod compare;
pub mod domain;
pub mod model;
pub mod present;
pub mod repo;
pub mod routes;

pub use routes::{configure, present_all, present_packages};
