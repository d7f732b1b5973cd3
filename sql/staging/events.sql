-- Latest version of each event: an edit at the source replaces the row.
create table if not exists staging.events (
    event_id        text      not null primary key,
    updated_at      timestamp not null,
    title           text,
    category_code   text      not null,
    organizer       text      not null,
    district_code   text      not null,
    town_code       text,
    start_at        timestamp not null,
    end_at          timestamp,
    participants    integer   not null,
    volunteers      integer   not null,
    volunteer_hours double precision not null,
    status          text      not null,
    pull_id         text      not null
);
