-- @key problem_id
-- @grain one row per problem and uninterrupted stretch during which it counted as rectified
-- @column problem_id: source || ':' || source_id (see core.fct_problem)
-- @column rectified_from: Rectified from (整改完成), inclusive, naive UTC
-- @column rectified_until: Reopened at (复查未通过/退回重办), exclusive; NULL = still rectified
-- A finding rectified 3/5, failed its re-inspection 3/10, rectified again 3/15 and passed 3/20 has two
-- rows: [3/5, 3/10) and [3/15, NULL).
with

stretches as (
    select * from core.fct_problem_state_interval
),

marked_stretches as (
    select
        problem_id,
        event_seq,
        valid_from,
        valid_until,
        is_rectified,
        case
            when is_rectified
                and not coalesce(lag(is_rectified) over (partition by problem_id order by event_seq), false)
                then 1
            else 0
        end as starts_island
    from stretches
),

islands as (
    select
        problem_id,
        valid_from,
        valid_until,
        is_rectified,
        sum(starts_island) over (
            partition by problem_id order by event_seq rows between unbounded preceding and current row
        ) as island
    from marked_stretches
),

final as (
    select
        problem_id,
        min(valid_from) as rectified_from,
        case when count(valid_until) = count(*) then max(valid_until) end as rectified_until
    from islands
    where is_rectified
    group by problem_id, island
)

select * from final
