-- Payloads exactly as received, minus personal-data keys (removed before anything is written).
-- record_key identifies one version of one source record, so a re-pull adds nothing.
create table if not exists raw.hotline_tickets (
    record_key  text      not null,
    source      text      not null,
    pull_id     text      not null,
    received_at timestamp not null,
    payload     text      not null,
    version_at  timestamp  -- the version's update time at the source (UTC); lets DuckDB's key lookups skip old data
);

-- Added after the first warehouses were created.
alter table raw.hotline_tickets add column if not exists version_at timestamp;

-- One row per key. PostgreSQL holds the key in a unique index (the upserts' conflict target). DuckDB keeps no
-- key index on the tables that grow with history; its loads keep keys unique (etl.warehouse.upsert says why).
-- @only postgresql
create unique index if not exists raw_hotline_tickets_key on raw.hotline_tickets (record_key);
