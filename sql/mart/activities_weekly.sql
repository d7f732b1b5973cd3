-- @grain one row per week × district × event category × organizer, from the week of the combination's first held event to the latest week (weeks without events show 0): campaign events held (创文活动/志愿服务)
-- @column week_start: Local Monday of the ISO week (周一); an event belongs to the week of its start
-- @column iso_year: ISO year of the week (年)
-- @column iso_week: ISO week number (周次)
-- @column district_name: District where the event was held (区/县级市)
-- @column category: Event category name (活动类别), e.g. 文明宣传, 志愿服务
-- @column organizer: Organizing unit as given by the volunteer platform (组织单位)
-- @column n_events: Events held (status held) starting in the week (举办场次); planned and cancelled events do not count
-- @column n_participants: Attendance of those events (参与人次)
-- @column n_volunteers: Volunteers of those events (志愿者人数, summed per event)
-- @column volunteer_hours: Volunteer hours of those events (志愿服务时长)
-- @column n_events_cumulative: Events held from the campaign's first week to the end of this week, same district, category and organizer (累计举办场次)
-- @column n_participants_cumulative: Attendance since the campaign's first week (累计参与人次)
-- @column n_volunteers_cumulative: Volunteers since the campaign's first week (累计志愿者人数)
-- @column volunteer_hours_cumulative: Volunteer hours since the campaign's first week (累计志愿服务时长)
with

weeks as (
    select * from core.dim_week
),

events as (
    select * from core.fct_event
),

areas as (
    select * from core.dim_area
),

event_categories as (
    select * from core.dim_event_category
),

held_events as (
    select
        cast(date_trunc('week', start_at + interval '8 hours') as date) as week_start,
        district_code,
        category_code,
        organizer,
        participants,
        volunteers,
        volunteer_hours
    from events
    where is_held
),

weekly_sums as (
    select
        held_events.week_start,
        held_events.district_code,
        held_events.category_code,
        held_events.organizer,
        count(*) as n_events,
        sum(held_events.participants) as n_participants,
        sum(held_events.volunteers) as n_volunteers,
        sum(held_events.volunteer_hours) as volunteer_hours
    from held_events
    inner join weeks on held_events.week_start = weeks.week_start
    group by held_events.week_start, held_events.district_code, held_events.category_code, held_events.organizer
),

activity_groups as (
    select district_code, category_code, organizer, min(week_start) as first_week_start
    from weekly_sums
    group by district_code, category_code, organizer
),

group_weeks as (
    select activity_groups.district_code, activity_groups.category_code, activity_groups.organizer, weeks.week_start
    from activity_groups
    inner join weeks on weeks.week_start >= activity_groups.first_week_start
),

filled as (
    select
        group_weeks.week_start,
        group_weeks.district_code,
        group_weeks.category_code,
        group_weeks.organizer,
        coalesce(weekly_sums.n_events, 0) as n_events,
        coalesce(weekly_sums.n_participants, 0) as n_participants,
        coalesce(weekly_sums.n_volunteers, 0) as n_volunteers,
        coalesce(weekly_sums.volunteer_hours, 0) as volunteer_hours
    from group_weeks
    left join weekly_sums
        on group_weeks.week_start = weekly_sums.week_start
        and group_weeks.district_code = weekly_sums.district_code
        and group_weeks.category_code = weekly_sums.category_code
        and group_weeks.organizer = weekly_sums.organizer
),

final as (
    select
        filled.week_start,
        weeks.iso_year,
        weeks.iso_week,
        coalesce(areas.area_name, filled.district_code) as district_name,
        coalesce(event_categories.event_category_name, filled.category_code) as category,
        filled.organizer,
        cast(filled.n_events as integer) as n_events,
        cast(filled.n_participants as integer) as n_participants,
        cast(filled.n_volunteers as integer) as n_volunteers,
        cast(filled.volunteer_hours as double precision) as volunteer_hours,
        cast(sum(filled.n_events) over cumulative_window as integer) as n_events_cumulative,
        cast(sum(filled.n_participants) over cumulative_window as integer) as n_participants_cumulative,
        cast(sum(filled.n_volunteers) over cumulative_window as integer) as n_volunteers_cumulative,
        cast(sum(filled.volunteer_hours) over cumulative_window as double precision) as volunteer_hours_cumulative
    from filled
    inner join weeks on filled.week_start = weeks.week_start
    left join areas on filled.district_code = areas.area_code
    left join event_categories on filled.category_code = event_categories.event_category_code
    window cumulative_window as (
        partition by filled.district_code, filled.category_code, filled.organizer
        order by filled.week_start
        rows between unbounded preceding and current row
    )
)

select * from final
