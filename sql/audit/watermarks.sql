-- How far each source has been pulled; advanced only in the transaction that commits the load.
create table if not exists audit.watermarks (
    source      text      not null primary key,
    watermark   timestamp not null,
    pull_id     text      not null,
    updated_at  timestamp not null
);
