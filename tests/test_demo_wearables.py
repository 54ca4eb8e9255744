"""The demo's wearable exports: who wears what, one source per hour, workouts from sessions."""

from __future__ import annotations

from pathlib import Path

from toolkit import open_study


def test_demo_wearables_load_and_prefer_the_watch(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        formats = dict(
            study.sql(
                "select format, count(*) from ingest_log where status = 'loaded' "
                "and format in ('apple_health', 'fitbit') group by all"
            ).rows()
        )
        # 90 participants: Apple Health for index 1, 11, ..., 81; Fitbit for index 6 and 56
        assert formats["apple_health"] == 9
        assert formats["fitbit"] > 0
        people = study.sql("select count(distinct participant_id) from wearable_daily").item()
        assert people == 11
        # the phone counts the same hours as the watch: the daily total is the watch's alone
        mismatched = study.sql(
            "with watch as (select participant_id, "
            "cast(timezone(p.timezone, start_at) as date) as day, sum(value) as steps "
            "from raw_wearable_samples s join participants p using (participant_id) "
            "where metric = 'steps' and source like 'Watch %' group by all) "
            "select count(*) from watch join wearable_daily d using (participant_id, day) "
            "where d.steps <> watch.steps"
        ).item()
        assert mismatched == 0
        watch_days = study.sql(
            "select count(*) from wearable_daily where source like 'Phone %, Watch %'"
        ).item()
        assert watch_days == 9 * 84
        # every treadmill session of an Apple Health wearer is an indoor walking workout
        sessions, workouts = study.sql(
            "select (select count(distinct (participant_id, session_id)) from sessions "
            " where participant_id in (select participant_id from wearable_workouts)), "
            "(select count(*) from wearable_workouts where indoor and activity = 'walking')"
        ).row(0)
        assert sessions == workouts > 0
