//! Keyset pagination with opaque, signed page tokens (GUIDE §4).
//!
//! A token holds the sort key and id of the last item served plus a fingerprint of the filters
//! and order it was issued for, signed with HMAC-SHA256. A token used with other filters, or
//! altered in any way, is rejected with a 400 `invalid-page-token` problem. The signing secret is
//! created once per database (table `app_meta`), so every instance sharing the database accepts
//! every other's tokens and tokens survive restarts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::schema::app_meta;
use crate::error::{ApiError, ProblemKind};

pub const DEFAULT_PAGE_SIZE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;
/// The longest page token accepted (issued tokens are far shorter: a sort key, an id, a MAC).
pub const MAX_PAGE_TOKEN: usize = 4096;

/// Validates `page_size` (1–100, default 20).
pub fn page_size(raw: Option<i64>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid_query(
            "page_size",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        )),
    }
}

/// Where the previous page ended: the last item's sort key (as JSON) and id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub key: serde_json::Value,
    pub id: Uuid,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    /// Fingerprint of the filters and order.
    s: String,
    k: serde_json::Value,
    i: Uuid,
}

/// Issues and verifies page tokens with the database's signing secret.
#[derive(Clone)]
pub struct PageTokens {
    secret: Vec<u8>,
}

const SECRET_KEY: &str = "page_token_secret";

impl PageTokens {
    pub fn new(secret: Vec<u8>) -> Self {
        Self { secret }
    }

    /// Reads the signing secret, creating it on first use (concurrent first uses agree).
    pub async fn load_or_create(conn: &mut AsyncPgConnection) -> Result<Self, String> {
        let fresh: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
        diesel::insert_into(app_meta::table)
            .values((app_meta::key.eq(SECRET_KEY), app_meta::value.eq(&fresh)))
            .on_conflict_do_nothing()
            .execute(conn)
            .await
            .map_err(|e| format!("could not store the page token secret: {e}"))?;
        let secret: String = app_meta::table
            .filter(app_meta::key.eq(SECRET_KEY))
            .select(app_meta::value)
            .first(conn)
            .await
            .map_err(|e| format!("could not read the page token secret: {e}"))?;
        Ok(Self::new(secret.into_bytes()))
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any size"));
        mac.update(payload);
        mac
    }

    /// A token continuing after `cursor` under `scope` (the canonical filters and order).
    pub fn issue(&self, scope: &str, cursor: &Cursor) -> String {
        let payload = Payload {
            s: fingerprint(scope),
            k: cursor.key.clone(),
            i: cursor.id,
        };
        let json = serde_json::to_vec(&payload).unwrap_or_default();
        let signature = self.mac(&json).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// The cursor inside `token`, if it is authentic and was issued for `scope`.
    pub fn verify(&self, scope: &str, token: &str) -> Result<Cursor, ApiError> {
        let invalid = |detail: &str| {
            ApiError::new(ProblemKind::InvalidPageToken, detail.to_owned())
                .with_field("/query/page_token", detail.to_owned())
        };
        if token.len() > MAX_PAGE_TOKEN {
            return Err(invalid("is not a page token"));
        }
        let (body, signature) = token
            .split_once('.')
            .ok_or_else(|| invalid("is not a page token"))?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| invalid("is not a page token"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| invalid("is not a page token"))?;
        self.mac(&json)
            .verify_slice(&signature)
            .map_err(|_| invalid("was altered or not issued by this API"))?;
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| invalid("is not a page token"))?;
        if payload.s != fingerprint(scope) {
            return Err(invalid(
                "was issued for other filters or another order; start again without page_token",
            ));
        }
        Ok(Cursor {
            key: payload.k,
            id: payload.i,
        })
    }
}

fn fingerprint(scope: &str) -> String {
    Sha256::digest(scope.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items of this page, in the requested order.
    pub items: Vec<T>,
    /// Pass as `page_token` to get the next page; absent on the last page.
    pub next_page_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_resist_tampering() {
        let tokens = PageTokens::new(b"secret".to_vec());
        let cursor = Cursor {
            key: serde_json::json!("Liv Hospital"),
            id: Uuid::nil(),
        };
        let token = tokens.issue("country=TR;order=name", &cursor);
        assert_eq!(
            tokens.verify("country=TR;order=name", &token).expect("valid"),
            cursor
        );
        assert!(
            tokens.verify("country=MX;order=name", &token).is_err(),
            "bound to its filters"
        );
        let mut tampered = token.clone().into_bytes();
        tampered[3] ^= 1;
        assert!(tokens
            .verify("country=TR;order=name", &String::from_utf8_lossy(&tampered))
            .is_err());
        assert!(PageTokens::new(b"other".to_vec())
            .verify("country=TR;order=name", &token)
            .is_err());
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(page_size(None).expect("default"), 20);
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(101)).is_err());
        assert_eq!(page_size(Some(100)).expect("max"), 100);
    }
}

/// `page_size` and `page_token` for small lists ordered by their unique slug or code.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
    /// Opaque token from the previous page's `next_page_token`.
    #[param(max_length = 4096, pattern = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    pub page_token: Option<String>,
}

/// Pages through `items` (already sorted by their unique `key`) after the token's position.
pub fn page_by_key<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    params: &ListParams,
    tokens: &PageTokens,
    scope: &str,
) -> Result<Page<T>, ApiError> {
    let size = page_size(params.page_size)? as usize;
    let after = match &params.page_token {
        Some(token) => tokens.verify(scope, token)?.key.as_str().map(str::to_owned),
        None => None,
    };
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|item| after.as_ref().is_none_or(|a| key(item).as_str() > a.as_str()))
        .collect();
    let has_more = rest.len() > size;
    rest.truncate(size);
    let next_page_token = match rest.last() {
        Some(last) if has_more => Some(tokens.issue(
            scope,
            &Cursor {
                key: serde_json::Value::String(key(last)),
                id: Uuid::nil(),
            },
        )),
        _ => None,
    };
    Ok(Page {
        items: rest,
        next_page_token,
    })
}

/// The SQL type of a sort key, so a cursor value is bound with the right type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Text,
    Numeric,
    Int,
    Timestamp,
}

/// One allow-listed ordering of a SQL list: a non-null expression, then the id as tie-breaker.
#[derive(Debug, Clone, Copy)]
pub struct SortKey {
    pub expr: &'static str,
    pub key_type: KeyType,
    pub descending: bool,
}

impl SortKey {
    fn bind_key(&self, key: &serde_json::Value) -> Option<crate::db::sql::Bind> {
        use crate::db::sql::Bind;
        match self.key_type {
            KeyType::Text => key.as_str().map(|s| Bind::Text(s.to_owned())),
            KeyType::Numeric => key.as_str().and_then(|s| s.parse().ok()).map(Bind::Numeric),
            KeyType::Int => key.as_i64().and_then(|n| i32::try_from(n).ok()).map(Bind::Int),
            KeyType::Timestamp => key
                .as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| Bind::Timestamp(t.with_timezone(&chrono::Utc))),
        }
    }

    /// Appends the keyset condition (rows strictly after `after`), the ORDER BY and the LIMIT.
    pub fn finish(
        &self,
        query: &mut crate::db::sql::SqlBuilder,
        id_expr: &str,
        after: Option<&Cursor>,
        limit: i64,
    ) -> Result<(), ApiError> {
        let cast = match self.key_type {
            KeyType::Text => "text",
            KeyType::Numeric => "numeric",
            KeyType::Int => "int4",
            KeyType::Timestamp => "timestamptz",
        };
        if let Some(cursor) = after {
            let key = self.bind_key(&cursor.key).ok_or_else(|| {
                ApiError::new(ProblemKind::InvalidPageToken, "was issued for another order")
                    .with_field("/query/page_token", "was issued for another order")
            })?;
            let key = query.bind(key);
            let id = query.bind(crate::db::sql::Bind::Uuid(cursor.id));
            let op = if self.descending { "<" } else { ">" };
            query.push(&format!(
                " AND ({}, {id_expr}) {op} ({key}::{cast}, {id}::uuid)",
                self.expr
            ));
        }
        let direction = if self.descending { "DESC" } else { "ASC" };
        let limit = query.bind(crate::db::sql::Bind::BigInt(limit));
        query.push(&format!(
            " ORDER BY {} {direction}, {id_expr} {direction} LIMIT {limit}",
            self.expr
        ));
        Ok(())
    }
}

/// Splits a fetched `size + 1` rows into a page and the cursor for the next one.
pub fn split_page<T>(
    mut rows: Vec<T>,
    size: i64,
    cursor_of: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<Cursor>) {
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    let has_more = rows.len() > size;
    rows.truncate(size);
    let next = if has_more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    (rows, next)
}
