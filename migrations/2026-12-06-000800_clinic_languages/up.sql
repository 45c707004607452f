-- Language search on clinics: `language=es` finds clinics listing `es`, `es-MX` or `ES-mx`
-- (RFC 4647 basic filtering, case-insensitive). Each listed tag stands for all its prefixes, in
-- lower case, and a GIN index on that expression answers `@>`.
CREATE FUNCTION language_ranges(tags text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ARRAY(
    SELECT DISTINCT array_to_string(parts[1:n], '-')
    FROM unnest(tags) AS tag,
         LATERAL string_to_array(lower(tag), '-') AS parts,
         LATERAL generate_series(1, cardinality(parts)) AS n
);

CREATE INDEX clinics_language_ranges_idx ON clinics USING gin (language_ranges(languages));
