-- @grain one row per campaign event (创文活动/志愿服务) of the volunteer platform: its latest version
-- @column event_id: The volunteer platform's event id (活动编号)
-- @column category_code: Event category code (活动类别), see core.dim_event_category
-- @column organizer: Organizing unit as given by the platform (组织单位)
-- @column start_at: Start (开始时间), naive UTC; an event belongs to the week of its start
-- @column status: planned (计划) / held (已举办) / cancelled (已取消)
-- @column is_held: Status held: the event counts in activity figures
-- @column participants: Attendance (参与人次); 0 for a cancelled event
-- @column volunteers: Volunteers (志愿者人数); 0 for a cancelled event
-- @column volunteer_hours: Volunteer hours (志愿服务时长); 0 for a cancelled event
with

events as (
    select * from staging.events
),

final as (
    select
        event_id,
        title,
        category_code,
        organizer,
        district_code,
        town_code,
        start_at,
        end_at,
        status,
        status = 'held' as is_held,
        case when status = 'cancelled' then 0 else participants end as participants,
        case when status = 'cancelled' then 0 else volunteers end as volunteers,
        case when status = 'cancelled' then cast(0 as double precision) else volunteer_hours end as volunteer_hours,
        updated_at
    from events
)

select * from final
