//! Partner organisations, which own clinics and hold partner API keys.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::{clinics, partners};

/// Creates a partner (or finds it by name) and hands it the clinics with these slugs.
/// The most clinics one request may hand to a partner.
pub const MAX_CLINIC_SLUGS: usize = 100;

pub async fn create_with_clinics(
    conn: &mut AsyncPgConnection,
    name: &str,
    clinic_slugs: &[String],
) -> Result<Uuid, String> {
    if !crate::text::is_text(name, 200) {
        return Err("the partner name must be 1 to 200 characters, without control characters".into());
    }
    if clinic_slugs.len() > MAX_CLINIC_SLUGS {
        return Err(format!("at most {MAX_CLINIC_SLUGS} clinic slugs"));
    }
    let name = name.trim();
    diesel::insert_into(partners::table)
        .values(partners::name.eq(name))
        .on_conflict(partners::name)
        .do_nothing()
        .execute(conn)
        .await
        .map_err(|e| format!("could not create the partner: {e}"))?;
    let id: Uuid = partners::table
        .filter(partners::name.eq(name))
        .select(partners::id)
        .first(conn)
        .await
        .map_err(|e| format!("could not read the partner: {e}"))?;
    for slug in clinic_slugs {
        let updated = diesel::update(clinics::table.filter(clinics::slug.eq(slug)))
            .set(clinics::partner_id.eq(id))
            .execute(conn)
            .await
            .map_err(|e| format!("could not assign {slug}: {e}"))?;
        if updated == 0 {
            return Err(format!("no clinic has slug {slug}"));
        }
    }
    Ok(id)
}

/// Finds a partner by id or name.
pub async fn find(conn: &mut AsyncPgConnection, id_or_name: &str) -> Result<Option<Uuid>, String> {
    let query = partners::table.select(partners::id).into_boxed();
    let query = match id_or_name.parse::<Uuid>() {
        Ok(id) => query.filter(partners::id.eq(id)),
        Err(_) => query.filter(partners::name.eq(id_or_name)),
    };
    query
        .first(conn)
        .await
        .optional()
        .map_err(|e| format!("could not read partners: {e}"))
}
