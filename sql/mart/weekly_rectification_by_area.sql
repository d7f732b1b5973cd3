-- @grain one row per week × area level (district / town) × area: rectification figures (整改率) of the problems located there
-- @column week_start: Local Monday of the ISO week (周一); the week runs Monday 00:00 to Sunday 24:00 Asia/Shanghai
-- @column iso_year: ISO year of the week (年)
-- @column iso_week: ISO week number (周次)
-- @column area_level: district (区/县级市) or town (镇/街道)
-- @column area_code: Area code from the reference set (行政区划代码)
-- @column area_name: Area name (区/镇街名称)
-- @column parent_area_name: For a town, its district (所属区); NULL for a district
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

areas as (
    select * from core.dim_area
),

area_counts as (
    select *
    from counts
    where unit_kind in ('district', 'town')
),

final as (
    select
        area_counts.week_start,
        weeks.iso_year,
        weeks.iso_week,
        area_counts.unit_kind as area_level,
        area_counts.unit_code as area_code,
        coalesce(areas.area_name, area_counts.unit_code) as area_name,
        case when area_counts.unit_kind = 'town' then parent_areas.area_name end as parent_area_name,
        area_counts.n_found,
        area_counts.n_rectified,
        cast(area_counts.n_rectified as double precision)
            / nullif(area_counts.n_found, 0) as rectification_rate,
        area_counts.n_found_cumulative,
        area_counts.n_rectified_cumulative,
        cast(area_counts.n_rectified_cumulative as double precision)
            / nullif(area_counts.n_found_cumulative, 0) as cumulative_rectification_rate,
        area_counts.n_due,
        area_counts.n_rectified_on_time,
        cast(area_counts.n_rectified_on_time as double precision)
            / nullif(area_counts.n_due, 0) as on_time_rate
    from area_counts
    inner join weeks on area_counts.week_start = weeks.week_start
    left join areas on area_counts.unit_code = areas.area_code
    left join areas as parent_areas on areas.parent_code = parent_areas.area_code
)

select * from final
