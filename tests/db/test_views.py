"""Every public view's grain, keys and relationships, and hand-checked values on small data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import Study, open_study


@pytest.fixture(scope="module")
def demo(demo_study: Path) -> Study:
    study = open_study(demo_study, read_only=True)
    yield study  # type: ignore[misc]
    study.close()


def test_demo_views_are_populated(demo: Study) -> None:
    for view in (
        "participants",
        "sessions",
        "treadmill_samples",
        "weekly_exposure",
        "pain_scores",
        "outcomes",
        "ingest_log",
    ):
        assert demo.sql(f"select count(*) from {view}").item() > 0, view


def test_weekly_exposure_has_every_intervention_week(demo: Study) -> None:
    weeks = demo.sql("select value from study_settings where key = 'intervention_weeks'").item()
    n = demo.sql("select count(*) from participants").item()
    assert demo.sql("select count(*) from weekly_exposure").item() == n * weeks
    totals = demo.sql(
        "select (select sum(retro_minutes) from weekly_exposure) as weekly, "
        "(select sum(duration_s) / 60 from sessions "
        " where study_week is not null and direction = 'backward') as segments"
    ).row(0)
    assert totals[0] == pytest.approx(totals[1])


def test_sessions_link_to_samples(demo: Study) -> None:
    orphans = demo.sql(
        "select count(*) from (select distinct participant_id, session_id from treadmill_samples)"
        " anti join (select distinct participant_id, session_id from sessions) "
        "using (participant_id, session_id)"
    )
    assert orphans.item() == 0


@pytest.fixture
def small(tmp_path: Path) -> Study:
    """Two participants with hand-checkable sessions and scores."""
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    # P1 enrolled Wed 2025-03-05 in London. 2025-03-30T23:30Z is Monday 00:30 BST (study week 5)
    # although it is still Sunday (week 4) in UTC.
    write(
        raw / "sessions.csv",
        "participant_id,session_id,segment,started_at,duration_s,direction,distance_m\n"
        "P1,S1,0,2025-03-05T10:00:00+00:00,120,forward,150\n"
        "P1,S1,1,2025-03-05T10:02:00+00:00,600,backward,300\n"
        "P1,S1,2,2025-03-05T10:12:00+00:00,60,,30\n"
        "P1,S2,0,2025-03-30T23:30:00+00:00,900,backward,450\n",
    )
    write(
        raw / "pain.csv",
        "participant_id,measured_at,instrument,score,visit\n"
        "P1,2025-02-20T09:00:00+00:00,nrs,8,screening\n"
        "P1,2025-03-04T09:00:00+00:00,nrs,7,baseline\n"
        "P1,2025-05-20T09:00:00+00:00,nrs,5,week11\n"
        "P1,2025-05-29T09:00:00+00:00,nrs,4,week12\n"
        "P1,2025-03-04T09:10:00+00:00,kujala,60,baseline\n"
        "P1,2025-05-28T09:10:00+00:00,kujala,68,week12\n"
        "P2,2025-03-05T12:00:00+00:00,nrs,6,baseline\n",
    )
    study = open_study(tmp_path / "s.duckdb")
    assert study.ingest([raw]).exit_code == 0
    yield study  # type: ignore[misc]
    study.close()


def test_weekly_exposure_values_by_local_week(small: Study) -> None:
    rows = small.sql(
        "select study_week, week_start, retro_minutes, forward_minutes, unknown_minutes, "
        "retro_distance_m, sessions, adherence from weekly_exposure "
        "where participant_id = 'P1' and (retro_minutes > 0 or sessions > 0) order by 1"
    ).rows()
    assert rows == [
        (1, date(2025, 3, 3), 10.0, 2.0, 1.0, 300.0, 1, pytest.approx(10 / 45)),
        (5, date(2025, 3, 31), 15.0, 0.0, 0.0, 450.0, 1, pytest.approx(15 / 45)),
    ]
    usual_care = small.sql(
        "select count(*), count(adherence) from weekly_exposure where participant_id = 'P2'"
    ).row(0)
    assert usual_care == (12, 0)


def test_outcomes_pick_baseline_and_follow_up_by_the_visit_windows(small: Study) -> None:
    rows = small.sql(
        "select participant_id, instrument, baseline, follow_up, change, percent_change, "
        "responder from outcomes order by 1, 2"
    ).rows()
    # follow-up target is day 84 (2025-05-28) +-14: NRS on day 85 beats day 76; Kujala +8 < 10
    assert rows == [
        ("P1", "kujala", 60.0, 68.0, 8.0, pytest.approx(13.333333), False),
        ("P1", "nrs", 7.0, 4.0, -3.0, pytest.approx(-42.857142), True),
        ("P2", "nrs", 6.0, None, None, None, None),
    ]


def test_pain_scores_carry_scale_direction_and_study_day(small: Study) -> None:
    row = small.sql(
        "select scale_min, scale_max, higher_is_better, study_day from pain_scores "
        "where instrument = 'kujala' order by measured_at limit 1"
    ).row(0)
    assert row == (0.0, 100.0, True, -1)


def test_unlabelled_segments_stay_unknown(small: Study) -> None:
    directions = small.sql(
        "select direction from sessions where session_id = 'S1' order by segment"
    )["direction"].to_list()
    assert directions == ["forward", "backward", "unknown"]
