-- @grain one row per week × unit_kind (department / district / town) × unit with problems found that week: the weekly ranking and red/black list (红黑榜)
-- @column week_start: Local Monday of the ISO week ranked (周一)
-- @column iso_year: ISO year of the week (年)
-- @column iso_week: ISO week number (周次)
-- @column unit_kind: department (市直部门; town governments are ranked as towns), district (区/县级市) or town (镇/街道, by where the problems are)
-- @column unit_code: Department or area code
-- @column unit_name: Department or area name (单位名称)
-- @column n_found: Problems found in the week, cancelled/duplicate excluded (本周发现问题数); units with none are not ranked
-- @column n_rectified: Of those, rectified as of Sunday 24:00 (本周已整改数)
-- @column rectification_rate: Weekly rectification rate (本周整改率) = n_rectified / n_found: the ranking key
-- @column rank: Rank among the unit kind's ranked units that week, 1 = highest rate; ties share a rank and the next rank is skipped (1, 1, 3) (排名)
-- @column n_ranked: Number of units of this kind ranked that week (参评单位数)
-- @column list: red (红榜: rank <= the red size) / black (黑榜: rank counted from the bottom <= the black size) / NULL; ties at a boundary are all listed, so a list can be longer than its size. A unit that qualifies for both (few units ranked) goes on the list whose end it is nearer to, on neither if equally near (e.g. all ranked units tie). Sizes: core.settings red_/black_departments, _districts, _towns (default 5/3, 1/1, 1/1)
-- @column consecutive_black_weeks: Weeks in a row, ending this week, on the black list (连续上黑榜周数); a week in which the unit was not on the black list, including one in which it found no problems and was not ranked, breaks the run; 0 when not black this week
-- @column escalation: For the black list: 1st week 市领导约谈 (interview by a city leader), 2nd in a row 组织部约谈 (by the organization department), 3rd or more in a row 问责 (accountability)
with

counts as (
    select * from core.agg_rectification_weekly
),

weeks as (
    select * from core.dim_week
),

settings as (
    select * from core.settings
),

areas as (
    select * from core.dim_area
),

departments as (
    select * from core.dim_department
),

list_sizes as (
    select
        unit_kind,
        coalesce(max(case when key = red_key then value end), default_red) as red_size,
        coalesce(max(case when key = black_key then value end), default_black) as black_size
    from (
        select 'department' as unit_kind, 'red_departments' as red_key, 'black_departments' as black_key,
            5 as default_red, 3 as default_black
        union all
        select 'district' as unit_kind, 'red_districts' as red_key, 'black_districts' as black_key,
            1 as default_red, 1 as default_black
        union all
        select 'town' as unit_kind, 'red_towns' as red_key, 'black_towns' as black_key,
            1 as default_red, 1 as default_black
    ) as size_keys
    left join settings on settings.key in (size_keys.red_key, size_keys.black_key)
    group by unit_kind, default_red, default_black
),

units as (
    select 'department' as unit_kind, department_code as unit_code, department_name as unit_name
    from departments
    where department_kind = 'municipal'
    union all
    select area_level as unit_kind, area_code as unit_code, area_name as unit_name
    from areas
    where area_level in ('district', 'town')
),

ranked_counts as (
    select
        counts.week_start,
        counts.unit_kind,
        counts.unit_code,
        units.unit_name,
        counts.n_found,
        counts.n_rectified,
        cast(counts.n_rectified as double precision) / counts.n_found as rectification_rate
    from counts
    inner join units
        on counts.unit_kind = units.unit_kind
        and counts.unit_code = units.unit_code
    where counts.n_found > 0
),

ranked as (
    select
        ranked_counts.*,
        rank() over (
            partition by week_start, unit_kind order by rectification_rate desc
        ) as rank_from_top,
        rank() over (
            partition by week_start, unit_kind order by rectification_rate asc
        ) as rank_from_bottom,
        count(*) over (partition by week_start, unit_kind) as n_ranked
    from ranked_counts
),

listed as (
    select
        ranked.*,
        case
            when ranked.rank_from_top <= list_sizes.red_size
                and (ranked.rank_from_bottom > list_sizes.black_size
                    or ranked.rank_from_top < ranked.rank_from_bottom) then 'red'
            when ranked.rank_from_bottom <= list_sizes.black_size
                and (ranked.rank_from_top > list_sizes.red_size
                    or ranked.rank_from_bottom < ranked.rank_from_top) then 'black'
        end as list_name
    from ranked
    inner join list_sizes on ranked.unit_kind = list_sizes.unit_kind
),

black_runs as (
    select
        listed.week_start,
        listed.unit_kind,
        listed.unit_code,
        weeks.week_index - row_number() over (
            partition by listed.unit_kind, listed.unit_code order by weeks.week_index
        ) as run_id
    from listed
    inner join weeks on listed.week_start = weeks.week_start
    where listed.list_name = 'black'
),

black_streaks as (
    select
        week_start,
        unit_kind,
        unit_code,
        row_number() over (
            partition by unit_kind, unit_code, run_id order by week_start
        ) as consecutive_black_weeks
    from black_runs
),

final as (
    select
        listed.week_start,
        weeks.iso_year,
        weeks.iso_week,
        listed.unit_kind,
        listed.unit_code,
        listed.unit_name,
        listed.n_found,
        listed.n_rectified,
        listed.rectification_rate,
        cast(listed.rank_from_top as integer) as rank,
        cast(listed.n_ranked as integer) as n_ranked,
        listed.list_name as list,
        cast(coalesce(black_streaks.consecutive_black_weeks, 0) as integer) as consecutive_black_weeks,
        case
            when black_streaks.consecutive_black_weeks = 1 then '市领导约谈'
            when black_streaks.consecutive_black_weeks = 2 then '组织部约谈'
            when black_streaks.consecutive_black_weeks >= 3 then '问责'
        end as escalation
    from listed
    inner join weeks on listed.week_start = weeks.week_start
    left join black_streaks
        on listed.week_start = black_streaks.week_start
        and listed.unit_kind = black_streaks.unit_kind
        and listed.unit_code = black_streaks.unit_code
)

select * from final
