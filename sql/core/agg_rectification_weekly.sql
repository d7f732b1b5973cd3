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
-- Every count is as of the week's end (Sunday 24:00 local), computed from core.fct_problem_state_interval,
-- so a week rebuilt after later data arrived gives the figures it had at its end. The cumulative counts
-- are running sums of +1/-1 changes at the weeks where a problem's state changes, not a problems × weeks
-- product. A problem counts for its district, town, responsible department and category (latest known).
with

weeks as (
    select * from core.dim_week
),

problems as (
    select * from core.fct_problem
),

stretches as (
    select * from core.fct_problem_state_interval
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
    select min(week_start_utc) as campaign_start_utc
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

-- Each problem's cutoffs: the end of the week it was found in and of the week it falls due in (Monday
-- 00:00 local = Sunday 16:00 UTC). Computed, not joined from dim_week, so the state lookups below are
-- plain joins on problem_id; weeks outside dim_week drop out when the counts meet the week spine.
problem_cutoffs as (
    select
        problem_id,
        district_code,
        town_code,
        department_code,
        category_code,
        due_at,
        cast(date_trunc('week', found_at + interval '8 hours') as date) as found_week_start,
        date_trunc('week', found_at + interval '8 hours') + interval '7 days' - interval '8 hours'
            as found_week_end_utc,
        cast(date_trunc('week', due_at + interval '8 hours') as date) as due_week_start,
        date_trunc('week', due_at + interval '8 hours') + interval '7 days' - interval '8 hours'
            as due_week_end_utc
    from problems
),

found_in_week as (
    select
        problem_cutoffs.district_code,
        problem_cutoffs.town_code,
        problem_cutoffs.department_code,
        problem_cutoffs.category_code,
        problem_cutoffs.found_week_start as week_start,
        case when not stretches.is_excluded then 1 else 0 end as is_counted,
        case when stretches.is_rectified and not stretches.is_excluded then 1 else 0 end as is_rectified
    from problem_cutoffs
    inner join stretches
        on stretches.problem_id = problem_cutoffs.problem_id
        and stretches.valid_from < problem_cutoffs.found_week_end_utc
        and coalesce(stretches.valid_until, problem_cutoffs.found_week_end_utc) >= problem_cutoffs.found_week_end_utc
),

due_in_week as (
    select
        problem_cutoffs.district_code,
        problem_cutoffs.town_code,
        problem_cutoffs.department_code,
        problem_cutoffs.category_code,
        problem_cutoffs.due_week_start as week_start,
        case when not state_at_week_end.is_excluded then 1 else 0 end as is_counted,
        case
            when not state_at_week_end.is_excluded and coalesce(state_at_deadline.is_rectified, false) then 1
            else 0
        end as is_rectified_on_time
    from problem_cutoffs
    inner join stretches as state_at_week_end
        on state_at_week_end.problem_id = problem_cutoffs.problem_id
        and state_at_week_end.valid_from < problem_cutoffs.due_week_end_utc
        and coalesce(state_at_week_end.valid_until, problem_cutoffs.due_week_end_utc)
            >= problem_cutoffs.due_week_end_utc
    left join stretches as state_at_deadline
        on state_at_deadline.problem_id = problem_cutoffs.problem_id
        and state_at_deadline.valid_from <= problem_cutoffs.due_at
        and (state_at_deadline.valid_until is null or state_at_deadline.valid_until > problem_cutoffs.due_at)
    where problem_cutoffs.due_at is not null
),

-- A stretch counts at the end of every week from the one it starts in up to (not including) the one it
-- ends in; as +1 at its start week and -1 at its end week, a running sum gives the count at each week end.
counted_stretches as (
    select
        problems.district_code,
        problems.town_code,
        problems.department_code,
        problems.category_code,
        stretches.valid_from,
        stretches.valid_until,
        case when stretches.is_rectified then 1 else 0 end as is_rectified
    from stretches
    inner join problems on stretches.problem_id = problems.problem_id
    cross join campaign
    where problems.found_at >= campaign.campaign_start_utc
      and not stretches.is_excluded
),

changes as (
    select
        district_code, town_code, department_code, category_code, week_start,
        is_counted as n_found, is_rectified as n_rectified,
        0 as found_change, 0 as rectified_change, 0 as n_due, 0 as n_rectified_on_time
    from found_in_week
    union all
    select
        district_code, town_code, department_code, category_code, week_start,
        0 as n_found, 0 as n_rectified,
        0 as found_change, 0 as rectified_change, is_counted as n_due, is_rectified_on_time as n_rectified_on_time
    from due_in_week
    union all
    select
        district_code, town_code, department_code, category_code,
        cast(date_trunc('week', valid_from + interval '8 hours') as date) as week_start,
        0 as n_found, 0 as n_rectified,
        1 as found_change, is_rectified as rectified_change, 0 as n_due, 0 as n_rectified_on_time
    from counted_stretches
    union all
    select
        district_code, town_code, department_code, category_code,
        cast(date_trunc('week', valid_until + interval '8 hours') as date) as week_start,
        0 as n_found, 0 as n_rectified,
        -1 as found_change, -is_rectified as rectified_change, 0 as n_due, 0 as n_rectified_on_time
    from counted_stretches
    where valid_until is not null
),

-- Summed at the finest grain first (a few thousand rows), then rolled up to each unit kind in one
-- pass; grouping() tells which code a row is grouped by.
fine_changes as (
    select
        week_start,
        district_code,
        town_code,
        department_code,
        category_code,
        sum(n_found) as n_found,
        sum(n_rectified) as n_rectified,
        sum(found_change) as found_change,
        sum(rectified_change) as rectified_change,
        sum(n_due) as n_due,
        sum(n_rectified_on_time) as n_rectified_on_time
    from changes
    group by week_start, district_code, town_code, department_code, category_code
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
    from fine_changes
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
