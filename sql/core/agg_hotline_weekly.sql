-- @grain one row per week of core.dim_week: hotline counts (citizen channels: 12345, app, media, open311; patrol reports count only as problems)
-- @column week_start: Local Monday of the week (see core.dim_week)
-- @column n_received: Tickets received in the week, not cancelled/duplicate as of its end (本周受理)
-- @column n_closed: Of those, closed as of the week's end (a reopened ticket is not closed) (本周受理已办结)
-- @column n_due: Tickets whose deadline falls in the week, not cancelled/duplicate as of its end (本周到期)
-- @column n_closed_on_time: Of those, closed as of their deadline: closed_at <= deadline_at, not reopened by then (按时办结)
-- @column n_rated: Tickets rated during the week (the latest rating given that week), not cancelled/duplicate (本周评价)
-- @column n_satisfied: Of those, satisfied or basically satisfied (满意+基本满意)
-- The sums of core.fct_hotline_ticket_weekly_count, where each ticket's status as of each cutoff is worked out.
with

weeks as (
    select * from core.dim_week
),

ticket_counts as (
    select * from core.fct_hotline_ticket_weekly_count
),

weekly as (
    select
        week_start,
        sum(case when kind = 'received' then is_counted else 0 end) as n_received,
        sum(case when kind = 'received' then is_done else 0 end) as n_closed,
        sum(case when kind = 'due' then is_counted else 0 end) as n_due,
        sum(case when kind = 'due' then is_done else 0 end) as n_closed_on_time,
        sum(case when kind = 'rated' then is_counted else 0 end) as n_rated,
        sum(case when kind = 'rated' then is_done else 0 end) as n_satisfied
    from ticket_counts
    group by week_start
),

final as (
    select
        weeks.week_start,
        cast(coalesce(weekly.n_received, 0) as integer) as n_received,
        cast(coalesce(weekly.n_closed, 0) as integer) as n_closed,
        cast(coalesce(weekly.n_due, 0) as integer) as n_due,
        cast(coalesce(weekly.n_closed_on_time, 0) as integer) as n_closed_on_time,
        cast(coalesce(weekly.n_rated, 0) as integer) as n_rated,
        cast(coalesce(weekly.n_satisfied, 0) as integer) as n_satisfied
    from weeks
    left join weekly on weeks.week_start = weekly.week_start
)

select * from final
