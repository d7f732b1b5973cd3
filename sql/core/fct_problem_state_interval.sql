-- @key problem_id
-- @grain one row per problem and stretch of time between two consecutive status events, from found onwards
-- @column problem_id: source || ':' || source_id (see core.fct_problem)
-- @column event_seq: The status event (core.fct_problem_status_event) that starts the stretch
-- @column event_type: That event's type
-- @column valid_from: Start of the stretch (inclusive), naive UTC
-- @column valid_until: End of the stretch (exclusive), NULL while current
-- @column is_rectified: Rectified during the stretch (已整改): rectified, and not reopened since
-- @column is_excluded: Cancelled or duplicate during the stretch (撤销/重复件): out of every denominator
-- @column has_feedback: The responsible unit had replied by then (已反馈)
-- State "as of T" (end of a week: T = week_end_utc, events at T belong to the next week) is the stretch
-- with valid_from < T <= coalesce(valid_until, T); "by the deadline" (on time: rectified_at <= due_at) is
-- the stretch with valid_from <= due_at < coalesce(valid_until, infinity). Stretches of zero length (two
-- events at the same moment) are dropped: the state after the last of them is what holds.
with

status_events as (
    select * from core.fct_problem_status_event
),

flagged_events as (
    select
        problem_id,
        event_seq,
        event_type,
        event_at,
        case
            when event_type in ('rectified', 'reinspection_passed') then 1
            when event_type in ('found', 'reopened') then 0
        end as rectified_flag,
        case when event_type in ('cancelled', 'duplicate') then 1 else 0 end as excluded_flag,
        case
            when event_type in ('feedback', 'in_progress', 'rectified', 'reinspection_passed') then 1 else 0
        end as feedback_flag
    from status_events
),

carried_events as (
    select
        problem_id,
        event_seq,
        event_type,
        event_at,
        rectified_flag,
        excluded_flag,
        count(rectified_flag) over (
            partition by problem_id order by event_seq rows between unbounded preceding and current row
        ) as rectified_group,
        max(feedback_flag) over (
            partition by problem_id order by event_seq rows between unbounded preceding and current row
        ) as feedback_so_far,
        lead(event_at) over (partition by problem_id order by event_seq) as valid_until
    from flagged_events
),

stretches as (
    select
        problem_id,
        event_seq,
        event_type,
        event_at as valid_from,
        valid_until,
        max(rectified_flag) over (partition by problem_id, rectified_group) = 1 as is_rectified,
        excluded_flag = 1 as is_excluded,
        feedback_so_far = 1 as has_feedback
    from carried_events
),

final as (
    select
        problem_id,
        event_seq,
        event_type,
        valid_from,
        valid_until,
        is_rectified,
        is_excluded,
        has_feedback
    from stretches
    where valid_until is null or valid_until > valid_from
)

select * from final
