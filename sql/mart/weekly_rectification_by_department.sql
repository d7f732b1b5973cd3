-- @grain one row per week × responsible unit (责任单位: municipal department or town government): rectification figures of the problems assigned to it
-- @column week_start: Local Monday of the ISO week (周一); the week runs Monday 00:00 to Sunday 24:00 Asia/Shanghai
-- @column iso_year: ISO year of the week (年)
-- @column iso_week: ISO week number (周次)
-- @column department_code: Responsible unit code from the reference set (责任单位代码)
-- @column department_name: Responsible unit (责任单位)
-- @column department_kind: municipal (市直部门) or town (镇街政府)
-- @column n_found: Problems found in the week, cancelled/duplicate excluded (本周发现问题数)
-- @column n_rectified: Of those, rectified as of Sunday 24:00: rectified and not reopened by a failed re-inspection since (本周已整改数)
-- @column rectification_rate: Weekly rectification rate (本周整改率) = n_rectified / n_found; NULL when nothing was found
-- @column n_found_cumulative: Problems found from the campaign's first week to the end of this week (累计发现问题数)
-- @column n_rectified_cumulative: Of those, rectified as of the end of this week (累计已整改数)
-- @column cumulative_rectification_rate: Cumulative rectification rate (累计整改率) = n_rectified_cumulative / n_found_cumulative
-- @column n_due: Problems whose deadline (整改时限) falls in the week (本周到期问题数)
-- @column n_rectified_on_time: Of those, rectified by the deadline: rectified_at <= due_at and not reopened by then (按期整改数)
-- @column on_time_rate: On-time rate (按期整改率) = n_rectified_on_time / n_due; NULL when nothing was due
with

counts as (
    select * from core.agg_rectification_weekly
),

weeks as (
    select * from core.dim_week
),

departments as (
    select * from core.dim_department
),

department_counts as (
    select *
    from counts
    where unit_kind = 'department'
),

final as (
    select
        department_counts.week_start,
        weeks.iso_year,
        weeks.iso_week,
        department_counts.unit_code as department_code,
        coalesce(departments.department_name, department_counts.unit_code) as department_name,
        departments.department_kind,
        department_counts.n_found,
        department_counts.n_rectified,
        cast(department_counts.n_rectified as double precision)
            / nullif(department_counts.n_found, 0) as rectification_rate,
        department_counts.n_found_cumulative,
        department_counts.n_rectified_cumulative,
        cast(department_counts.n_rectified_cumulative as double precision)
            / nullif(department_counts.n_found_cumulative, 0) as cumulative_rectification_rate,
        department_counts.n_due,
        department_counts.n_rectified_on_time,
        cast(department_counts.n_rectified_on_time as double precision)
            / nullif(department_counts.n_due, 0) as on_time_rate
    from department_counts
    inner join weeks on department_counts.week_start = weeks.week_start
    left join departments on department_counts.unit_code = departments.department_code
)

select * from final
