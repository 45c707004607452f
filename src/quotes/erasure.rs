//! Erasure steps that other resources register: `DELETE /v1/quotes/{id}` runs each inside its
//! transaction, after the quote's own personal data is gone. Passed in by `startup` as a value, so
//! `quotes` imports none of the resources above it (follow-ups, which read quotes).

use std::future::Future;
use std::pin::Pin;

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::crypto::DataKey;
use crate::error::ApiError;

/// One resource's erasure of a quote's data.
pub type ErasureStep = for<'c> fn(
    &'c mut AsyncPgConnection,
    &'c DataKey,
    Uuid,
) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 'c>>;

/// The registered steps, run in order.
#[derive(Clone, Default)]
pub struct ErasureSteps(pub Vec<ErasureStep>);
