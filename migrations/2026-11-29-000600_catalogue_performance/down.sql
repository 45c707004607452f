DROP INDEX treatment_packages_country_price_idx;
DROP INDEX clinics_country_score_idx;
DROP INDEX clinics_country_price_idx;
DROP INDEX clinics_price_idx;
DROP TRIGGER clinics_push_country ON clinics;
DROP FUNCTION clinics_push_country();
DROP TRIGGER treatment_packages_copy_country ON treatment_packages;
DROP FUNCTION treatment_packages_copy_country();
ALTER TABLE treatment_packages DROP COLUMN price_max_usd, DROP COLUMN country_code;
