-- One row per status change of a ticket: (ticket_id, version_at) is the source's (id, updated time).
create table if not exists staging.hotline_ticket_versions (
    ticket_id       text      not null,
    version_at      timestamp not null,
    channel         text      not null,
    status          text      not null,
    received_at     timestamp not null,
    category_code   text      not null,
    district_code   text,
    town_code       text,
    community_code  text,
    department_code text,
    deadline_at     timestamp,
    closed_at       timestamp,
    satisfaction    text,
    caller_hash     text,
    description     text,
    address         text,
    pull_id         text      not null,
    primary key (ticket_id, version_at)
);
