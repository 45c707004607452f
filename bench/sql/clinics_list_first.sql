-- Twin of GET /v1/clinics?country=..&condition=..&order_by=price (first page): the SqlBuilder list
-- statement of clinics::routes::list_clinics (page size 20, so LIMIT 21). The explicit ::text on
-- :country mirrors diesel binding it as text, so pg_stat_statements gives both the same queryid.
-- Variables: -D country=MX -D condition=sciatica.
\set limit 21
SELECT c.* FROM clinics c WHERE c.status = 'published' AND c.country_code = :country::text AND c.condition_slugs @> ARRAY[:condition::text] ORDER BY COALESCE(c.price_from_usd, 999999999999.99) ASC, c.id ASC LIMIT :limit;
