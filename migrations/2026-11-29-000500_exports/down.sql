DROP TRIGGER treatment_packages_touch_on_visibility_change ON treatment_packages;
DROP TRIGGER clinics_touch_on_visibility_change ON clinics;
DROP FUNCTION touch_on_visibility_change();
DROP INDEX clinics_updated_idx;
