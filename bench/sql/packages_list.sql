-- Twin of GET /v1/treatment-packages?country=..&currency=EUR (default order price): the list
-- statement of treatment_packages::routes (currency only changes the presentation, not the SQL).
-- Variables: -D country=TR.
\set limit 21
SELECT p.* FROM treatment_packages p JOIN clinics c ON c.id = p.clinic_id WHERE p.status = 'published' AND c.status = 'published' AND c.country_code = :country::text ORDER BY p.price_min_usd ASC, p.id ASC LIMIT :limit;
