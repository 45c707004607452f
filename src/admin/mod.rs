//! Staff administration with admin keys: the moderation queue, exchange rates, partners and keys,
//! and the audit log. Every admin write is itself audited.

mod routes;

pub use routes::configure;
