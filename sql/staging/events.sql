-- Latest version of each event: an edit at the source replaces the row.
create table if not exists staging.events (
    event_id        text      not null,
    updated_at      timestamp not null,
    title           text,
    category_code   text      not null,
    organizer       text      not null,
    district_code   text      not null,
    town_code       text,
    start_at        timestamp not null,
    end_at          timestamp,
    participants    integer   not null,
    volunteers      integer   not null,
    volunteer_hours double precision not null,
    status          text      not null,
    pull_id         text      not null
);

-- One row per key. PostgreSQL holds the key in a unique index (the upserts' conflict target). DuckDB keeps no
-- key index on the tables that grow with history; its loads keep keys unique (etl.warehouse.upsert says why).
-- @only postgresql
create unique index if not exists staging_events_key on staging.events (event_id);
