-- @grain one row per week × unit (unit_kind city / district / town / department / category × unit_code): the rectification counts behind the weekly rectification marts and the red/black list
-- @column week_start: Local Monday of the week (see core.dim_week)
-- @column unit_kind: city (全市), district (区/县级市), town (镇/街道), department (责任单位), category (问题类别)
-- @column unit_code: Area, department or category code; 'city' for the whole city
-- @column n_found: Problems found in the week and not cancelled/duplicate as of its end (本周发现)
-- @column n_rectified: Of those, rectified as of the week's end (本周发现已整改)
-- @column n_found_cumulative: Problems found since the campaign's first week up to the week's end, not cancelled/duplicate as of then (累计发现)
-- @column n_rectified_cumulative: Of those, rectified as of the week's end (累计已整改)
-- @column n_due: Problems whose deadline falls in the week, not cancelled/duplicate as of its end (本周到期)
-- @column n_rectified_on_time: Of those, rectified as of their deadline: rectified_at <= due_at and not reopened by then (按期整改)
-- Every count is as of the week's end (Sunday 24:00 local): the sums of core.fct_problem_weekly_count, where
-- each problem's state at each cutoff is worked out, read already summed (core.agg_problem_weekly_count). The cumulative counts are running sums of +1/-1 changes
-- at the weeks where a problem's state changes, not a problems × weeks product, over problems found since
-- the campaign's first week. A problem counts for its district, town, responsible department and category.
with

weeks as (
    select * from core.dim_week
),

changes as (
    select * from core.agg_problem_weekly_count
),

areas as (
    select * from core.dim_area
),

departments as (
    select * from core.dim_department
),

categories as (
    select * from core.dim_category
),

campaign as (
    select min(week_start) as first_week_start
    from weeks
),

units as (
    select 'city' as unit_kind, 'city' as unit_code
    union
    select area_level as unit_kind, area_code as unit_code from areas
    where area_level in ('district', 'town')
    union
    select 'department' as unit_kind, department_code as unit_code from departments
    union
    select 'category' as unit_kind, category_code as unit_code from categories
),

-- The sums at the finest grain (core.agg_problem_weekly_count) from the campaign's first week on (found and
-- due rows have no found_week_start: they always count), rolled up to each unit kind in one pass, where
-- grouping() tells which code a row is grouped by.
counted_changes as (
    select changes.*
    from changes
    cross join campaign
    where changes.found_week_start is null or changes.found_week_start >= campaign.first_week_start
),

unit_changes as (
    select
        week_start,
        case
            when grouping(district_code) = 0 then 'district'
            when grouping(town_code) = 0 then 'town'
            when grouping(department_code) = 0 then 'department'
            when grouping(category_code) = 0 then 'category'
            else 'city'
        end as unit_kind,
        case
            when grouping(district_code) = 0 then district_code
            when grouping(town_code) = 0 then town_code
            when grouping(department_code) = 0 then department_code
            when grouping(category_code) = 0 then category_code
            else 'city'
        end as unit_code,
        sum(n_found) as n_found,
        sum(n_rectified) as n_rectified,
        sum(found_change) as found_change,
        sum(rectified_change) as rectified_change,
        sum(n_due) as n_due,
        sum(n_rectified_on_time) as n_rectified_on_time
    from counted_changes
    group by grouping sets (
        (week_start),
        (week_start, district_code),
        (week_start, town_code),
        (week_start, department_code),
        (week_start, category_code)
    )
),

unit_weeks as (
    select units.unit_kind, units.unit_code, weeks.week_start
    from (
        select unit_kind, unit_code from units
        union
        select distinct unit_kind, unit_code from unit_changes
        where unit_code is not null
    ) as units
    cross join weeks
),

final as (
    select
        unit_weeks.week_start,
        unit_weeks.unit_kind,
        unit_weeks.unit_code,
        cast(coalesce(unit_changes.n_found, 0) as integer) as n_found,
        cast(coalesce(unit_changes.n_rectified, 0) as integer) as n_rectified,
        cast(sum(coalesce(unit_changes.found_change, 0)) over (
            partition by unit_weeks.unit_kind, unit_weeks.unit_code
            order by unit_weeks.week_start
            rows between unbounded preceding and current row
        ) as integer) as n_found_cumulative,
        cast(sum(coalesce(unit_changes.rectified_change, 0)) over (
            partition by unit_weeks.unit_kind, unit_weeks.unit_code
            order by unit_weeks.week_start
            rows between unbounded preceding and current row
        ) as integer) as n_rectified_cumulative,
        cast(coalesce(unit_changes.n_due, 0) as integer) as n_due,
        cast(coalesce(unit_changes.n_rectified_on_time, 0) as integer) as n_rectified_on_time
    from unit_weeks
    left join unit_changes
        on unit_weeks.unit_kind = unit_changes.unit_kind
        and unit_weeks.unit_code = unit_changes.unit_code
        and unit_weeks.week_start = unit_changes.week_start
)

select * from final
