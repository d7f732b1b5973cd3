-- Payloads exactly as received, minus personal-data keys (removed before anything is written).
-- record_key identifies one version of one source record, so a re-pull adds nothing.
create table if not exists raw.events (
    record_key  text      not null,
    source      text      not null,
    pull_id     text      not null,
    received_at timestamp not null,
    payload     text      not null,
    version_at  timestamp  -- the version's update time at the source (UTC); lets DuckDB's key lookups skip old data
);

-- Added after the first warehouses were created.
alter table raw.events add column if not exists version_at timestamp;

-- One row per key. PostgreSQL holds the key in a unique index (the upserts' conflict target). DuckDB keeps no
-- key index on the tables that grow with history; its loads keep keys unique (etl.warehouse.upsert says why).
-- The key determines version_at; leading with it puts new versions at the index's right edge instead of
-- all over it (a 50k-version insert into 4.1M: 0.42-0.80 s by record_key, 0.21-0.33 s this way).
-- NULLS NOT DISTINCT (PostgreSQL 15): a version whose time could not be read is still stored once.
-- @only postgresql
create unique index if not exists raw_events_version_key on raw.events (version_at, record_key) nulls not distinct;

-- Replaced by the index above.
-- @only postgresql
drop index if exists raw.raw_events_key;
