-- One row per status change of a ticket: (ticket_id, version_at) is the source's (id, updated time).
create table if not exists staging.hotline_ticket_versions (
    ticket_id       text      not null,
    version_at      timestamp not null,
    channel         text      not null,
    status          text      not null,
    received_at     timestamp not null,
    category_code   text      not null,
    district_code   text,
    town_code       text,
    community_code  text,
    department_code text,
    deadline_at     timestamp,
    closed_at       timestamp,
    satisfaction    text,
    caller_hash     text,
    description     text,
    address         text,
    pull_id         text      not null
);

-- One row per key. PostgreSQL holds the key in a unique index (the upserts' conflict target). DuckDB keeps no
-- key index on the tables that grow with history; its loads keep keys unique (etl.warehouse.upsert says why).
-- @only postgresql
create unique index if not exists staging_hotline_ticket_versions_key on staging.hotline_ticket_versions (ticket_id, version_at);
