-- outcomes: the one baseline and follow-up of every participant and instrument with a score.
-- Candidates are scheduled-visit scores (pain_scores.is_diary false), diary entries too when
-- study_settings.outcomes_include_diary is 1. The windows are int_study_windows' (defined
-- once, shared with gait_outcomes): baseline = the latest candidate in the baseline window
-- (baseline_days_before days before enrolment to baseline_days_after after); follow_up = the
-- candidate closest to follow_up_day within +-follow_up_window_days (the later one on a tie).
-- responder: improvement (in the instrument's better direction) of at least mcid_points, or
-- of at least mcid_percent of baseline.
with scores as (
    select * from pain_scores
),

instruments as (
    select * from ref_instruments
),

windows as (
    select * from int_study_windows
),

pairs as (
    select distinct participant_id, instrument from scores
),

candidates as (
    select
        scores.*,
        windows.in_baseline,
        windows.in_follow_up,
        windows.follow_up_distance
    from scores
    inner join windows
        on windows.participant_id = scores.participant_id
        and windows.study_day = scores.study_day
    where not scores.is_diary or windows.include_diary
),

baseline_ranked as (
    select
        participant_id,
        instrument,
        score as baseline,
        measured_at as baseline_at,
        row_number() over (
            partition by participant_id, instrument order by measured_at desc
        ) as rank_in_window
    from candidates
    where in_baseline
),

baseline as (
    select participant_id, instrument, baseline, baseline_at
    from baseline_ranked
    where rank_in_window = 1
),

follow_up_ranked as (
    select
        participant_id,
        instrument,
        score as follow_up,
        measured_at as follow_up_at,
        row_number() over (
            partition by participant_id, instrument
            order by follow_up_distance, measured_at desc
        ) as rank_in_window
    from candidates
    where in_follow_up
),

follow_up as (
    select participant_id, instrument, follow_up, follow_up_at
    from follow_up_ranked
    where rank_in_window = 1
),

joined as (
    select
        pairs.participant_id,
        pairs.instrument,
        baseline.baseline,
        baseline.baseline_at,
        follow_up.follow_up,
        follow_up.follow_up_at,
        follow_up.follow_up - baseline.baseline as change,
        case when instruments.higher_is_better
            then follow_up.follow_up - baseline.baseline
            else baseline.baseline - follow_up.follow_up
        end as improvement,
        instruments.mcid_points,
        instruments.mcid_percent
    from pairs
    left join baseline using (participant_id, instrument)
    left join follow_up using (participant_id, instrument)
    left join instruments using (instrument)
),

final as (
    select
        participant_id,
        instrument,
        baseline,
        follow_up,
        change,
        100.0 * change / nullif(baseline, 0) as percent_change,
        improvement,
        case
            when improvement is null then null
            when mcid_points is null and mcid_percent is null then null
            when mcid_points is not null and improvement >= mcid_points then true
            when mcid_percent is not null and baseline <> 0
                and 100.0 * improvement / abs(baseline) >= mcid_percent then true
            else false
        end as responder,
        baseline_at,
        follow_up_at
    from joined
)

select * from final
