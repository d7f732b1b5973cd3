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

-- A version adds up to three events: received (the ticket's first version), a change of status, a new
-- rating. Each version is paired with the three kinds in one pass, not three selects put together, so the
-- events come out in the versions' order by ticket and only need sorting within each ticket.
version_events as (
    select
        sequenced_versions.*,
        event_kinds.kind_order
    from sequenced_versions
    cross join (values (0), (1), (2)) as event_kinds (kind_order)
),

all_events as (
    select
        ticket_id,
        case
            when kind_order = 0 then received_at
            when kind_order = 1 and status = 'closed' then greatest(least(closed_at, version_at), previous_version_at)
            else version_at
        end as event_at,
        kind_order,
        case when kind_order = 0 then received_at else version_at end as version_at,
        case
            when kind_order = 0 then 'received'
            when kind_order = 2 then 'rated'
            when previous_status = 'closed' and status in ('received', 'dispatched', 'in_progress') then 'reopened'
            else status
        end as event_type,
        case when kind_order = 0 then 'received' else status end as status_after,
        case when kind_order = 2 then satisfaction end as satisfaction,
        received_at as ticket_received_at,
        channel,
        category_code
    from version_events
    where (kind_order = 0 and previous_version_at is null)
       or (kind_order = 1 and status <> coalesce(previous_status, 'received'))
       or (kind_order = 2 and satisfaction is not null
           and (previous_satisfaction is null or satisfaction <> previous_satisfaction))
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
