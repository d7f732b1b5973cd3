-- Payloads exactly as received, minus personal-data keys (removed before anything is written).
-- record_key identifies one version of one source record, so a re-pull adds nothing.
create table if not exists raw.hotline_tickets (
    record_key  text      not null primary key,
    source      text      not null,
    pull_id     text      not null,
    received_at timestamp not null,
    payload     text      not null
);
