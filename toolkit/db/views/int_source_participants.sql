-- int_source_participants: the participant every linked device or wearable file belongs to,
-- derived from raw data (toolkit.ingest.core.linkage's rule) so a corrected manifest re-links
-- rows already stored. One row per raw_source_links row (a file linked at ingest). In order:
-- 1. the nearest current wearable_manifest.csv (int_manifest_versions) in the file's folder or
--    up to four folders above it with a row whose `file` pattern matches the file's path
--    relative to the manifest's folder (the last such row of that manifest);
-- 2. else the last current direction-manifest rule with a participant_id whose `file` pattern
--    matches the relative path or the file name (deeper folders override outer ones);
-- 3. else the participant the file's path names (folder convention);
-- 4. else the participant it was stored under.
-- Only enrolled participants count. linked_by says which rule decided.
with files as (
    select * from raw_source_links
),

participants as (
    select participant_id from raw_participants
),

versions as (
    select * from int_manifest_versions
),

wearable_rules as (
    select links.*
    from raw_participant_links as links
    inner join versions
        on versions.source_sha256 = links.source_sha256
        and versions.manifest_path = links.manifest_path
    inner join participants on participants.participant_id = links.linked_participant_id
),

direction_rules as (
    select rules.*
    from raw_direction_rules as rules
    inner join versions
        on versions.source_sha256 = rules.source_sha256
        and versions.manifest_path = rules.manifest_path
    inner join participants on participants.participant_id = rules.linked_participant_id
    where rules.file_like is not null
),

placed as (
    select
        files.source_sha256,
        files.source_path,
        files.source_file,
        wearable_rules.manifest_folder,
        wearable_rules.line,
        wearable_rules.linked_participant_id,
        wearable_rules.file_like,
        substr(files.source_path, length(wearable_rules.manifest_folder) + 2) as relative_path
    from files
    inner join wearable_rules
        on substr(files.source_path, 1, length(wearable_rules.manifest_folder) + 1)
            = wearable_rules.manifest_folder || '/'
),

wearable_matches as (
    select
        source_sha256,
        linked_participant_id,
        row_number() over (
            partition by source_sha256 order by length(manifest_folder) desc, line desc
        ) as precedence
    from placed
    where relative_path like file_like escape '^'
        and length(relative_path) - length(replace(relative_path, '/', '')) <= 4
),

direction_matches as (
    select
        files.source_sha256,
        direction_rules.linked_participant_id,
        row_number() over (
            partition by files.source_sha256
            order by
                length(direction_rules.manifest_folder) desc,
                direction_rules.manifest_path desc,
                direction_rules.line desc
        ) as precedence
    from files
    inner join direction_rules
        on substr(files.source_path, 1, length(direction_rules.manifest_folder) + 1)
            = direction_rules.manifest_folder || '/'
    where substr(files.source_path, length(direction_rules.manifest_folder) + 2)
            like direction_rules.file_like escape '^'
        or files.source_file like direction_rules.file_like escape '^'
),

final as (
    select
        files.source_sha256,
        files.source_path,
        coalesce(
            wearable_matches.linked_participant_id,
            direction_matches.linked_participant_id,
            convention.participant_id,
            files.participant_id
        ) as participant_id,
        files.participant_id as stored_participant_id,
        case
            when wearable_matches.linked_participant_id is not null then 'wearable manifest'
            when direction_matches.linked_participant_id is not null then 'direction manifest'
            when convention.participant_id is not null then 'path'
            else 'as stored'
        end as linked_by
    from files
    left join wearable_matches
        on wearable_matches.source_sha256 = files.source_sha256
        and wearable_matches.precedence = 1
    left join direction_matches
        on direction_matches.source_sha256 = files.source_sha256
        and direction_matches.precedence = 1
    left join participants as convention
        on convention.participant_id = files.convention_participant_id
)

select * from final
