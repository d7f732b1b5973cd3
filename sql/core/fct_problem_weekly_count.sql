-- @key problem_id
-- @grain one row per problem and weekly rectification count it adds to: found in a week, due in a week, or a change of whether it counts (and counts as rectified) towards the cumulative figures (core.agg_rectification_weekly sums them)
-- @column problem_id: source || ':' || source_id (see core.fct_problem)
-- @column week_start: Local Monday of the week the row counts in
-- @column kind: found (the week it was found), due (the week its deadline falls in), state_change (it became or stopped being counted, or rectified, that week)
-- @column district_code: The problem's district (latest known)
-- @column town_code: Its town (镇/街道)
-- @column department_code: Its responsible department
-- @column category_code: Its category
-- @column found_week_start: Local Monday of the week it was found (the cumulative counts start from the campaign's first week)
-- @column n_found: found: 1 if not cancelled/duplicate at the week's end
-- @column n_rectified: found: 1 if also rectified at the week's end
-- @column found_change: state_change: +1 when it starts counting (found, or no longer cancelled/duplicate), -1 when it stops; the running sum is the cumulative found count
-- @column rectified_change: state_change: the same for counting as rectified
-- @column n_due: due: 1 if not cancelled/duplicate at the week's end
-- @column n_rectified_on_time: due: 1 if also rectified as of the deadline (rectified_at <= due_at, not reopened by then)
-- State as of each week's end (Sunday 24:00 local) comes from core.fct_problem_state_interval, so a week
-- rebuilt after later data arrived gives the figures it had at its end. Per problem, so an incremental
-- build recomputes only the problems loaded since, and the weekly aggregate is a sum.
with

problems as (
    select * from core.fct_problem
),

stretches as (
    select * from core.fct_problem_state_interval
),

-- Each problem's cutoffs: the end of the week it was found in and of the week it falls due in (Monday
-- 00:00 local = Sunday 16:00 UTC). Computed, not joined from dim_week, so the stretches join the problems
-- on problem_id alone.
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

-- Each stretch with the problem's cutoffs and whether it holds at them: the end of the week the problem was
-- found in, the end of the week it falls due in, and its deadline (on time: rectified_at <= due_at).
-- Stretches follow one another without gaps or overlaps, so at most one holds at each moment.
problem_stretches as (
    select
        problem_cutoffs.problem_id,
        problem_cutoffs.district_code,
        problem_cutoffs.town_code,
        problem_cutoffs.department_code,
        problem_cutoffs.category_code,
        problem_cutoffs.found_week_start,
        problem_cutoffs.due_week_start,
        stretches.valid_from,
        case when not stretches.is_excluded then 1 else 0 end as is_counted,
        case when stretches.is_rectified and not stretches.is_excluded then 1 else 0 end as is_counted_rectified,
        stretches.valid_from < problem_cutoffs.found_week_end_utc
            and coalesce(stretches.valid_until, problem_cutoffs.found_week_end_utc)
                >= problem_cutoffs.found_week_end_utc as holds_at_found_week_end,
        stretches.valid_from < problem_cutoffs.due_week_end_utc
            and coalesce(stretches.valid_until, problem_cutoffs.due_week_end_utc)
                >= problem_cutoffs.due_week_end_utc as holds_at_due_week_end,
        case
            when stretches.valid_from <= problem_cutoffs.due_at
                and (stretches.valid_until is null or stretches.valid_until > problem_cutoffs.due_at)
                and stretches.is_rectified
            then 1 else 0
        end as is_rectified_at_deadline
    from problem_cutoffs
    inner join stretches on stretches.problem_id = problem_cutoffs.problem_id
),

-- The cumulative counts at a week's end are running sums of each stretch's state minus the state before it,
-- at the week it starts (stretches follow one another without gaps); the due row needs the state at the
-- deadline, held by another stretch.
stretch_states as (
    select
        problem_stretches.*,
        is_counted - coalesce(lag(is_counted) over by_time, 0) as found_change,
        is_counted_rectified - coalesce(lag(is_counted_rectified) over by_time, 0) as rectified_change,
        max(is_rectified_at_deadline) over (partition by problem_id) as is_rectified_by_deadline
    from problem_stretches
    window by_time as (partition by problem_id order by valid_from)
),

found_in_week as (
    select
        problem_id,
        found_week_start as week_start,
        'found' as kind,
        district_code,
        town_code,
        department_code,
        category_code,
        found_week_start,
        is_counted as n_found,
        is_counted_rectified as n_rectified,
        0 as found_change,
        0 as rectified_change,
        0 as n_due,
        0 as n_rectified_on_time
    from stretch_states
    where holds_at_found_week_end
),

due_in_week as (
    select
        problem_id,
        due_week_start as week_start,
        'due' as kind,
        district_code,
        town_code,
        department_code,
        category_code,
        found_week_start,
        0 as n_found,
        0 as n_rectified,
        0 as found_change,
        0 as rectified_change,
        is_counted as n_due,
        is_counted * is_rectified_by_deadline as n_rectified_on_time
    from stretch_states
    where holds_at_due_week_end
),

-- A stretch that changes neither state adds no row.
stretch_changes as (
    select
        problem_id,
        cast(date_trunc('week', valid_from + interval '8 hours') as date) as week_start,
        'state_change' as kind,
        district_code,
        town_code,
        department_code,
        category_code,
        found_week_start,
        0 as n_found,
        0 as n_rectified,
        found_change,
        rectified_change,
        0 as n_due,
        0 as n_rectified_on_time
    from stretch_states
    where found_change <> 0 or rectified_change <> 0
),

final as (
    select * from found_in_week
    union all
    select * from due_in_week
    union all
    select * from stretch_changes
)

select * from final
