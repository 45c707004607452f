//! Countries: how stem cell therapy for back pain is regulated there and what it indicatively costs.

pub mod regulatory;
mod routes;

pub use routes::{configure, CountryRow};
