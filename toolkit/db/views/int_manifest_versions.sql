-- int_manifest_versions: the current version of every manifest (direction manifests in
-- raw_direction_rules, wearable manifests in raw_participant_links). A manifest is known by its
-- location (manifest_path); its current version is the one ingest_log saw last (loaded, or
-- found again as a duplicate), so ingesting a corrected manifest replaces the rows of the one it
-- corrects, and removing it brings the earlier version back.
with manifest_files as (
    select distinct manifest_path, source_sha256 from raw_direction_rules
    union
    select distinct manifest_path, source_sha256 from raw_participant_links
),

attempts as (
    select sha256, max(attempt_id) as last_attempt
    from raw_ingest_log
    where status in ('loaded', 'duplicate')
    group by sha256
),

ranked as (
    select
        manifest_files.manifest_path,
        manifest_files.source_sha256,
        row_number() over (
            partition by manifest_files.manifest_path order by attempts.last_attempt desc
        ) as recency
    from manifest_files
    inner join attempts on attempts.sha256 = manifest_files.source_sha256
),

final as (
    select manifest_path, source_sha256
    from ranked
    where recency = 1
)

select * from final
