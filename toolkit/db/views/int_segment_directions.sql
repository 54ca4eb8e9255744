-- int_segment_directions: the walking direction of every treadmill segment. The export's own
-- direction where it gives one; for the laps of a device export (int_treadmill_sessions
-- labelling 'laps', e.g. FIT and TCX, which never record direction) the direction of the last
-- current manifest rule (int_direction_rules, by precedence) that names the session's file
-- (its path relative to the manifest's folder, or its file name, matches the rule's pattern)
-- or its session_id, and this lap or every lap; else unknown.
with segments as (
    select * from int_treadmill_segments
),

session_files as (
    select
        participant_id,
        session_id,
        source_path,
        source_file as file_name
    from int_treadmill_sessions
    where labelling = 'laps'
),

rules as (
    select * from int_direction_rules
),

unlabelled as (
    select segments.participant_id, segments.session_id, segments.segment,
        session_files.source_path, session_files.file_name
    from segments
    inner join session_files using (participant_id, session_id)
    where segments.direction = 'unknown'
),

matched as (
    select
        unlabelled.participant_id,
        unlabelled.session_id,
        unlabelled.segment,
        rules.direction,
        row_number() over (
            partition by unlabelled.participant_id, unlabelled.session_id, unlabelled.segment
            order by rules.folder_depth desc, rules.manifest_path desc, rules.line desc
        ) as override_rank
    from unlabelled
    inner join rules
        on substr(unlabelled.source_path, 1, length(rules.manifest_folder) + 1)
            = rules.manifest_folder || '/'
    where (rules.session_id is null or rules.session_id = unlabelled.session_id)
        and (rules.lap is null or rules.lap = unlabelled.segment)
        and (
            rules.file_like is null
            or substr(unlabelled.source_path, length(rules.manifest_folder) + 2)
                like rules.file_like escape '^'
            or unlabelled.file_name like rules.file_like escape '^'
        )
),

final as (
    select
        segments.participant_id,
        segments.session_id,
        segments.segment,
        coalesce(matched.direction, segments.direction) as direction
    from segments
    left join matched
        on matched.participant_id = segments.participant_id
        and matched.session_id = segments.session_id
        and matched.segment = segments.segment
        and matched.override_rank = 1
)

select * from final
