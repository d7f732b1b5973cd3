-- Office settings (etl/reference/settings.csv), e.g. red/black list sizes; every value is an integer.
create table if not exists core.settings (
    key   text    not null primary key,
    value integer not null
);
