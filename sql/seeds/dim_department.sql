-- Responsible units (责任单位) from departments.csv minus aliases; town_code is set for town governments.
create table if not exists core.dim_department (
    department_code text not null primary key,
    department_name text not null,
    department_kind text not null,
    town_code       text
);
