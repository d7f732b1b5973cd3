-- One row per pull (a DAG run's ingest of one source): the reconciliation record.
create table if not exists audit.pulls (
    pull_id         text      not null primary key,
    source          text      not null,
    window_start    timestamp,
    window_end      timestamp,
    started_at      timestamp not null,
    finished_at     timestamp,
    status          text      not null,  -- loading (segments committed so far), loaded, failed
    n_extracted     integer,
    n_loaded        integer,
    n_quarantined   integer,
    n_duplicates    integer,
    is_reconciled   boolean,
    message         text
);
