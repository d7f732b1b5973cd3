-- @key ticket_id
-- @grain one row per citizen-channel ticket and weekly hotline count it adds to: received in a week, due in a week, rated in a week (core.agg_hotline_weekly sums them)
-- @column ticket_id: Source ticket id
-- @column week_start: Local Monday of the week the row counts in
-- @column kind: received (the week it came in), due (the week its deadline falls in) or rated (a week it got its latest rating of that week)
-- @column is_counted: 1 if not cancelled/duplicate as of the week's end, else 0
-- @column is_done: received: closed as of the week's end; due: closed as of the deadline (on time); rated: satisfied or basically satisfied (each 0 when not counted)
-- Status as of a cutoff comes from core.fct_hotline_ticket_status_event (event_at < cutoff <= valid_until),
-- so a week rebuilt later gives the figures it had at its end. Per ticket, so an incremental build
-- recomputes only the tickets loaded since, and the weekly aggregate is a plain sum.
with

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
        ticket_cutoffs.ticket_id,
        ticket_cutoffs.received_week_start as week_start,
        'received' as kind,
        case when status_at_week_end.status_after not in ('cancelled', 'duplicate') then 1 else 0 end as is_counted,
        case when status_at_week_end.status_after = 'closed' then 1 else 0 end as is_done
    from ticket_cutoffs
    inner join ticket_events as status_at_week_end
        on status_at_week_end.ticket_id = ticket_cutoffs.ticket_id
        and status_at_week_end.event_at < ticket_cutoffs.received_week_end_utc
        and coalesce(status_at_week_end.valid_until, ticket_cutoffs.received_week_end_utc)
            >= ticket_cutoffs.received_week_end_utc
),

due_in_week as (
    select
        ticket_cutoffs.ticket_id,
        ticket_cutoffs.due_week_start as week_start,
        'due' as kind,
        case when status_at_week_end.status_after not in ('cancelled', 'duplicate') then 1 else 0 end as is_counted,
        case
            when status_at_week_end.status_after not in ('cancelled', 'duplicate')
                and status_at_deadline.status_after = 'closed' then 1
            else 0
        end as is_done
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
        ratings.ticket_id,
        ratings.week_start,
        'rated' as kind,
        case when status_at_week_end.status_after not in ('cancelled', 'duplicate') then 1 else 0 end as is_counted,
        case
            when status_at_week_end.status_after not in ('cancelled', 'duplicate')
                and ratings.satisfaction in ('satisfied', 'basically_satisfied') then 1
            else 0
        end as is_done
    from ratings
    inner join ticket_events as status_at_week_end
        on status_at_week_end.ticket_id = ratings.ticket_id
        and status_at_week_end.event_at < ratings.week_end_utc
        and coalesce(status_at_week_end.valid_until, ratings.week_end_utc) >= ratings.week_end_utc
    where ratings.recency = 1
),

final as (
    select * from received_in_week
    union all
    select * from due_in_week
    union all
    select * from rated_in_week
)

select * from final
