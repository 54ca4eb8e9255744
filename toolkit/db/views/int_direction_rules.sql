-- int_direction_rules: the lap and whole-session rules of the current version of every direction
-- manifest (raw_direction_rules; the current version of a manifest is int_manifest_versions':
-- the one ingest_log saw last, so ingesting a corrected manifest replaces the rules of the one
-- it corrects, and removing it brings the earlier version back). folder_depth orders rules as
-- they apply: outer folders first, then by manifest path, then by line; a later rule overrides
-- an earlier one. Rules
-- with a time range or an interval plan cut a session at ingest and are not applied here.
with rules as (
    select * from raw_direction_rules
),

versions as (
    select * from int_manifest_versions
),

current_rules as (
    select rules.*
    from rules
    inner join versions
        on versions.source_sha256 = rules.source_sha256
        and versions.manifest_path = rules.manifest_path
    where rules.direction is not null
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
