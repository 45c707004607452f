//! Countries: how stem cell therapy for back pain is regulated there and what it indicatively costs.

pub mod regulatory;
pub mod repo;
mod routes;

pub use repo::CountryRow;
pub use routes::configure;
