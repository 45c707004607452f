//! Indicative cost estimates: what treatment for a condition in a country may cost, next to the
//! US price, from the listed packages and the source's regional ranges. Never a quote.

mod domain;
mod dto;
mod evidence;
mod repo;
mod routes;

pub use routes::configure;
