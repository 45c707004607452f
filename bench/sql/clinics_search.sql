-- Twin of GET /v1/clinics?q=<word> (default order -score). Variables: -D q=<word>.
\set limit 21
SELECT c.* FROM clinics c WHERE c.status = 'published' AND c.search @@ websearch_to_tsquery('english', :q) ORDER BY c.score DESC, c.id DESC LIMIT :limit;
