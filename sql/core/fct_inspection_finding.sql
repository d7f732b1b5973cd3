-- @key finding_id
-- @grain one row per inspection finding (督查/暗访/测评发现的问题): its latest upload
-- @column finding_id: The finding's id in the supervision sheets (编号)
-- @column file_name: Drop file of the latest upload
-- @column processed_at: When that file was processed (audit.processed_files), NULL if unrecorded
-- @column n_versions: Number of uploads of this finding (a changed re-upload is an update)
-- The latest upload is the last processed file; without a processing record, the one that knows the
-- most (latest re-inspection or rectification date), then the file name.
with

finding_versions as (
    select * from staging.inspection_finding_versions
),

processed_files as (
    select * from audit.processed_files
),

ranked_versions as (
    select
        finding_versions.*,
        processed_files.processed_at,
        row_number() over (
            partition by finding_versions.finding_id
            order by
                processed_files.processed_at desc nulls last,
                coalesce(finding_versions.reinspected_at, finding_versions.rectified_at) desc nulls last,
                finding_versions.file_name desc,
                finding_versions.file_sha256 desc
        ) as recency,
        count(*) over (partition by finding_versions.finding_id) as n_versions
    from finding_versions
    left join processed_files on finding_versions.file_sha256 = processed_files.file_sha256
),

final as (
    select
        finding_id,
        notice_id,
        found_at,
        supervision_group,
        district_code,
        town_code,
        community_code,
        site_type_code,
        site_name,
        category_code,
        description,
        department_code,
        due_at,
        has_feedback,
        rectified_at,
        reinspected_at,
        reinspection_passed,
        score,
        file_name,
        file_sha256,
        processed_at,
        cast(n_versions as integer) as n_versions
    from ranked_versions
    where recency = 1
)

select * from final
