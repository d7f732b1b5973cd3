-- Great Expectations results per suite and pull, as JSON, for Data Docs and audits.
create table if not exists audit.validation_results (
    pull_id     text      not null,
    suite       text      not null,
    success     boolean   not null,
    n_evaluated integer   not null,
    n_failed    integer   not null,
    result_json text      not null,
    created_at  timestamp not null,
    primary key (pull_id, suite)
);
