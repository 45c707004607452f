-- Incremental export (GET /v1/exports): listings are read in (updated_at, id) order, and a change
-- of visibility (status, soft deletion) must move updated_at so that `since` sees it, whichever
-- code path made the change (moderation, package deletion, replacement during an import).

CREATE INDEX clinics_updated_idx ON clinics (updated_at, id);

CREATE FUNCTION touch_on_visibility_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status OR NEW.deleted_at IS DISTINCT FROM OLD.deleted_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER clinics_touch_on_visibility_change
    BEFORE UPDATE ON clinics
    FOR EACH ROW EXECUTE FUNCTION touch_on_visibility_change();

CREATE TRIGGER treatment_packages_touch_on_visibility_change
    BEFORE UPDATE ON treatment_packages
    FOR EACH ROW EXECUTE FUNCTION touch_on_visibility_change();
