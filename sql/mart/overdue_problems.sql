-- @grain one row per week × problem open at the week's end (Sunday 24:00 local) whose deadline had passed (超期未整改)
-- @column week_start: Local Monday of the week whose end is the cutoff (周一)
-- @column problem_id: source || ':' || source_id (问题编号)
-- @column source: inspection (督查) / hotline (12345) / patrol (巡查小程序)
-- @column found_at: When found (发现时间), naive UTC
-- @column due_at: Deadline (整改时限), naive UTC; a deadline date means local 23:59:59
-- @column days_overdue: Whole days from the deadline to the week's end (超期天数), rounded down: a deadline on Friday is 2 days overdue at Sunday 24:00, one on that Sunday 0
-- @column district_name: District (区/县级市)
-- @column town_name: Town (镇/街道)
-- @column site_name: Site (点位名称); for tickets the address
-- @column category_name: Problem category (问题类别)
-- @column department_name: Responsible unit (责任单位)
-- @column overdue_kind: 未反馈 when the unit had not replied by the cutoff (inspection: no feedback; ticket: still received or dispatched, never signed), else 未整改 (replied, not rectified or reopened)
-- Open = found before the cutoff, not rectified as of it (a failed re-inspection reopens) and not cancelled/duplicate.
with

weeks as (
    select * from core.dim_week
),

problems as (
    select * from core.fct_problem
),

stretches as (
    select * from core.fct_problem_state_interval
),

areas as (
    select * from core.dim_area
),

categories as (
    select * from core.dim_category
),

departments as (
    select * from core.dim_department
),

-- Only stretches that are open and last past the deadline can put a problem on a week's list.
overdue_stretches as (
    select
        stretches.problem_id,
        stretches.valid_from,
        stretches.valid_until,
        stretches.has_feedback,
        problems.due_at
    from stretches
    inner join problems on stretches.problem_id = problems.problem_id
    where not stretches.is_rectified
      and not stretches.is_excluded
      and problems.due_at is not null
      and (stretches.valid_until is null or stretches.valid_until > problems.due_at)
),

overdue_at_week_end as (
    select
        weeks.week_start,
        weeks.week_end_utc,
        overdue_stretches.problem_id,
        overdue_stretches.has_feedback,
        overdue_stretches.due_at
    from overdue_stretches
    inner join weeks
        on overdue_stretches.valid_from < weeks.week_end_utc
        and coalesce(overdue_stretches.valid_until, weeks.week_end_utc) >= weeks.week_end_utc
        and overdue_stretches.due_at < weeks.week_end_utc
),

final as (
    select
        overdue_at_week_end.week_start,
        problems.problem_id,
        problems.source,
        problems.found_at,
        problems.due_at,
        cast(floor(
            extract(epoch from (overdue_at_week_end.week_end_utc - overdue_at_week_end.due_at)) / 86400
        ) as integer) as days_overdue,
        districts.area_name as district_name,
        towns.area_name as town_name,
        problems.site_name,
        coalesce(categories.category_name, problems.category_code) as category_name,
        coalesce(departments.department_name, problems.department_code) as department_name,
        case when overdue_at_week_end.has_feedback then '未整改' else '未反馈' end as overdue_kind
    from overdue_at_week_end
    inner join problems on overdue_at_week_end.problem_id = problems.problem_id
    left join areas as districts on problems.district_code = districts.area_code
    left join areas as towns on problems.town_code = towns.area_code
    left join categories on problems.category_code = categories.category_code
    left join departments on problems.department_code = departments.department_code
)

select * from final
