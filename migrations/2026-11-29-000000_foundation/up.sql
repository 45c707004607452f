-- Foundation: key/value facts about this database (e.g. when seeds were first loaded).
CREATE TABLE app_meta (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
