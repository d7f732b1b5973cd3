-- Records whose staging rows changed since the last build: the next build recomputes only these in the
-- keyed core models (`-- @key` in sql/core), then removes them from here in the same transaction.
create table if not exists audit.changed_records (
    record_kind  text not null,  -- ticket, finding, event
    record_id    text not null,
    primary key (record_kind, record_id)
);
