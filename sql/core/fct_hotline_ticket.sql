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

-- Read a second time for the latest version's whole row: the per-ticket figures come from the key columns
-- alone, and the one row each ticket needs is then fetched by its key ((ticket_id, version_at) is unique),
-- instead of carrying every column of every version through a window.
version_rows as (
    select * from staging.hotline_ticket_versions
),

ticket_versions as (
    select
        ticket_id,
        max(version_at) as last_version_at,
        min(version_at) as first_version_at,
        count(*) as n_versions
    from versions
    group by ticket_id
),

latest_versions as (
    select
        version_rows.*,
        ticket_versions.first_version_at,
        ticket_versions.n_versions
    from ticket_versions
    inner join version_rows
        on version_rows.ticket_id = ticket_versions.ticket_id
        and version_rows.version_at = ticket_versions.last_version_at
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
    from latest_versions
)

select * from final
