-- Evidence: studies (with their citations) and one evidence summary per condition (and per cell type
-- where the studies differ by cell type). Certainty, its reasons and the study/participant counts of a
-- summary are computed by the seed loader (src/evidence/grading.rs), never typed in by hand.

CREATE TABLE studies (
    id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug                      text NOT NULL CONSTRAINT studies_slug_key UNIQUE
                              CONSTRAINT studies_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title                     text NOT NULL,
    publication               text,
    year                      integer CONSTRAINT studies_year CHECK (year BETWEEN 1900 AND 2100),
    url                       text,
    pmcid                     text CONSTRAINT studies_pmcid_format CHECK (pmcid ~ '^PMC[0-9]+$'),
    doi                       text CONSTRAINT studies_doi_format CHECK (doi ~ '^10\.'),
    design                    text NOT NULL CONSTRAINT studies_design CHECK (design IN (
                                  'randomised_controlled_trial', 'non_randomised_controlled', 'cohort',
                                  'case_control', 'registry', 'case_series', 'single_arm_trial',
                                  'systematic_review', 'narrative_review', 'news_report', 'expert_opinion',
                                  'unknown')),
    oxford_level              integer CONSTRAINT studies_oxford_level CHECK (oxford_level BETWEEN 1 AND 5),
    participants              integer CONSTRAINT studies_participants CHECK (participants >= 0),
    follow_up_months          integer CONSTRAINT studies_follow_up_months CHECK (follow_up_months >= 0),
    has_control_group         boolean,
    conditions                text[] NOT NULL DEFAULT '{}',
    population                text NOT NULL,
    -- {cell_type, cell_source, administration_method, description}
    intervention              jsonb NOT NULL,
    comparator                text,
    outcome_measures          text[] NOT NULL DEFAULT '{}',
    result_as_stated          text NOT NULL,
    adverse_events_as_stated  text,
    reported_via              text NOT NULL CONSTRAINT studies_reported_via CHECK (reported_via IN ('primary_source', 'article_paraphrase')),
    article_text              text,
    cited_source              text,
    possible_origin_note      text,
    funding_coi               text,
    source                    jsonb NOT NULL,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX studies_conditions_idx ON studies USING gin (conditions);

CREATE TABLE evidence_summaries (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug                text NOT NULL CONSTRAINT evidence_summaries_slug_key UNIQUE,
    condition           text NOT NULL CONSTRAINT evidence_summaries_condition_fkey REFERENCES conditions (slug),
    cell_type           text CONSTRAINT evidence_summaries_cell_type_fkey REFERENCES cell_types (slug),
    -- Slugs of `studies`; the loader checks that each exists.
    study_slugs         text[] NOT NULL DEFAULT '{}',
    plain_summary       text NOT NULL,
    unknowns            text[] NOT NULL DEFAULT '{}',
    benefit_range       text,
    known_harms         text,
    regulatory_context  text NOT NULL,
    last_reviewed_at    date NOT NULL,
    source              jsonb NOT NULL,
    -- Computed by the loader from the cited studies (src/evidence/grading.rs).
    certainty           text NOT NULL DEFAULT 'none' CONSTRAINT evidence_summaries_certainty CHECK (certainty IN ('high', 'moderate', 'low', 'very_low', 'none')),
    certainty_reasons   jsonb NOT NULL DEFAULT '[]',
    study_count         integer NOT NULL DEFAULT 0 CONSTRAINT evidence_summaries_study_count CHECK (study_count >= 0),
    participants_known  integer NOT NULL DEFAULT 0 CONSTRAINT evidence_summaries_participants_known CHECK (participants_known >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT evidence_summaries_condition_cell_type_key UNIQUE NULLS NOT DISTINCT (condition, cell_type)
);
