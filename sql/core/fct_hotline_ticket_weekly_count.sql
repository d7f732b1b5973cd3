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

-- Week ends computed, not joined from dim_week, so the status lookups are joins on ticket_id alone.
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

-- Each event with the ticket's cutoffs and whether its status holds at them: the end of the week the ticket
-- came in, the end of the week it falls due in, and its deadline. An event's status holds from event_at to
-- valid_until, and one event's valid_until is the next one's event_at, so at most one holds at each cutoff.
-- One join for the three (the deadline's status is carried to the ticket's other events by a window).
event_states as (
    select
        ticket_cutoffs.ticket_id,
        ticket_cutoffs.received_week_start,
        ticket_cutoffs.due_week_start,
        case when ticket_events.status_after not in ('cancelled', 'duplicate') then 1 else 0 end as is_counted,
        case when ticket_events.status_after = 'closed' then 1 else 0 end as is_closed,
        ticket_events.event_at < ticket_cutoffs.received_week_end_utc
            and coalesce(ticket_events.valid_until, ticket_cutoffs.received_week_end_utc)
                >= ticket_cutoffs.received_week_end_utc as holds_at_received_week_end,
        ticket_events.event_at < ticket_cutoffs.due_week_end_utc
            and coalesce(ticket_events.valid_until, ticket_cutoffs.due_week_end_utc)
                >= ticket_cutoffs.due_week_end_utc as holds_at_due_week_end,
        max(
            case
                when ticket_events.event_at <= ticket_cutoffs.deadline_at
                    and (ticket_events.valid_until is null or ticket_events.valid_until > ticket_cutoffs.deadline_at)
                    and ticket_events.status_after = 'closed'
                then 1 else 0
            end
        ) over (partition by ticket_cutoffs.ticket_id) as is_closed_by_deadline
    from ticket_cutoffs
    inner join ticket_events on ticket_events.ticket_id = ticket_cutoffs.ticket_id
),

received_in_week as (
    select
        ticket_id,
        received_week_start as week_start,
        'received' as kind,
        is_counted,
        is_closed as is_done
    from event_states
    where holds_at_received_week_end
),

due_in_week as (
    select
        ticket_id,
        due_week_start as week_start,
        'due' as kind,
        is_counted,
        is_counted * is_closed_by_deadline as is_done
    from event_states
    where holds_at_due_week_end
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
