-- The SQL each core model was last built from: a model whose file changed is rebuilt in full.
create table if not exists audit.model_builds (
    model      text      not null primary key,
    sql_hash   text      not null,
    built_at   timestamp not null
);
