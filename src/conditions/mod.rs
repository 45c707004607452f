//! Conditions: the back problems people seek treatment for, with the cell types and methods the
//! source describes for each and how many listed clinics offer treatment.

pub mod repo;
mod routes;

pub use routes::configure;
