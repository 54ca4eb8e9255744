-- int_study_windows: the baseline and follow-up windows, defined once (outcomes and
-- gait_outcomes both read them). One row per participant and study day inside a window, with
-- its local calendar date (local_date = enrolled_on + study_day, the int_study_days calendar).
-- in_baseline: study_day from -baseline_days_before to baseline_days_after; in_follow_up:
-- |study_day - follow_up_day| <= follow_up_window_days; follow_up_distance =
-- |study_day - follow_up_day| (the follow-up value is the closest). include_diary:
-- study_settings.outcomes_include_diary is 1 (diary entries are candidates too).
with participants as (
    select participant_id, enrolled_on from raw_participants
),

settings as (
    select
        max(value) filter (where key = 'baseline_days_before') as baseline_days_before,
        max(value) filter (where key = 'baseline_days_after') as baseline_days_after,
        max(value) filter (where key = 'follow_up_day') as follow_up_day,
        max(value) filter (where key = 'follow_up_window_days') as follow_up_window_days,
        coalesce(max(value) filter (where key = 'outcomes_include_diary'), 0) = 1
            as include_diary
    from study_settings
),

candidate_days as (
    select unnest(generate_series(
        cast(-baseline_days_before as integer) - 1,
        cast(baseline_days_after as integer) + 1
    )) as day_number
    from settings
    union
    select unnest(generate_series(
        cast(follow_up_day - follow_up_window_days as integer) - 1,
        cast(follow_up_day + follow_up_window_days as integer) + 1
    )) as day_number
    from settings
),

study_days as (
    select distinct cast(day_number as integer) as study_day from candidate_days
),

classified as (
    select
        study_days.study_day,
        study_days.study_day between -settings.baseline_days_before
            and settings.baseline_days_after as in_baseline,
        abs(study_days.study_day - settings.follow_up_day)
            <= settings.follow_up_window_days as in_follow_up,
        abs(study_days.study_day - settings.follow_up_day) as follow_up_distance,
        settings.include_diary
    from study_days
    cross join settings
),

final as (
    select
        participants.participant_id,
        classified.study_day,
        participants.enrolled_on + classified.study_day as local_date,
        classified.in_baseline,
        classified.in_follow_up,
        classified.follow_up_distance,
        classified.include_diary
    from participants
    cross join classified
    where classified.in_baseline or classified.in_follow_up
)

select * from final
