//! StemCare: the JSON REST API behind apps that help people with chronic back pain
//! compare stem cell therapy abroad — clinics, transparent prices, quotes and honest evidence.
//!
//! The crate is organised by resource (see `GUIDE.md` at the repository root for the conventions).

pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod openapi;
pub mod startup;
pub mod state;
pub mod telemetry;
