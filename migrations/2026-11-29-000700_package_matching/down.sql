DROP TRIGGER package_matching_after_clinics ON clinics;
DROP FUNCTION package_matching_after_clinics();
DROP TRIGGER package_matching_after_update ON treatment_packages;
DROP TRIGGER package_matching_after_insert ON treatment_packages;
DROP FUNCTION package_matching_after_packages();
DROP TABLE package_matching;
