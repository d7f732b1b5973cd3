-- @key problem_id
-- @grain one row per campaign problem: an inspection finding (latest upload), or a hotline / patrol ticket in a campaign category (not other)
-- @column problem_id: source || ':' || source_id, e.g. inspection:DC-2026-001, hotline:T123, patrol:P9
-- @column source: inspection (督查/暗访/测评), hotline (12345 and other citizen channels), patrol (创文巡查小程序)
-- @column source_id: The finding id (编号) or ticket id (工单编号)
-- @column notice_id: Supervision notice (督办单号) holding the finding; NULL for tickets
-- @column found_at: When found (发现时间 / 受理时间), naive UTC
-- @column due_at: Rectification deadline (整改时限), naive UTC; a deadline date means local 23:59:59
-- @column rectified_at: Since when rectified (整改完成), as currently known: NULL unless rectified now
-- @column reinspected_at: Latest re-inspection date (复查/回头看) of an inspection finding
-- @column is_rectified: Rectified now (已整改): rectified and not since reopened
-- @column has_feedback: The responsible unit has replied (已反馈; a ticket: signed, i.e. in progress or later)
-- @column is_excluded: Cancelled or closed as a duplicate (撤销/重复件): out of every denominator
-- @column site_name: Site (点位名称); for tickets the address
-- @column district_code: District (区/县级市) where the problem is, core.dim_area
-- @column town_code: Town (镇/街道), core.dim_area
-- @column community_code: Community or village (社区/村), core.dim_area
-- @column category_code: Problem category (问题类别), core.dim_category
-- @column site_type_code: Site type (点位类型), core.dim_site_type; NULL for tickets
-- @column department_code: Responsible unit (责任单位), core.dim_department
-- @column supervision_group: Supervision group that found it (督查组); NULL for tickets
-- Current state only: weekly figures come from core.fct_problem_state_interval, as of each week's end.
with

findings as (
    select * from core.fct_inspection_finding
),

tickets as (
    select * from core.fct_hotline_ticket
),

stretches as (
    select * from core.fct_problem_state_interval
),

rectified_intervals as (
    select * from core.fct_problem_rectified_interval
),

finding_problems as (
    select
        'inspection:' || finding_id as problem_id,
        'inspection' as source,
        finding_id as source_id,
        notice_id,
        found_at,
        due_at,
        reinspected_at,
        district_code,
        town_code,
        community_code,
        category_code,
        site_type_code,
        department_code,
        site_name,
        supervision_group
    from findings
),

ticket_problems as (
    select
        case when channel = 'patrol' then 'patrol' else 'hotline' end || ':' || ticket_id as problem_id,
        case when channel = 'patrol' then 'patrol' else 'hotline' end as source,
        ticket_id as source_id,
        cast(null as text) as notice_id,
        received_at as found_at,
        deadline_at as due_at,
        cast(null as timestamp) as reinspected_at,
        district_code,
        town_code,
        community_code,
        category_code,
        cast(null as text) as site_type_code,
        department_code,
        address as site_name,
        cast(null as text) as supervision_group
    from tickets
    where is_campaign_problem
),

problems as (
    select * from finding_problems
    union all
    select * from ticket_problems
),

current_state as (
    select problem_id, is_rectified, is_excluded, has_feedback
    from stretches
    where valid_until is null
),

current_rectification as (
    select problem_id, rectified_from
    from rectified_intervals
    where rectified_until is null
),

final as (
    select
        problems.problem_id,
        problems.source,
        problems.source_id,
        problems.notice_id,
        problems.found_at,
        problems.due_at,
        current_rectification.rectified_from as rectified_at,
        problems.reinspected_at,
        coalesce(current_state.is_rectified, false) as is_rectified,
        problems.district_code,
        problems.town_code,
        problems.community_code,
        problems.category_code,
        problems.site_type_code,
        problems.department_code,
        problems.site_name,
        problems.supervision_group,
        coalesce(current_state.has_feedback, false) as has_feedback,
        coalesce(current_state.is_excluded, false) as is_excluded
    from problems
    left join current_state on problems.problem_id = current_state.problem_id
    left join current_rectification on problems.problem_id = current_rectification.problem_id
)

select * from final
