//! Every statement the admin endpoints run, one file per sub-resource.

pub mod api_keys;
pub mod audit_log;
pub mod evidence;
pub mod exchange_rates;
pub mod moderation;
pub mod partners;
