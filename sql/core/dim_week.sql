-- @grain one row per ISO week (Monday 00:00 to Sunday 24:00 Asia/Shanghai), from the campaign's first week to the latest data
-- @column week_start: Local Monday that starts the week (周一, Asia/Shanghai)
-- @column iso_year: ISO year of the week (ISO 周所属年)
-- @column iso_week: ISO week number 1-53 (ISO 周次)
-- @column week_start_utc: Monday 00:00 local as naive UTC (Sunday 16:00 UTC), inclusive
-- @column week_end_utc: Sunday 24:00 local (next Monday 00:00) as naive UTC, exclusive: the week's as-of cutoff (截止时点)
-- @column week_index: 1 for the campaign's first week, +1 per week (consecutive-week arithmetic)
-- The first week is the one holding core.settings `campaign_start` (an integer YYYYMMDD) when set, else the
-- earliest finding, ticket or held event; the last is the week of the latest timestamp in staging.
-- Asia/Shanghai has had no daylight saving since 1991, so local = UTC + 8 hours exactly.
with recursive

settings as (
    select * from core.settings
),

inspection_versions as (
    select * from staging.inspection_finding_versions
),

hotline_versions as (
    select * from staging.hotline_ticket_versions
),

events as (
    select * from staging.events
),

configured_start as (
    select
        make_date(
            cast(floor(value / 10000) as integer),
            mod(cast(floor(value / 100) as integer), 100),
            mod(value, 100)
        ) as campaign_start
    from settings
    where key = 'campaign_start'
),

-- One row per table: each table's earliest and latest times, aggregated before the union (a single pass
-- per table; max over rows of greatest(...) is greatest(...) of the maxima, as both skip NULLs).
data_times as (
    select min(found_at) as first_at, greatest(max(found_at), max(rectified_at), max(reinspected_at)) as last_at
    from inspection_versions
    union all
    select min(received_at) as first_at, greatest(max(received_at), max(version_at), max(closed_at)) as last_at
    from hotline_versions
    union all
    select min(start_at) as first_at, greatest(max(start_at), max(updated_at)) as last_at
    from events
    where status = 'held'
),

bounds as (
    select
        date_trunc(
            'week',
            coalesce(
                (select cast(campaign_start as timestamp) from configured_start),
                min(first_at) + interval '8 hours'
            )
        ) as first_week,
        date_trunc('week', max(last_at) + interval '8 hours') as last_week
    from data_times
),

week_series as (
    select first_week as week_start_local, greatest(first_week, coalesce(last_week, first_week)) as last_week
    from bounds
    where first_week is not null
    union all
    select week_start_local + interval '7 days' as week_start_local, last_week
    from week_series
    where week_start_local < last_week
),

final as (
    select
        cast(week_start_local as date) as week_start,
        cast(extract(isoyear from week_start_local) as integer) as iso_year,
        cast(extract(week from week_start_local) as integer) as iso_week,
        week_start_local - interval '8 hours' as week_start_utc,
        week_start_local + interval '7 days' - interval '8 hours' as week_end_utc,
        cast(row_number() over (order by week_start_local) as integer) as week_index
    from week_series
)

select * from final
