-- Records whose staging rows changed since the last build: the next build recomputes only these in the
-- keyed core models (`-- @key` in sql/core), then removes them from here in the same transaction.
-- A queue, appended by every load: a record loaded twice before a build is listed twice (no key to check,
-- so a backfill of millions of records adds no index to hold in memory).
create table if not exists audit.changed_records (
    record_kind  text not null,  -- ticket, finding, event
    record_id    text not null
);
