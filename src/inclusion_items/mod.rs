//! The inclusion vocabulary: the codes packages and offers use to say what a price includes or
//! excludes (consultation, diagnostics, the procedure, …), published so a client can learn them
//! from the API instead of from a 422.

mod repo;
mod routes;

pub use routes::configure;
