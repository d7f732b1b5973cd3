-- Site types (点位类型) from site_types.csv minus aliases.
create table if not exists core.dim_site_type (
    site_type_code text not null primary key,
    site_type_name text not null
);
