-- @grain one row per week: 12345 hotline figures (热线办理情况) over the citizen channels (12345, app, media, open311); patrol reports (巡查小程序) are the office's own and count only as problems (source patrol)
-- @column week_start: Local Monday of the ISO week (周一); the week runs Monday 00:00 to Sunday 24:00 Asia/Shanghai
-- @column iso_year: ISO year of the week (年)
-- @column iso_week: ISO week number (周次)
-- @column n_received: Tickets received in the week (本周受理), all categories, not cancelled/duplicate as of the week's end
-- @column n_closed: Of those, closed as of the week's end (本周受理已办结): status closed at Sunday 24:00 (a reopened ticket is not closed)
-- @column closure_rate: Closure rate (办结率) = n_closed / n_received; NULL when nothing was received
-- @column n_due: Tickets whose deadline (办理时限) falls in the week, not cancelled/duplicate as of its end (本周到期)
-- @column n_closed_on_time: Of those, closed as of the deadline: closed_at <= deadline_at and not reopened by then (按时办结)
-- @column on_time_closure_rate: On-time closure rate (按时办结率) = n_closed_on_time / n_due; NULL when nothing was due
-- @column n_rated: Tickets that received a citizen rating during the week (本周评价数; the latest rating given that week counts), not cancelled/duplicate; unrated tickets are not in it
-- @column n_satisfied: Of those, rated satisfied or basically satisfied (满意+基本满意)
-- @column satisfaction_rate: Satisfaction rate (满意率) = n_satisfied / n_rated; NULL when no rating came in
with

counts as (
    select * from core.agg_hotline_weekly
),

weeks as (
    select * from core.dim_week
),

final as (
    select
        counts.week_start,
        weeks.iso_year,
        weeks.iso_week,
        counts.n_received,
        counts.n_closed,
        cast(counts.n_closed as double precision) / nullif(counts.n_received, 0) as closure_rate,
        counts.n_due,
        counts.n_closed_on_time,
        cast(counts.n_closed_on_time as double precision) / nullif(counts.n_due, 0) as on_time_closure_rate,
        counts.n_rated,
        counts.n_satisfied,
        cast(counts.n_satisfied as double precision) / nullif(counts.n_rated, 0) as satisfaction_rate
    from counts
    inner join weeks on counts.week_start = weeks.week_start
)

select * from final
