-- Twin of the same list 50 pages deep (page 51, after rows 1..1000): the keyset condition that
-- pagination::SortKey::finish adds for a page_token. Variables: -D country=MX -D condition=sciatica
-- -D key=<price of row 1000> -D cid=<id of row 1000> (bench/run decodes them from the real token).
\set limit 21
SELECT c.* FROM clinics c WHERE c.status = 'published' AND c.country_code = :country::text AND c.condition_slugs @> ARRAY[:condition::text] AND (COALESCE(c.price_from_usd, 999999999999.99), c.id) > (:key::numeric, :cid::uuid) ORDER BY COALESCE(c.price_from_usd, 999999999999.99) ASC, c.id ASC LIMIT :limit;
