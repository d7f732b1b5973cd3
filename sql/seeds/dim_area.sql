-- Areas from the reference set (areas.csv minus aliases): district -> town -> community.
create table if not exists core.dim_area (
    area_code   text not null primary key,
    area_name   text not null,
    area_level  text not null,
    parent_code text
);
