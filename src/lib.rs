//! StemCare: the JSON REST API behind apps that help people with chronic back pain
//! compare stem cell therapy abroad — clinics, transparent prices, quotes and honest evidence.
//!
//! The crate is organised by resource (see `docs/CONVENTIONS.md` for the conventions).

pub mod admin;
pub mod audit;
pub mod auth;
pub mod cell_types;
pub mod clinic_detail;
pub mod clinics;
pub mod clock;
pub mod compression;
pub mod conditions;
pub mod config;
pub mod cost_estimates;
pub mod countries;
pub mod crypto;
pub mod db;
pub mod disclaimer;
pub mod error;
pub mod evidence;
pub mod exchange_rates;
pub mod exports;
pub mod extract;
pub mod fhir;
pub mod filters;
pub mod follow_ups;
pub mod handover;
pub mod health;
pub mod http_cache;
pub mod idempotency;
pub mod ids;
pub mod inclusion_items;
pub mod json_time;

pub mod listings;
pub mod metrics;
pub mod middleware;
pub mod money;
pub mod openapi;
pub mod outcome_registry;
pub mod pagination;
pub mod partner_listings;
pub mod partners;
pub mod periodic;
pub mod practitioners;
pub mod quotes;
pub mod rate_limit;
pub mod red_flag_engine;
pub mod red_flags;
pub mod reference;
pub mod request_context;
pub mod reviews;
pub mod seeds;
pub mod sparse_fields;
pub mod startup;
pub mod state;
pub mod states;
pub mod telemetry;
pub mod text;
pub mod treatment_packages;
pub mod treatments;
pub mod trial_registry;
pub mod trials;
pub mod verifications;
pub mod webhooks;
