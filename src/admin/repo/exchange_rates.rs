//! Exchange rates set by an admin.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::admin::domain::NewRate;
use crate::db::schema::exchange_rates;
use crate::exchange_rates::refresh::ADMIN_DERIVATION;

/// Inserts or replaces a currency's rate, marked as entered by an admin.
pub async fn upsert_rate(conn: &mut AsyncPgConnection, rate: &NewRate) -> QueryResult<()> {
    diesel::insert_into(exchange_rates::table)
        .values((
            exchange_rates::currency.eq(&rate.currency),
            exchange_rates::units_per_usd.eq(rate.units_per_usd),
            exchange_rates::as_of.eq(rate.as_of),
            exchange_rates::source.eq(&rate.source),
            exchange_rates::derivation.eq(ADMIN_DERIVATION),
        ))
        .on_conflict(exchange_rates::currency)
        .do_update()
        .set((
            exchange_rates::units_per_usd.eq(rate.units_per_usd),
            exchange_rates::as_of.eq(rate.as_of),
            exchange_rates::source.eq(&rate.source),
            exchange_rates::derivation.eq(ADMIN_DERIVATION),
            exchange_rates::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
