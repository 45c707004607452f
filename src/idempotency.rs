//! `Idempotency-Key` for POSTs that create (GUIDE §4): the first response to a key is stored
//! (encrypted, 24 hours); the same key with the same body replays it byte for byte, the same key
//! with another body is a 422. The record is written in the same transaction as the resource, so
//! concurrent retries create exactly one.

use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::crypto::DataKey;
use crate::db::schema::idempotency_keys;
use crate::error::{ApiError, ProblemKind};

/// How long a stored response is replayed.
pub const RETENTION_HOURS: i64 = 24;

fn retention_cutoff() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::hours(RETENTION_HOURS)
}

/// The `Idempotency-Key` header, when sent: 1–255 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(value) = req.headers().get("idempotency-key") else {
            return ready(Ok(Self(None)));
        };
        let valid = value
            .to_str()
            .ok()
            .filter(|v| (1..=255).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
            .map(str::to_owned);
        ready(valid.map(|v| Self(Some(v))).ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters").with_field(
                "/headers/idempotency-key",
                "must be 1 to 255 visible ASCII characters",
            )
        }))
    }
}

/// A response as stored for replay.
pub struct StoredResponse {
    pub status: u16,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

impl StoredResponse {
    /// A 201 with `body` as JSON, its `Location` and a strong `ETag` over the body's bytes.
    pub fn created(location: String, body: &impl serde::Serialize) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(body).map_err(ApiError::internal)?;
        Ok(Self {
            status: 201,
            location: Some(location),
            etag: Some(crate::http_cache::etag_of(&body)),
            body,
        })
    }

    /// The HTTP response (`no-store`); a replay carries `Idempotent-Replayed: true`.
    pub fn into_http(self, replayed: bool) -> HttpResponse {
        let status = actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = HttpResponse::build(status);
        response
            .content_type("application/json")
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(location) = &self.location {
            response.insert_header((header::LOCATION, location.as_str()));
        }
        if let Some(etag) = &self.etag {
            response.insert_header((header::ETAG, etag.as_str()));
        }
        if replayed {
            response.insert_header(("idempotent-replayed", "true"));
        }
        response.body(self.body)
    }
}

/// The fingerprint of a JSON body: SHA-256 of its canonical form (keys sorted, no whitespace).
fn request_hash(body: &serde_json::Value) -> Vec<u8> {
    Sha256::digest(body.to_string().as_bytes()).to_vec()
}

/// The stored response for `(scope, key)`, if any; 422 when the key was used for another body.
async fn lookup(
    conn: &mut AsyncPgConnection,
    data_key: &DataKey,
    scope: &str,
    key: &str,
    hash: &[u8],
) -> Result<Option<StoredResponse>, ApiError> {
    type Row = (Vec<u8>, i32, Option<String>, Option<String>, Vec<u8>);
    let row: Option<Row> = idempotency_keys::table
        .filter(idempotency_keys::scope.eq(scope))
        .filter(idempotency_keys::key.eq(key))
        .filter(idempotency_keys::created_at.gt(retention_cutoff()))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::location,
            idempotency_keys::etag,
            idempotency_keys::body_ciphertext,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((stored_hash, status, location, etag, body)) = row else {
        return Ok(None);
    };
    if stored_hash != hash {
        return Err(ApiError::new(
            ProblemKind::IdempotencyConflict,
            "this Idempotency-Key was already used with a different request body",
        ));
    }
    let body = data_key.decrypt(&body).map_err(ApiError::internal)?;
    Ok(Some(StoredResponse {
        status: u16::try_from(status).unwrap_or(500),
        location,
        etag,
        body,
    }))
}

/// Stores a response; fails with a unique violation when a concurrent request stored one first.
async fn store(
    conn: &mut AsyncPgConnection,
    data_key: &DataKey,
    scope: &str,
    key: &str,
    hash: &[u8],
    response: &StoredResponse,
    quote_id: Option<Uuid>,
) -> QueryResult<()> {
    // Expired records may be replaced.
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::scope.eq(scope))
            .filter(idempotency_keys::key.eq(key))
            .filter(idempotency_keys::created_at.le(retention_cutoff())),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::status_code.eq(i32::from(response.status)),
            idempotency_keys::location.eq(&response.location),
            idempotency_keys::etag.eq(&response.etag),
            idempotency_keys::body_ciphertext.eq(data_key.encrypt(&response.body)),
            idempotency_keys::quote_id.eq(quote_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// One creating request's idempotency: its scope (the operation and the caller), its key if it
/// sent one, and its body's fingerprint.
pub struct Idempotent<'a> {
    data_key: &'a DataKey,
    scope: String,
    key: Option<String>,
    hash: Vec<u8>,
}

impl<'a> Idempotent<'a> {
    /// `scope` names the operation and the caller (keys are never shared between callers);
    /// `body` is the request as JSON.
    pub fn new(data_key: &'a DataKey, scope: String, key: IdempotencyKey, body: &serde_json::Value) -> Self {
        Self {
            data_key,
            scope,
            key: key.0,
            hash: request_hash(body),
        }
    }

    /// The response to an earlier request with this key and body, replayed; a 422 when the key
    /// was used with another body.
    pub async fn replay(&self, conn: &mut AsyncPgConnection) -> Result<Option<HttpResponse>, ApiError> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        let stored = lookup(conn, self.data_key, &self.scope, key, &self.hash).await?;
        Ok(stored.map(|stored| stored.into_http(true)))
    }

    /// Stores `response` for the key, if one was sent. Called inside the resource's transaction,
    /// so the resource and its record commit together: a concurrent request that stored the key
    /// first makes this a 409 [`ProblemKind::Conflict`], which rolls the transaction back, and
    /// [`Self::respond`] then replays that request's response.
    pub async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        response: &StoredResponse,
        quote_id: Option<Uuid>,
    ) -> Result<(), ApiError> {
        let Some(key) = &self.key else {
            return Ok(());
        };
        store(
            conn,
            self.data_key,
            &self.scope,
            key,
            &self.hash,
            response,
            quote_id,
        )
        .await
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::new(
                    ProblemKind::Conflict,
                    "a request with this Idempotency-Key is being processed; retry shortly",
                )
            }
            other => other.into(),
        })
    }

    /// The answer to a request whose transaction ended with `outcome`: the new resource's
    /// response, or, when a concurrent retry with the same key committed first, that one replayed.
    pub async fn respond(
        &self,
        conn: &mut AsyncPgConnection,
        outcome: Result<StoredResponse, ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        match outcome {
            Ok(stored) => Ok(stored.into_http(false)),
            Err(error) if error.kind == ProblemKind::Conflict => match self.replay(conn).await? {
                Some(replayed) => Ok(replayed),
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }
}

/// The creating work [`Idempotent::create`] runs in its transaction: an async closure over the
/// connection whose future is `Send` (as `AsyncConnection::transaction` requires).
pub trait CreateOnce<'r>:
    AsyncFnOnce(&'r mut AsyncPgConnection) -> Result<StoredResponse, ApiError>
    + FnOnce(&'r mut AsyncPgConnection) -> <Self as CreateOnce<'r>>::Fut
{
    /// The closure's future.
    type Fut: std::future::Future<Output = Result<StoredResponse, ApiError>> + Send;
}

impl<'r, F, Fut> CreateOnce<'r> for F
where
    F: AsyncFnOnce(&'r mut AsyncPgConnection) -> Result<StoredResponse, ApiError>
        + FnOnce(&'r mut AsyncPgConnection) -> Fut,
    Fut: std::future::Future<Output = Result<StoredResponse, ApiError>> + Send,
{
    type Fut = Fut;
}

impl Idempotent<'_> {
    /// The whole sequence of a creating request: replay an earlier response to this key, or run
    /// `create` and record its response in one transaction, then respond (replaying a concurrent
    /// twin's response when it committed first). `quote_id` ties the record to a quote, so it is
    /// purged with it.
    pub async fn create<F>(
        &self,
        conn: &mut AsyncPgConnection,
        quote_id: Option<Uuid>,
        create: F,
    ) -> Result<HttpResponse, ApiError>
    where
        F: for<'r> CreateOnce<'r> + Send,
    {
        if let Some(replayed) = self.replay(conn).await? {
            return Ok(replayed);
        }
        let outcome = conn
            .transaction::<_, ApiError, _>(async move |conn| {
                let stored = create(conn).await?;
                self.record(conn, &stored, quote_id).await?;
                Ok(stored)
            })
            .await;
        self.respond(conn, outcome).await
    }
}

/// Deletes records past their retention.
pub async fn purge_expired(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.le(retention_cutoff())))
        .execute(conn)
        .await
}
