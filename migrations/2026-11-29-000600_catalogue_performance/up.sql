-- Performance (issue 8, README "Performance"): indexes for the documented list orders and filters
-- of published listings, each package's clinic country (so "packages in country X by price" is one
-- index walk instead of a join over every package) and its maximum price in USD (so quote matching
-- can rank candidates in SQL).

ALTER TABLE treatment_packages
    ADD COLUMN country_code char(2),
    ADD COLUMN price_max_usd numeric(14,2);

UPDATE treatment_packages p SET country_code = c.country_code FROM clinics c WHERE c.id = p.clinic_id;
UPDATE treatment_packages p SET price_max_usd = round(p.price_max / r.units_per_usd, 2)
FROM exchange_rates r WHERE r.currency = p.currency AND p.price_max IS NOT NULL;

ALTER TABLE treatment_packages ALTER COLUMN country_code SET NOT NULL;

-- The package's country is its clinic's, whoever writes either row.
CREATE FUNCTION treatment_packages_copy_country() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT country_code INTO NEW.country_code FROM clinics WHERE id = NEW.clinic_id;
    RETURN NEW;
END $$;

CREATE TRIGGER treatment_packages_copy_country BEFORE INSERT OR UPDATE OF clinic_id ON treatment_packages
    FOR EACH ROW EXECUTE FUNCTION treatment_packages_copy_country();

CREATE FUNCTION clinics_push_country() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE treatment_packages SET country_code = NEW.country_code
    WHERE clinic_id = NEW.id AND country_code IS DISTINCT FROM NEW.country_code;
    RETURN NULL;
END $$;

CREATE TRIGGER clinics_push_country AFTER UPDATE OF country_code ON clinics
    FOR EACH ROW WHEN (OLD.country_code IS DISTINCT FROM NEW.country_code)
    EXECUTE FUNCTION clinics_push_country();

-- Clinic lists: each allow-listed order, alone and after the country filter. The price expression
-- must match clinics::routes::ClinicOrder::sort_key exactly for the planner to use it.
CREATE INDEX clinics_price_idx ON clinics ((COALESCE(price_from_usd, 999999999999.99)), id)
    WHERE status = 'published';
CREATE INDEX clinics_country_price_idx ON clinics (country_code, (COALESCE(price_from_usd, 999999999999.99)), id)
    WHERE status = 'published';
CREATE INDEX clinics_country_score_idx ON clinics (country_code, score, id) WHERE status = 'published';
CREATE INDEX clinics_patients_idx ON clinics ((COALESCE(patients_per_year, -1)), id) WHERE status = 'published';
-- The other documented filters: city, children served, accreditation body, cell type.
CREATE INDEX clinics_city_idx ON clinics (lower(city)) WHERE status = 'published';
CREATE INDEX clinics_serves_children_idx ON clinics (serves_children) WHERE status = 'published';
CREATE INDEX clinics_accreditations_idx ON clinics USING gin (accreditation_bodies);
CREATE INDEX clinics_cell_types_idx ON clinics USING gin (cell_type_slugs);

-- Package lists by country or cell type in price order.
CREATE INDEX treatment_packages_country_price_idx ON treatment_packages (country_code, price_min_usd, id)
    WHERE status = 'published';
CREATE INDEX treatment_packages_cell_type_price_idx ON treatment_packages (cell_type, price_min_usd, id)
    WHERE status = 'published';
