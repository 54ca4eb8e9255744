"""Visit windows set per study through the Python API, and honoured by the outcomes view."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.errors import StudyError, UsageError
from toolkit.visits import VisitWindows, set_visit_windows, visit_windows

# P1 enrols 2025-03-05 in London (GMT until 30 March, BST after): study day = local date - 5 Mar
SCORES = [
    ("2025-02-23T09:00:00+00:00", 6),  # day -10
    ("2025-03-03T09:00:00+00:00", 5),  # day -2
    ("2025-03-05T23:30:00+00:00", 7),  # day 0 (23:30 GMT)
    ("2025-03-06T09:00:00+00:00", 8),  # day 1
    ("2025-04-14T09:00:00+01:00", 4),  # day 40
    ("2025-04-19T09:00:00+01:00", 3),  # day 45
    ("2025-05-28T09:00:00+01:00", 2),  # day 84
]


@pytest.fixture
def study(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(
        raw / "nrs.csv",
        "participant_id,measured_at,instrument,score\n"
        + "".join(f"P1,{at},nrs,{score}\n" for at, score in SCORES),
    )
    path = tmp_path / "study.duckdb"
    with open_study(path) as s:
        assert s.ingest([raw]).exit_code == 0
    return path


def outcome(path: Path) -> tuple[object, ...]:
    with open_study(path, read_only=True) as s:
        return s.sql(
            "select baseline, follow_up, change from outcomes where participant_id = 'P1'"
        ).row(0)


def test_defaults_are_the_documented_windows(study: Path) -> None:
    with open_study(study) as s:
        assert visit_windows(s) == VisitWindows(30, 0, 84, 14)
    # baseline: latest of days -30..0 is day 0 (7); follow-up closest to day 84 is day 84 (2)
    assert outcome(study) == (7.0, 2.0, -5.0)


def test_week_6_follow_up_within_7_days_and_baseline_on_or_before_day_0(study: Path) -> None:
    with open_study(study) as s:
        windows = set_visit_windows(
            s,
            baseline_days_before=365,
            baseline_days_after=0,
            follow_up_week=6,
            follow_up_window_days=7,
        )
    assert windows == VisitWindows(365, 0, 42, 7)
    # day 40 (distance 2) beats day 45 (distance 3)
    assert outcome(study) == (7.0, 4.0, -3.0)


def test_a_baseline_window_that_ends_before_day_0_and_a_narrow_follow_up(study: Path) -> None:
    with open_study(study) as s:
        set_visit_windows(s, baseline_days_before=7, baseline_days_after=-1)
        set_visit_windows(s, follow_up_day=43, follow_up_window_days=1)
        assert visit_windows(s) == VisitWindows(7, -1, 43, 1)
    # baseline: latest in days -7..-1 is day -2 (5); no score within day 42..44
    assert outcome(study) == (5.0, None, None)


def test_windows_persist_and_only_named_ones_change(study: Path) -> None:
    with open_study(study) as s:
        set_visit_windows(s, follow_up_window_days=3)
    with open_study(study, read_only=True) as s:
        assert visit_windows(s) == VisitWindows(30, 0, 84, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"follow_up_window_days": -1},
            r"The 'follow_up_window_days' parameter of set_visit_windows must be a finite "
            r"number from 0 to 3660\. Got -1 instead\.",
        ),
        (
            {"baseline_days_before": 1e9},
            r"'baseline_days_before' parameter .* from 0 to 3660\. Got 1000000000\.0 instead",
        ),
        ({"follow_up_week": 600}, r"'follow_up_day' parameter .* from -3660 to 3660"),
        ({"follow_up_day": float("nan")}, "'follow_up_day' parameter .* Got nan instead"),
        ({"follow_up_day": 42, "follow_up_week": 6}, "follow_up_day or follow_up_week, not both"),
        (
            {"baseline_days_before": 3, "baseline_days_after": -5},
            "baseline window of set_visit_windows is empty",
        ),
    ],
)
def test_bad_windows_are_refused_and_nothing_changes(
    study: Path, kwargs: dict[str, float], message: str
) -> None:
    with open_study(study) as s:
        with pytest.raises(UsageError, match=message):
            set_visit_windows(s, **kwargs)
        assert visit_windows(s) == VisitWindows()


def test_a_read_only_study_refuses(study: Path) -> None:
    with open_study(study, read_only=True) as s, pytest.raises(StudyError, match="read-only"):
        set_visit_windows(s, follow_up_week=6)
