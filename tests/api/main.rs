//! One integration test binary: every test drives the real App over HTTP against real Postgres.

mod cli;
mod errors;
mod health;
mod helpers;
mod openapi;
