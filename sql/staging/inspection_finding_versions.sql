-- Every upload of a finding (one row per finding and file), so its rectify/re-inspect history survives.
create table if not exists staging.inspection_finding_versions (
    finding_id          text      not null,
    file_sha256         text      not null,
    file_name           text      not null,
    row_number          integer   not null,
    notice_id           text,
    found_at            timestamp not null,
    supervision_group   text,
    district_code       text      not null,
    town_code           text,
    community_code      text,
    site_type_code      text      not null,
    site_name           text,
    category_code       text      not null,
    description         text,
    department_code     text      not null,
    due_at              timestamp,
    has_feedback        boolean   not null,
    rectified_at        timestamp,
    reinspected_at      timestamp,
    reinspection_passed boolean,
    score               double precision,
    pull_id             text      not null
);

-- One row per key. PostgreSQL holds the key in a unique index (the upserts' conflict target). DuckDB keeps no
-- key index on the tables that grow with history; its loads keep keys unique (etl.warehouse.upsert says why).
-- @only postgresql
create unique index if not exists staging_inspection_finding_versions_key on staging.inspection_finding_versions (finding_id, file_sha256);
