-- @key problem_id
-- @grain one row per change of a problem's status: found, feedback, dispatched, in_progress, rectified, reinspection_passed, reopened, cancelled, duplicate, received
-- @column problem_id: source || ':' || source_id (see core.fct_problem)
-- @column source: inspection / hotline / patrol
-- @column event_seq: 1, 2, ... in time order within the problem (ties: found, feedback, rectified, reopened, reinspection_passed; tickets in the order the hotline reported them)
-- @column event_at: When it happened, naive UTC; never before the problem was found
-- @column event_type: found (发现/受理), feedback (已反馈), dispatched (派单), in_progress (签收办理), rectified (整改完成/办结), reinspection_passed (复查通过), reopened (复查未通过 or ticket reopened 退回重办), cancelled (撤销), duplicate (重复件), received (a cancelled ticket back in work)
-- Inspection findings carry dates, not a log: each upload's rectification and re-inspection dates are
-- events, so re-uploads build the history (rectified 3/5, failed re-inspection 3/10, rectified 3/15 ...).
-- A reply (feedback) has no date of its own: it counts from the rectification date if given, else from
-- the processing of the first file that shows it, else from the finding date.
with

finding_versions as (
    select * from staging.inspection_finding_versions
),

processed_files as (
    select * from audit.processed_files
),

findings as (
    select * from core.fct_inspection_finding
),

ticket_events as (
    select * from core.fct_hotline_ticket_status_event
),

finding_version_events as (
    select
        finding_versions.finding_id,
        finding_versions.rectified_at,
        finding_versions.reinspected_at,
        finding_versions.reinspection_passed,
        case
            when finding_versions.has_feedback or finding_versions.rectified_at is not null
                then coalesce(
                    least(finding_versions.rectified_at, processed_files.processed_at),
                    finding_versions.found_at
                )
        end as feedback_at
    from finding_versions
    left join processed_files on finding_versions.file_sha256 = processed_files.file_sha256
),

inspection_events as (
    select finding_id, found_at as event_at, 'found' as event_type, 0 as type_order
    from findings
    union all
    select finding_id, min(feedback_at) as event_at, 'feedback' as event_type, 1 as type_order
    from finding_version_events
    where feedback_at is not null
    group by finding_id
    union all
    select distinct finding_id, rectified_at as event_at, 'rectified' as event_type, 2 as type_order
    from finding_version_events
    where rectified_at is not null
    union all
    select distinct
        finding_id,
        reinspected_at as event_at,
        case when reinspection_passed then 'reinspection_passed' else 'reopened' end as event_type,
        case when reinspection_passed then 4 else 3 end as type_order
    from finding_version_events
    where reinspected_at is not null and reinspection_passed is not null
),

inspection_problem_events as (
    select
        'inspection:' || inspection_events.finding_id as problem_id,
        'inspection' as source,
        greatest(inspection_events.event_at, findings.found_at) as event_at,
        inspection_events.event_type,
        inspection_events.type_order,
        0 as source_seq
    from inspection_events
    inner join findings on inspection_events.finding_id = findings.finding_id
),

ticket_problem_events as (
    select
        case when channel = 'patrol' then 'patrol' else 'hotline' end || ':' || ticket_id as problem_id,
        case when channel = 'patrol' then 'patrol' else 'hotline' end as source,
        event_at,
        case
            when event_seq = 1 then 'found'
            when event_type = 'closed' then 'rectified'
            else event_type
        end as event_type,
        0 as type_order,
        event_seq as source_seq
    from ticket_events
    where is_campaign_problem
      and event_type <> 'rated'
),

unioned as (
    select * from inspection_problem_events
    union all
    select * from ticket_problem_events
),

final as (
    select
        problem_id,
        source,
        cast(row_number() over (
            partition by problem_id order by event_at, type_order, source_seq
        ) as integer) as event_seq,
        event_at,
        event_type
    from unioned
)

select * from final
