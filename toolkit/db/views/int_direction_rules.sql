-- int_direction_rules: the lap and whole-session rules of the current version of every direction
-- manifest (raw_direction_rules). A manifest is known by its location (manifest_path); its
-- current version is the one ingest_log saw last (loaded, or found again as a duplicate), so
-- ingesting a corrected manifest replaces the rules of the one it corrects, and removing it
-- brings the earlier version back. folder_depth orders rules as they apply: outer folders
-- first, then by manifest path, then by line; a later rule overrides an earlier one. Rules
-- with a time range or an interval plan cut a session at ingest and are not applied here.
with rules as (
    select * from raw_direction_rules
),

attempts as (
    select sha256, max(attempt_id) as last_attempt
    from raw_ingest_log
    where status in ('loaded', 'duplicate')
    group by sha256
),

versions as (
    select distinct rules.manifest_path, rules.source_sha256, attempts.last_attempt
    from rules
    inner join attempts on attempts.sha256 = rules.source_sha256
),

ranked_versions as (
    select
        manifest_path,
        source_sha256,
        row_number() over (partition by manifest_path order by last_attempt desc) as recency
    from versions
),

current_rules as (
    select rules.*
    from rules
    inner join ranked_versions
        on ranked_versions.source_sha256 = rules.source_sha256
        and ranked_versions.manifest_path = rules.manifest_path
    where ranked_versions.recency = 1
        and rules.direction is not null
        and rules.start_s is null
        and rules.plan is null
),

final as (
    select
        manifest_path,
        manifest_folder,
        line,
        file_like,
        session_id,
        lap,
        direction,
        -- the folders holding manifests that can name one file are nested, so the longer
        -- path is the deeper folder
        length(manifest_folder) as folder_depth,
        source_sha256
    from current_rules
)

select * from final
