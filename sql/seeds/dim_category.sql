-- The one problem taxonomy (categories.csv): the 8 campaign categories and `other`.
create table if not exists core.dim_category (
    category_code    text not null primary key,
    category_name    text not null,
    category_name_en text
);
