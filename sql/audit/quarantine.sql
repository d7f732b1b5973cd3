-- Rows that failed a rule: kept with the rule and the offending values (never personal data).
create table if not exists audit.quarantine (
    pull_id     text      not null,
    source      text      not null,
    source_id   text      not null,
    rule        text      not null,
    detail      text,
    created_at  timestamp not null,
    primary key (pull_id, source_id, rule)
);
