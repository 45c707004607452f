//! One integration test binary: every test drives the real App over HTTP against real Postgres.

mod auth_first;
mod bounds;
mod catalogue;
mod cli;
mod clinics;
mod compression;
mod disclosures;
mod errors;
mod evidence;
mod exports;
mod fhir;
mod hardening;
mod health;
mod helpers;
mod openapi;
mod packages;
mod partners;
mod query_plans;
mod quotes;
mod rates;
mod red_flag_corpus;
mod rule_recheck;
mod seed_honesty;
mod trust;
mod webhooks;
