//! Cell types (in clinical use or research only) and the methods used to administer them.

pub mod repo;
mod routes;

pub use routes::configure;
