-- The SYNTHETIC rows themselves (see synthetic.sql for what they are and how they are skewed).
-- Plain SQL for one session, so both psql (bench/run, through synthetic.sql) and the query-plan
-- test (tests/api/query_plans.rs) load the same data. Sizes come from two settings:
--   SET synthetic.clinics = '100000'; SET synthetic.packages_per_clinic = '10';

SELECT setseed(0.42);

CREATE FUNCTION pg_temp.synthetic_condition(x float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN x < 0.30 THEN 'sciatica'
        WHEN x < 0.50 THEN 'herniated-discs'
        WHEN x < 0.65 THEN 'degenerative-disc-disease'
        WHEN x < 0.77 THEN 'spinal-stenosis'
        WHEN x < 0.85 THEN 'facet-joint-arthritis'
        WHEN x < 0.92 THEN 'sacroiliac-joint-dysfunction'
        WHEN x < 0.97 THEN 'osteoarthritis-of-the-spine'
        ELSE 'spinal-cord-injury'
    END
$$;

CREATE FUNCTION pg_temp.synthetic_country(x float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN x < 0.40 THEN 'MX' WHEN x < 0.65 THEN 'TR' WHEN x < 0.80 THEN 'TH'
                WHEN x < 0.92 THEN 'CO' ELSE 'US' END
$$;

-- One row per clinic, with the random draws fixed before anything else is derived.
CREATE TEMP TABLE syn_clinics AS
SELECT n,
       gen_random_uuid() AS id,
       pg_temp.synthetic_country(random()) AS country,
       (ARRAY['aurora', 'basalt', 'cedar', 'dune', 'ember', 'fjord', 'granite', 'harbor',
              'iris', 'juniper', 'kestrel', 'lagoon', 'meridian', 'nimbus', 'orchid', 'quartz'])
           [1 + (n % 16)] AS word,
       round((random() * 100)::numeric, 1) AS score,
       CASE WHEN random() < 0.3 THEN NULL ELSE (random() * 5000)::int END AS patients_per_year,
       random() AS r_city
FROM generate_series(1, current_setting('synthetic.clinics')::int) AS n;

CREATE TEMP TABLE syn_packages AS
SELECT c.n, c.id AS clinic_id, k,
       gen_random_uuid() AS id,
       ARRAY(SELECT DISTINCT pg_temp.synthetic_condition(random() + 0 * i)
             FROM generate_series(1, 1 + floor(random() * 3)::int + 0 * k) AS i) AS conditions,
       round((CASE c.country WHEN 'US' THEN 9000 WHEN 'TR' THEN 6000 WHEN 'MX' THEN 5000
                             WHEN 'TH' THEN 5500 ELSE 4500 END
              * (0.4 + 4 * power(random(), 3)))::numeric, -1) AS price,
       (ARRAY['bm-msc', 'ad-msc', 'uc-msc', NULL])[1 + floor(random() * 4)::int] AS cell_type
FROM syn_clinics c
CROSS JOIN generate_series(1, current_setting('synthetic.packages_per_clinic')::int) AS k;

INSERT INTO clinics (id, slug, name, country_code, city, specialties, patients_per_year, description,
                     source, status, score, price_from_usd, price_from_min, price_from_kind,
                     price_from_currency, price_from_provenance, condition_slugs, cell_type_slugs)
SELECT c.id,
       'synthetic-clinic-' || c.n,
       'Synthetic clinic ' || lpad(c.n::text, 6, '0') || ' ' || initcap(c.word),
       c.country,
       (CASE c.country
            WHEN 'MX' THEN ARRAY['Cancun', 'Tijuana', 'Guadalajara']
            WHEN 'TR' THEN ARRAY['Istanbul', 'Ankara', 'Antalya']
            WHEN 'TH' THEN ARRAY['Bangkok', 'Phuket', 'Chiang Mai']
            WHEN 'CO' THEN ARRAY['Medellin', 'Bogota', 'Cali']
            ELSE ARRAY['Miami', 'Dallas', 'Phoenix'] END)[1 + floor(c.r_city * 3)::int],
       ARRAY['orthopaedics', 'regenerative medicine'],
       c.patients_per_year,
       'Synthetic benchmark record, not a real clinic.',
       '{"title": "SYNTHETIC benchmark data (bench/sql/synthetic.sql)", "url": null, "section": null, "retrieved_at": "2026-11-29"}',
       'published',
       c.score,
       a.price_from_usd,
       -- The cheapest package's listed price, as `listings` keeps it: every synthetic package is
       -- priced `from` an amount in USD listed by the clinic, with no maximum.
       a.price_from_usd,
       CASE WHEN a.price_from_usd IS NOT NULL THEN 'from' END,
       CASE WHEN a.price_from_usd IS NOT NULL THEN 'USD' END,
       CASE WHEN a.price_from_usd IS NOT NULL THEN 'clinic_listed' END,
       a.condition_slugs,
       a.cell_type_slugs
FROM syn_clinics c
LEFT JOIN (
    SELECT clinic_id,
           min(price) AS price_from_usd,
           ARRAY(SELECT DISTINCT unnest(array_agg(cond)) ORDER BY 1) AS condition_slugs,
           coalesce(array_agg(DISTINCT cell_type) FILTER (WHERE cell_type IS NOT NULL), '{}') AS cell_type_slugs
    FROM syn_packages, unnest(conditions) AS cond
    GROUP BY clinic_id
) a ON a.clinic_id = c.id;

INSERT INTO treatment_packages (id, slug, clinic_id, title, conditions, cell_type, administration_method,
                                injections, price_min, price_max, price_kind, currency, price_basis,
                                price_provenance, price_as_of, price_source, source, status,
                                price_min_usd)
SELECT p.id,
       'synthetic-package-' || p.n || '-' || p.k,
       p.clinic_id,
       'Synthetic package ' || p.k || ' of synthetic clinic ' || p.n,
       p.conditions,
       p.cell_type,
       CASE WHEN p.cell_type IS NULL THEN NULL ELSE 'intradiscal-injection' END,
       1 + (p.k % 3),
       p.price, NULL, 'from', 'USD', 'package', 'clinic_listed', DATE '2026-11-01',
       '{"title": "SYNTHETIC benchmark data", "url": null, "section": null, "retrieved_at": "2026-11-29"}',
       '{"title": "SYNTHETIC benchmark data", "url": null, "section": null, "retrieved_at": "2026-11-29"}',
       'published',
       p.price
FROM syn_packages p;

