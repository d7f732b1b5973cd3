-- @key ticket_id
-- @grain one row per hotline ticket (12345, app, patrol, media, open311): its latest version
-- @column ticket_id: The hotline system's ticket id (工单编号)
-- @column channel: 12345 / app / patrol (创文巡查小程序) / media (曝光台) / open311
-- @column status: Latest status: received, dispatched, in_progress, closed, reopened, cancelled, duplicate
-- @column received_at: When the ticket was received (受理时间), naive UTC
-- @column deadline_at: Deadline to close (办理时限), naive UTC
-- @column closed_at: Closure time (办结时间) when the latest status is closed, else NULL
-- @column satisfaction: Latest citizen rating: satisfied / basically_satisfied / dissatisfied / NULL = not rated
-- @column is_campaign_problem: True when the category is a campaign category (not other): the ticket is also a row of core.fct_problem
-- @column is_excluded: Cancelled or closed as a duplicate (撤销/重复件): out of every denominator
-- @column is_closed: Latest status is closed (已办结)
-- @column n_versions: Number of status versions received
with

versions as (
    select * from staging.hotline_ticket_versions
),

ranked_versions as (
    select
        versions.*,
        row_number() over (partition by ticket_id order by version_at desc) as recency,
        min(version_at) over (partition by ticket_id) as first_version_at,
        count(*) over (partition by ticket_id) as n_versions
    from versions
),

final as (
    select
        ticket_id,
        channel,
        status,
        received_at,
        deadline_at,
        case when status = 'closed' then closed_at end as closed_at,
        satisfaction,
        category_code,
        district_code,
        town_code,
        community_code,
        department_code,
        address,
        caller_hash,
        category_code <> 'other' as is_campaign_problem,
        status in ('cancelled', 'duplicate') as is_excluded,
        status = 'closed' as is_closed,
        first_version_at,
        version_at as last_version_at,
        cast(n_versions as integer) as n_versions
    from ranked_versions
    where recency = 1
)

select * from final
