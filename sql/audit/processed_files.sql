-- Drop files already loaded, by content hash: the same bytes are never processed twice.
create table if not exists audit.processed_files (
    file_sha256  text      not null primary key,
    source       text      not null,
    file_name    text      not null,
    n_rows       integer   not null,
    pull_id      text      not null,
    processed_at timestamp not null
);
