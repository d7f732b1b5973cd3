-- Every figure a weekly report published, so a re-issue can show restatements.
create table if not exists audit.published_figures (
    week_start   date      not null,
    figure       text      not null,
    value        double precision,
    published_at timestamp not null,
    primary key (week_start, figure)
);
