//! What erasing a quote (`DELETE /v1/quotes/{id}`) does to its follow-ups: the answers and the
//! registry consent are deleted; registry rows given with consent lose their pseudonym, so they
//! stay only in a form nothing links to the patient (rows of patients who never consented were
//! never written).

use std::future::Future;
use std::pin::Pin;

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::crypto::DataKey;
use crate::error::ApiError;
use crate::follow_ups::{registry, repo};

/// Erases the follow-up data of `quote_id`; call it inside the erasure's transaction.
pub async fn erase(conn: &mut AsyncPgConnection, key: &DataKey, quote_id: Uuid) -> Result<(), ApiError> {
    let pseudonym = registry::pseudonym(key, quote_id);
    // Consent given: rows stay, unlinked. No consent: there are no rows under this pseudonym.
    crate::outcome_registry::repo::unlink(conn, &pseudonym).await?;
    repo::erase(conn, quote_id).await?;
    Ok(())
}

/// [`erase`] in the shape `quotes::erasure::ErasureStep` takes (registered by `startup`).
pub fn erasure_step<'c>(
    conn: &'c mut AsyncPgConnection,
    key: &'c DataKey,
    quote_id: Uuid,
) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 'c>> {
    Box::pin(erase(conn, key, quote_id))
}
