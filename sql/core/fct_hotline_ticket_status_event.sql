-- @key ticket_id
-- @grain one row per change of a hotline ticket: received, each status change, each (new) rating
-- @column ticket_id: The hotline system's ticket id (工单编号)
-- @column event_seq: 1, 2, ... in time order within the ticket
-- @column event_at: When the change happened, naive UTC (a closure at its closed_at, others at the version time)
-- @column event_type: received (受理), dispatched (派单), in_progress (签收办理), closed (办结), reopened (退回/重办: reopened, or back to work after closed), cancelled (撤销), duplicate (重复件), rated (评价)
-- @column status_after: The ticket's status from this event until the next one
-- @column satisfaction: For rated events: satisfied / basically_satisfied / dissatisfied
-- @column valid_until: The next event's time (NULL: still current): status_after holds on [event_at, valid_until)
-- @column channel: The ticket's channel (latest version), as in core.fct_hotline_ticket
-- @column is_campaign_problem: The ticket is a campaign problem (category not other, latest version)
-- Status as of a moment T: the event with event_at < T <= coalesce(valid_until, infinity). A closure counts
-- from its closed_at, but never before the ticket's received time or the version that preceded it, nor
-- after the version that reported it, so the order is the order in which the hotline reported the changes.
with

versions as (
    select * from staging.hotline_ticket_versions
),

-- The latest version's received time, channel and category hold for the whole ticket (as in
-- core.fct_hotline_ticket); taken with the same window as the lags, so no join back to the tickets.
sequenced_versions as (
    select
        ticket_id,
        version_at,
        status,
        closed_at,
        satisfaction,
        lag(status) over ticket_versions as previous_status,
        lag(satisfaction) over ticket_versions as previous_satisfaction,
        lag(version_at) over ticket_versions as previous_version_at,
        last_value(received_at) over whole_ticket as received_at,
        last_value(channel) over whole_ticket as channel,
        last_value(category_code) over whole_ticket as category_code
    from versions
    window
        ticket_versions as (partition by ticket_id order by version_at),
        whole_ticket as (
            partition by ticket_id order by version_at rows between unbounded preceding and unbounded following
        )
),

received_events as (
    select
        ticket_id,
        received_at as event_at,
        0 as kind_order,
        received_at as version_at,
        'received' as event_type,
        'received' as status_after,
        cast(null as text) as satisfaction,
        received_at as ticket_received_at,
        channel,
        category_code
    from sequenced_versions
    where previous_version_at is null
),

status_events as (
    select
        ticket_id,
        case
            when status = 'closed' then greatest(least(closed_at, version_at), previous_version_at)
            else version_at
        end as event_at,
        1 as kind_order,
        version_at,
        case
            when previous_status = 'closed' and status in ('received', 'dispatched', 'in_progress') then 'reopened'
            else status
        end as event_type,
        status as status_after,
        cast(null as text) as satisfaction,
        received_at as ticket_received_at,
        channel,
        category_code
    from sequenced_versions
    where status <> coalesce(previous_status, 'received')
),

rating_events as (
    select
        ticket_id,
        version_at as event_at,
        2 as kind_order,
        version_at,
        'rated' as event_type,
        status as status_after,
        satisfaction,
        received_at as ticket_received_at,
        channel,
        category_code
    from sequenced_versions
    where satisfaction is not null
      and (previous_satisfaction is null or satisfaction <> previous_satisfaction)
),

all_events as (
    select * from received_events
    union all
    select * from status_events
    union all
    select * from rating_events
),

clamped_events as (
    select
        ticket_id,
        greatest(event_at, ticket_received_at) as event_at,
        kind_order,
        version_at,
        event_type,
        status_after,
        satisfaction,
        channel,
        category_code
    from all_events
),

sequenced_events as (
    select
        ticket_id,
        cast(row_number() over (
            partition by ticket_id order by event_at, kind_order, version_at
        ) as integer) as event_seq,
        event_at,
        event_type,
        status_after,
        satisfaction,
        version_at,
        channel,
        category_code
    from clamped_events
),

final as (
    select
        ticket_id,
        event_seq,
        event_at,
        event_type,
        status_after,
        satisfaction,
        version_at,
        lead(event_at) over (partition by ticket_id order by event_seq) as valid_until,
        channel,
        category_code <> 'other' as is_campaign_problem
    from sequenced_events
)

select * from final
