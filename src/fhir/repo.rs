//! Queries of the FHIR directory: public clinics and public packages, filtered, counted and paged
//! by id (keyset).

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::clinics::model::Clinic;
use crate::db::sql::{Bind, SqlBuilder};
use crate::fhir::search::Search;
use crate::states::ListingStatus;
use crate::treatment_packages::model::TreatmentPackage;

const PUBLIC_CLINICS: &str = " FROM clinics c WHERE c.status = {published} AND c.deleted_at IS NULL";
const PUBLIC_PACKAGES: &str = " FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id \
WHERE p.status = {published} AND p.deleted_at IS NULL AND c.status = {published} AND c.deleted_at IS NULL";
/// Searches leave out listings with a critical red flag, as the catalogue's default lists do: the
/// directory carries no flags, so a listing shown without its warning would amplify it. Reads by id
/// still answer (`PUBLIC_*`).
const LISTED_CLINICS: &str =
    " FROM clinics c WHERE c.status = {published} AND c.deleted_at IS NULL AND NOT c.has_critical_flag";
const LISTED_PACKAGES: &str = " FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id \
WHERE p.status = {published} AND p.deleted_at IS NULL AND c.status = {published} AND c.deleted_at IS NULL \
AND NOT p.has_critical_flag";

/// Binds the published state once and appends `template` with its placeholder wherever the
/// template says `{published}`.
fn push_public(query: &mut SqlBuilder, template: &str) {
    let published = query.bind(Bind::Text(ListingStatus::Published.as_str().to_owned()));
    query.push(&template.replace("{published}", &published));
}

/// A package with its clinic's name.
#[derive(QueryableByName)]
pub struct PackageRow {
    #[diesel(embed)]
    pub package: TreatmentPackage,
    #[diesel(sql_type = Text)]
    pub clinic_name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `SELECT <columns> <from>` plus the search's filters on `<alias>.updated_at` and the country.
fn filtered(columns: &str, from: &str, alias: &str, search: &Search) -> SqlBuilder {
    let mut query = SqlBuilder::new(&format!("SELECT {columns}"));
    push_public(&mut query, from);
    for bound in &search.last_updated {
        let at = query.bind(Bind::Timestamp(bound.at));
        query.push(&format!(" AND {alias}.updated_at {} {at}", bound.op));
    }
    if let Some(country) = &search.country {
        let country = query.bind(Bind::Text(country.clone()));
        query.push(&format!(" AND c.country_code = {country}"));
    }
    query
}

fn page(query: &mut SqlBuilder, alias: &str, after: Option<Uuid>, limit: i64) {
    if let Some(after) = after {
        let after = query.bind(Bind::Uuid(after));
        query.push(&format!(" AND {alias}.id > {after}"));
    }
    let limit = query.bind(Bind::BigInt(limit));
    query.push(&format!(" ORDER BY {alias}.id LIMIT {limit}"));
}

async fn count(conn: &mut AsyncPgConnection, query: SqlBuilder) -> diesel::QueryResult<i64> {
    let row: Count = query.into_query().get_result(conn).await?;
    Ok(row.n)
}

/// How many public clinics match.
pub async fn count_clinics(conn: &mut AsyncPgConnection, search: &Search) -> diesel::QueryResult<i64> {
    count(conn, filtered("count(*) AS n", LISTED_CLINICS, "c", search)).await
}

/// Up to `limit` matching public clinics with ids after `after`, by id.
pub async fn clinics(
    conn: &mut AsyncPgConnection,
    search: &Search,
    after: Option<Uuid>,
    limit: i64,
) -> diesel::QueryResult<Vec<Clinic>> {
    let mut query = filtered("c.*", LISTED_CLINICS, "c", search);
    page(&mut query, "c", after, limit);
    query.into_query().load(conn).await
}

/// How many public packages match.
pub async fn count_packages(conn: &mut AsyncPgConnection, search: &Search) -> diesel::QueryResult<i64> {
    count(conn, filtered("count(*) AS n", LISTED_PACKAGES, "p", search)).await
}

/// Up to `limit` matching public packages with ids after `after`, by id.
pub async fn packages(
    conn: &mut AsyncPgConnection,
    search: &Search,
    after: Option<Uuid>,
    limit: i64,
) -> diesel::QueryResult<Vec<PackageRow>> {
    let mut query = filtered("p.*, c.name AS clinic_name", LISTED_PACKAGES, "p", search);
    page(&mut query, "p", after, limit);
    query.into_query().load(conn).await
}

/// One public clinic.
pub async fn clinic(conn: &mut AsyncPgConnection, id: Uuid) -> diesel::QueryResult<Option<Clinic>> {
    let mut query = SqlBuilder::new("SELECT c.*");
    push_public(&mut query, PUBLIC_CLINICS);
    let id = query.bind(Bind::Uuid(id));
    query.push(&format!(" AND c.id = {id}"));
    let mut rows: Vec<Clinic> = query.into_query().load(conn).await?;
    Ok(rows.pop())
}

/// A practitioner with its clinic's name.
#[derive(QueryableByName)]
pub struct PractitionerRow {
    #[diesel(embed)]
    pub practitioner: crate::practitioners::model::Practitioner,
    #[diesel(sql_type = Text)]
    pub clinic_name: String,
}

/// Published practitioners of public clinics; searches leave out critically flagged clinics, as
/// for the clinics themselves.
const PUBLIC_PRACTITIONERS: &str = " FROM practitioners pr JOIN clinics c ON c.id = pr.clinic_id \
WHERE pr.status = {published} AND pr.deleted_at IS NULL AND c.status = {published} AND c.deleted_at IS NULL";
const LISTED_PRACTITIONERS: &str = " FROM practitioners pr JOIN clinics c ON c.id = pr.clinic_id \
WHERE pr.status = {published} AND pr.deleted_at IS NULL AND c.status = {published} AND c.deleted_at IS NULL \
AND NOT c.has_critical_flag";

/// How many public practitioners match.
pub async fn count_practitioners(conn: &mut AsyncPgConnection, search: &Search) -> diesel::QueryResult<i64> {
    count(
        conn,
        filtered("count(*) AS n", LISTED_PRACTITIONERS, "pr", search),
    )
    .await
}

/// Up to `limit` matching public practitioners with ids after `after`, by id.
pub async fn practitioners(
    conn: &mut AsyncPgConnection,
    search: &Search,
    after: Option<Uuid>,
    limit: i64,
) -> diesel::QueryResult<Vec<PractitionerRow>> {
    let mut query = filtered("pr.*, c.name AS clinic_name", LISTED_PRACTITIONERS, "pr", search);
    page(&mut query, "pr", after, limit);
    query.into_query().load(conn).await
}

/// One public practitioner with its clinic's name.
pub async fn practitioner(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> diesel::QueryResult<Option<PractitionerRow>> {
    let mut query = SqlBuilder::new("SELECT pr.*, c.name AS clinic_name");
    push_public(&mut query, PUBLIC_PRACTITIONERS);
    let id = query.bind(Bind::Uuid(id));
    query.push(&format!(" AND pr.id = {id}"));
    let mut rows: Vec<PractitionerRow> = query.into_query().load(conn).await?;
    Ok(rows.pop())
}

/// One public package with its clinic's name.
pub async fn package(conn: &mut AsyncPgConnection, id: Uuid) -> diesel::QueryResult<Option<PackageRow>> {
    let mut query = SqlBuilder::new("SELECT p.*, c.name AS clinic_name");
    push_public(&mut query, PUBLIC_PACKAGES);
    let id = query.bind(Bind::Uuid(id));
    query.push(&format!(" AND p.id = {id}"));
    let mut rows: Vec<PackageRow> = query.into_query().load(conn).await?;
    Ok(rows.pop())
}
