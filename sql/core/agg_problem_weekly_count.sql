-- @sum_of core.fct_problem_weekly_count
-- @group_by week_start, district_code, town_code, department_code, category_code, found_week_start
-- @grain one row per week × district × town × department × category (× the week found, for state changes) that core.fct_problem_weekly_count has rows for: its counts summed, the finest grain core.agg_rectification_weekly rolls up
-- @column week_start: Local Monday of the week the rows count in
-- @column district_code: The problems' district
-- @column town_code: Their town (镇/街道)
-- @column department_code: Their responsible department
-- @column category_code: Their category
-- @column found_week_start: For state changes, the local Monday of the week the problems were found (the cumulative counts start from the campaign's first week); NULL for found and due rows, which always count
-- @column n_rows: Rows of core.fct_problem_weekly_count summed here
-- @column n_found: Sum of its n_found
-- @column n_rectified: Sum of its n_rectified
-- @column found_change: Sum of its found_change
-- @column rectified_change: Sum of its rectified_change
-- @column n_due: Sum of its n_due
-- @column n_rectified_on_time: Sum of its n_rectified_on_time
-- A sum over the per-problem rows, so an incremental build adds the changed problems' new rows and takes away
-- their old ones (`@sum_of`) instead of summing millions of rows again; n_rows says when a group is empty.
-- Kept apart from the campaign's first week (core.dim_week), which is applied when rolling up.
with

changes as (
    select * from core.fct_problem_weekly_count
),

final as (
    select
        week_start,
        district_code,
        town_code,
        department_code,
        category_code,
        case when kind = 'state_change' then found_week_start end as found_week_start,
        cast(count(*) as bigint) as n_rows,
        cast(sum(n_found) as bigint) as n_found,
        cast(sum(n_rectified) as bigint) as n_rectified,
        cast(sum(found_change) as bigint) as found_change,
        cast(sum(rectified_change) as bigint) as rectified_change,
        cast(sum(n_due) as bigint) as n_due,
        cast(sum(n_rectified_on_time) as bigint) as n_rectified_on_time
    from changes
    group by
        week_start,
        district_code,
        town_code,
        department_code,
        category_code,
        case when kind = 'state_change' then found_week_start end
)

select * from final
