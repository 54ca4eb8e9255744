-- visit_scores: the scheduled visits after the baseline window (the long format an MMRM
-- takes). A visit is a named, non-diary visit of pain_scores on a study day after
-- baseline_days_after; when a visit was scored twice, the later score counts. baseline is the
-- one baseline of the outcomes view (same windows, same rule); change = score - baseline.
with scores as (
    select * from pain_scores
    where visit is not null and not is_diary
),

settings as (
    select max(value) filter (where key = 'baseline_days_after') as baseline_days_after
    from study_settings
),

baselines as (
    select participant_id, instrument, baseline, baseline_at from outcomes
),

participants as (
    select participant_id, arm, condition from raw_participants
),

ranked as (
    select
        scores.participant_id,
        scores.instrument,
        scores.visit,
        scores.measured_at,
        scores.study_day,
        scores.score,
        row_number() over (
            partition by scores.participant_id, scores.instrument, scores.visit
            order by scores.measured_at desc
        ) as rank_in_visit
    from scores
    cross join settings
    where scores.study_day > settings.baseline_days_after
),

final as (
    select
        ranked.participant_id,
        ranked.instrument,
        ranked.visit,
        participants.arm,
        participants.condition,
        ranked.measured_at,
        ranked.study_day,
        ranked.score,
        baselines.baseline,
        ranked.score - baselines.baseline as change
    from ranked
    inner join participants using (participant_id)
    left join baselines using (participant_id, instrument)
    where ranked.rank_in_visit = 1
)

select * from final
