-- SYNTHETIC benchmark data set for bench/run. Never load it into a real database and never mix it
-- with seeds/: every row is made up (names start with "Synthetic clinic", slugs with "synthetic-").
--
-- psql variables (set by bench/run with -v): clinics (default 100000), packages_per_clinic
-- (default 10, i.e. 1,000,000 packages). Deterministic: setseed() fixes the random stream.
--
-- Skew: countries MX 40 %, TR 25 %, TH 15 %, CO 12 %, US 8 %; conditions per package 1 to 3 drawn
-- with sciatica 30 %, herniated-discs 20 %, degenerative-disc-disease 15 %, spinal-stenosis 12 %,
-- facet-joint-arthritis 8 %, sacroiliac-joint-dysfunction 7 %, osteoarthritis-of-the-spine 5 %,
-- spinal-cord-injury 3 %; prices long-tailed (cubed uniform) around a per-country base.
-- The derived columns the list queries read (clinics.price_from_usd, condition_slugs,
-- cell_type_slugs, score; treatment_packages.price_min_usd) are computed here in SQL; `score` is a
-- synthetic number, not the output of catalogue scoring.

\set ON_ERROR_STOP on
\if :{?clinics} \else \set clinics 100000 \endif
\if :{?packages_per_clinic} \else \set packages_per_clinic 10 \endif

SELECT count(*) = 0 AS fresh FROM clinics WHERE slug LIKE 'synthetic-clinic-%' \gset
\if :fresh
\else
  \echo 'synthetic data already loaded; nothing to do'
  \quit
\endif

SET synthetic.clinics = :'clinics';
SET synthetic.packages_per_clinic = :'packages_per_clinic';
\ir synthetic_data.sql

VACUUM (ANALYZE) clinics;
VACUUM (ANALYZE) treatment_packages;

SELECT count(*) AS synthetic_clinics FROM clinics WHERE slug LIKE 'synthetic-clinic-%';
SELECT count(*) AS synthetic_packages FROM treatment_packages WHERE slug LIKE 'synthetic-package-%';
