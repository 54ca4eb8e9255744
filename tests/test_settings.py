"""The intervention length is a study setting with a public setter, used by the exposure views."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.analysis_frames import exposure_frame, outcome_frame
from toolkit.errors import StudyError, UsageError
from toolkit.settings import intervention_weeks, set_intervention_weeks


@pytest.fixture
def six_week_trial(tmp_path: Path) -> Path:
    """P1 (retro, 45 prescribed minutes a week) walks 36 minutes backward in each of the six
    weeks of a 6-week trial: attendance 0.8 of the prescription."""
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    rows = "".join(
        f"P1,S{week},0,2025-03-{5 + 7 * week:02d}T10:00:00+00:00,2160,backward,1000\n"
        for week in range(4)
    ) + "".join(
        f"P1,S{week},0,2025-04-{2 + 7 * (week - 4):02d}T10:00:00+01:00,2160,backward,1000\n"
        for week in range(4, 6)
    )
    write(
        raw / "sessions.csv",
        "participant_id,session_id,segment,started_at,duration_s,direction,distance_m\n" + rows,
    )
    path = tmp_path / "study.duckdb"
    with open_study(path) as s:
        assert s.ingest([raw]).exit_code == 0
    return path


def test_twelve_weeks_by_default_halves_a_six_week_trial(six_week_trial: Path) -> None:
    with open_study(six_week_trial, read_only=True) as s:
        assert intervention_weeks(s) == 12
        row = outcome_frame(s, None, "nrs").filter(participant_id="P1").row(0, named=True)
    assert row["adherence"] == pytest.approx(0.4)
    assert row["retro_minutes"] == pytest.approx(18.0)


def test_setting_six_weeks_gives_the_attended_share(six_week_trial: Path) -> None:
    with open_study(six_week_trial) as s:
        assert set_intervention_weeks(s, 6) == 6
        row = outcome_frame(s, None, "nrs").filter(participant_id="P1").row(0, named=True)
        weeks = exposure_frame(s, None)
        summary = s.sql("select * from participant_exposure where participant_id = 'P1'")
    assert row["adherence"] == pytest.approx(0.8)
    assert row["retro_minutes"] == pytest.approx(36.0)
    assert weeks.group_by("participant_id").len()["len"].to_list() == [6, 6]
    assert summary["intervention_weeks"].item() == 6
    assert summary["weeks_with_sessions"].item() == 6


def test_the_cohort_adherence_filter_uses_the_same_weeks(six_week_trial: Path) -> None:
    with open_study(six_week_trial) as s:
        assert s.cohort(min_adherence=0.7).filter(arm="retro").height == 0
        set_intervention_weeks(s, 6)
        assert s.cohort(min_adherence=0.7).filter(arm="retro").height == 1


@pytest.mark.parametrize("weeks", [0, -3, 2.5, 261, True, float("nan"), "6"])
def test_bad_intervention_lengths_are_refused(six_week_trial: Path, weeks: object) -> None:
    with open_study(six_week_trial) as s, pytest.raises(UsageError, match="'weeks' parameter"):
        set_intervention_weeks(s, weeks)  # type: ignore[arg-type]


def test_read_only_studies_cannot_be_changed(six_week_trial: Path) -> None:
    with open_study(six_week_trial, read_only=True) as s, pytest.raises(StudyError):
        set_intervention_weeks(s, 6)


def test_the_settings_command_shows_and_sets_the_intervention_length(
    six_week_trial: Path, cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    done = cli("settings", six_week_trial, "--intervention-weeks", "6", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {row["key"]: row["value"] for row in json.loads(done.stdout)}
    assert rows["intervention_weeks"] == 6 and rows["outcomes_include_diary"] == 0
    refused = cli("settings", six_week_trial, "--intervention-weeks", "0")
    assert refused.returncode == 2 and "'weeks' parameter" in refused.stderr
