//! One integration test binary: every test drives the real App over HTTP against real Postgres.

mod catalogue;
mod cli;
mod clinics;
mod errors;
mod health;
mod helpers;
mod openapi;
mod packages;
mod quotes;
mod webhooks;
