-- @grain one row per week of core.dim_week: hotline counts (citizen channels: 12345, app, media, open311; patrol reports count only as problems)
-- @column week_start: Local Monday of the week (see core.dim_week)
-- @column n_received: Tickets received in the week, not cancelled/duplicate as of its end (本周受理)
-- @column n_closed: Of those, closed as of the week's end (a reopened ticket is not closed) (本周受理已办结)
-- @column n_due: Tickets whose deadline falls in the week, not cancelled/duplicate as of its end (本周到期)
-- @column n_closed_on_time: Of those, closed as of their deadline: closed_at <= deadline_at, not reopened by then (按时办结)
-- @column n_rated: Tickets rated during the week (the latest rating given that week), not cancelled/duplicate (本周评价)
-- @column n_satisfied: Of those, satisfied or basically satisfied (满意+基本满意)
-- Status as of a cutoff comes from core.fct_hotline_ticket_status_event (event_at < cutoff <= valid_until),
-- so a week rebuilt later gives the figures it had at its end.
with

weeks as (
    select * from core.dim_week
),

tickets as (
    select * from core.fct_hotline_ticket
),

ticket_events as (
    select * from core.fct_hotline_ticket_status_event
),

-- Week ends computed, not joined from dim_week, so each status lookup is a join on ticket_id.
ticket_cutoffs as (
    select
        ticket_id,
        deadline_at,
        cast(date_trunc('week', received_at + interval '8 hours') as date) as received_week_start,
        date_trunc('week', received_at + interval '8 hours') + interval '7 days' - interval '8 hours'
            as received_week_end_utc,
        cast(date_trunc('week', deadline_at + interval '8 hours') as date) as due_week_start,
        date_trunc('week', deadline_at + interval '8 hours') + interval '7 days' - interval '8 hours'
            as due_week_end_utc
    from tickets
    where channel <> 'patrol'
),

received_in_week as (
    select
        ticket_cutoffs.received_week_start as week_start,
        case when status_at_week_end.status_after not in ('cancelled', 'duplicate') then 1 else 0 end as is_counted,
        case when status_at_week_end.status_after = 'closed' then 1 else 0 end as is_closed
    from ticket_cutoffs
    inner join ticket_events as status_at_week_end
        on status_at_week_end.ticket_id = ticket_cutoffs.ticket_id
        and status_at_week_end.event_at < ticket_cutoffs.received_week_end_utc
        and coalesce(status_at_week_end.valid_until, ticket_cutoffs.received_week_end_utc)
            >= ticket_cutoffs.received_week_end_utc
),

due_in_week as (
    select
        ticket_cutoffs.due_week_start as week_start,
        case when status_at_week_end.status_after not in ('cancelled', 'duplicate') then 1 else 0 end as is_counted,
        case
            when status_at_week_end.status_after not in ('cancelled', 'duplicate')
                and status_at_deadline.status_after = 'closed' then 1
            else 0
        end as is_closed_on_time
    from ticket_cutoffs
    inner join ticket_events as status_at_week_end
        on status_at_week_end.ticket_id = ticket_cutoffs.ticket_id
        and status_at_week_end.event_at < ticket_cutoffs.due_week_end_utc
        and coalesce(status_at_week_end.valid_until, ticket_cutoffs.due_week_end_utc)
            >= ticket_cutoffs.due_week_end_utc
    left join ticket_events as status_at_deadline
        on status_at_deadline.ticket_id = ticket_cutoffs.ticket_id
        and status_at_deadline.event_at <= ticket_cutoffs.deadline_at
        and (status_at_deadline.valid_until is null or status_at_deadline.valid_until > ticket_cutoffs.deadline_at)
    where ticket_cutoffs.deadline_at is not null
),

ratings as (
    select
        ticket_id,
        satisfaction,
        cast(date_trunc('week', event_at + interval '8 hours') as date) as week_start,
        date_trunc('week', event_at + interval '8 hours') + interval '7 days' - interval '8 hours' as week_end_utc,
        row_number() over (
            partition by ticket_id, date_trunc('week', event_at + interval '8 hours') order by event_seq desc
        ) as recency
    from ticket_events
    where event_type = 'rated'
      and channel <> 'patrol'
),

rated_in_week as (
    select
        ratings.week_start,
        case when status_at_week_end.status_after not in ('cancelled', 'duplicate') then 1 else 0 end as is_counted,
        case
            when status_at_week_end.status_after not in ('cancelled', 'duplicate')
                and ratings.satisfaction in ('satisfied', 'basically_satisfied') then 1
            else 0
        end as is_satisfied
    from ratings
    inner join ticket_events as status_at_week_end
        on status_at_week_end.ticket_id = ratings.ticket_id
        and status_at_week_end.event_at < ratings.week_end_utc
        and coalesce(status_at_week_end.valid_until, ratings.week_end_utc) >= ratings.week_end_utc
    where ratings.recency = 1
),

received_counts as (
    select week_start, sum(is_counted) as n_received, sum(is_closed) as n_closed
    from received_in_week
    group by week_start
),

due_counts as (
    select week_start, sum(is_counted) as n_due, sum(is_closed_on_time) as n_closed_on_time
    from due_in_week
    group by week_start
),

rated_counts as (
    select week_start, sum(is_counted) as n_rated, sum(is_satisfied) as n_satisfied
    from rated_in_week
    group by week_start
),

final as (
    select
        weeks.week_start,
        cast(coalesce(received_counts.n_received, 0) as integer) as n_received,
        cast(coalesce(received_counts.n_closed, 0) as integer) as n_closed,
        cast(coalesce(due_counts.n_due, 0) as integer) as n_due,
        cast(coalesce(due_counts.n_closed_on_time, 0) as integer) as n_closed_on_time,
        cast(coalesce(rated_counts.n_rated, 0) as integer) as n_rated,
        cast(coalesce(rated_counts.n_satisfied, 0) as integer) as n_satisfied
    from weeks
    left join received_counts on weeks.week_start = received_counts.week_start
    left join due_counts on weeks.week_start = due_counts.week_start
    left join rated_counts on weeks.week_start = rated_counts.week_start
)

select * from final
