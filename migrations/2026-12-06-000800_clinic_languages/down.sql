DROP INDEX clinics_language_ranges_idx;
DROP FUNCTION language_ranges(text[]);
