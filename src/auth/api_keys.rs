//! API keys: `sk_live_<10 characters>.<secret>`. The part before the dot is the visible prefix
//! (stored, unique, shown in listings); the whole key is stored only as a SHA-256 hash.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::{unauthorized, Principal};
use crate::crypto::{random_token, secret_hash};
use crate::db::schema::api_keys;
use crate::error::ApiError;

pub const KEY_PREFIX: &str = "sk_live_";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: Uuid,
    pub prefix: String,
    pub secret_hash: Vec<u8>,
    pub role: String,
    pub partner_id: Option<Uuid>,
    pub name: Option<String>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A new key; `secret` is the full key, shown to its owner once.
pub struct CreatedKey {
    pub id: Uuid,
    pub prefix: String,
    pub secret: String,
}

/// Creates a key. `role` is `admin`, `coordinator` or `partner` (which needs `partner_id`).
pub async fn create(
    conn: &mut AsyncPgConnection,
    role: &str,
    partner_id: Option<Uuid>,
    name: Option<&str>,
) -> Result<CreatedKey, String> {
    if !["admin", "coordinator", "partner"].contains(&role) {
        return Err(format!("unknown role {role}: use admin, coordinator or partner"));
    }
    if (role == "partner") != partner_id.is_some() {
        return Err("partner keys need --partner, and only partner keys may have one".into());
    }
    let id_part: String = {
        use rand::Rng;
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::thread_rng();
        (0..10)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect()
    };
    let prefix = format!("{KEY_PREFIX}{id_part}");
    let secret = format!("{prefix}.{}", random_token(""));
    let id: Uuid = diesel::insert_into(api_keys::table)
        .values((
            api_keys::prefix.eq(&prefix),
            api_keys::secret_hash.eq(secret_hash(&secret)),
            api_keys::role.eq(role),
            api_keys::partner_id.eq(partner_id),
            api_keys::name.eq(name),
        ))
        .returning(api_keys::id)
        .get_result(conn)
        .await
        .map_err(|e| format!("could not create the key: {e}"))?;
    Ok(CreatedKey { id, prefix, secret })
}

/// Revokes the key with this prefix or id; true when one was revoked.
pub async fn revoke(conn: &mut AsyncPgConnection, prefix_or_id: &str) -> Result<bool, String> {
    let target = api_keys::table.filter(api_keys::revoked_at.is_null());
    let updated = match prefix_or_id.parse::<Uuid>() {
        Ok(id) => {
            diesel::update(target.filter(api_keys::id.eq(id)))
                .set(api_keys::revoked_at.eq(diesel::dsl::now))
                .execute(conn)
                .await
        }
        Err(_) => {
            diesel::update(target.filter(api_keys::prefix.eq(prefix_or_id)))
                .set(api_keys::revoked_at.eq(diesel::dsl::now))
                .execute(conn)
                .await
        }
    }
    .map_err(|e| format!("could not revoke the key: {e}"))?;
    Ok(updated > 0)
}

/// Resolves a full key to its principal; any mismatch is the same 401.
pub async fn authenticate(conn: &mut AsyncPgConnection, key: &str) -> Result<Principal, ApiError> {
    let prefix = key.split('.').next().unwrap_or_default();
    let row: Option<ApiKey> = api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .select(ApiKey::as_select())
        .first(conn)
        .await
        .optional()?;
    let Some(row) = row else {
        return Err(unauthorized("invalid credentials"));
    };
    let presented = secret_hash(key);
    // Constant-time comparison: the hash of a guess must not leak through timing.
    let matches = presented.len() == row.secret_hash.len()
        && presented
            .iter()
            .zip(&row.secret_hash)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !matches || row.revoked_at.is_some() {
        return Err(unauthorized("invalid credentials"));
    }
    Ok(match (row.role.as_str(), row.partner_id) {
        ("admin", _) => Principal::Admin { key_id: row.id },
        ("coordinator", _) => Principal::Coordinator { key_id: row.id },
        ("partner", Some(partner_id)) => Principal::Partner {
            key_id: row.id,
            partner_id,
        },
        _ => return Err(unauthorized("invalid credentials")),
    })
}
