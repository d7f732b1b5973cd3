-- The volunteer platform's event categories (event_categories.csv minus aliases).
create table if not exists core.dim_event_category (
    event_category_code text not null primary key,
    event_category_name text not null
);
