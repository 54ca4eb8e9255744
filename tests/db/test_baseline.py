"""One baseline for every analysis: the issue's two-baseline scenario, and the diary setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import Study, open_study
from toolkit.analysis_frames import outcome_frame, visit_frame
from toolkit.settings import set_outcomes_include_diary, study_settings


@pytest.fixture
def study(tmp_path: Path) -> Study:
    """P1 (enrolled 2025-03-05, London): a baseline visit (NRS 7, day -1), a diary entry on
    day 0 (NRS 3), a week-6 visit (5) and a week-12 visit (4)."""
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(
        raw / "pain.csv",
        "participant_id,measured_at,instrument,score,visit\n"
        "P1,2025-03-04T09:00:00+00:00,nrs,7,baseline\n"
        "P1,2025-03-05T20:00:00+00:00,nrs,3,diary\n"
        "P1,2025-04-16T09:00:00+01:00,nrs,5,week6\n"
        "P1,2025-05-28T09:00:00+01:00,nrs,4,week12\n",
    )
    opened = open_study(tmp_path / "s.duckdb")
    assert opened.ingest([raw]).exit_code == 0
    yield opened  # type: ignore[misc]
    opened.close()


def test_every_analysis_uses_the_scheduled_baseline_visit(study: Study) -> None:
    # Before: outcomes took the diary entry (3, the latest score in the window) while the
    # MMRM's visit frame took the baseline visit (7): two baselines in one report.
    outcome = outcome_frame(study, None, "nrs").filter(participant_id="P1").row(0, named=True)
    visits = visit_frame(study, None, "nrs").filter(participant_id="P1")
    assert outcome["baseline"] == 7.0
    assert outcome["change"] == -3.0
    assert visits["visit"].to_list() == ["week6", "week12"]
    assert set(visits["baseline"].to_list()) == {7.0}
    assert visits["change"].to_list() == [-2.0, -3.0]
    stored = study.sql("select baseline from outcomes where participant_id = 'P1'")
    assert stored.item() == 7.0


def test_diary_entries_count_only_when_the_study_says_so(study: Study) -> None:
    assert study_settings(study).outcomes_include_diary is False
    set_outcomes_include_diary(study, True)
    outcome = outcome_frame(study, None, "nrs").filter(participant_id="P1").row(0, named=True)
    visits = visit_frame(study, None, "nrs").filter(participant_id="P1")
    # one baseline still: the diary entry (latest in the window), in both frames
    assert outcome["baseline"] == 3.0
    assert set(visits["baseline"].to_list()) == {3.0}
    assert visits["visit"].to_list() == ["week6", "week12"]


def test_a_screening_visit_before_the_baseline_is_not_a_post_baseline_visit(
    study: Study, tmp_path: Path
) -> None:
    extra = write(
        tmp_path / "more" / "screening.csv",
        "participant_id,measured_at,instrument,score,visit\n"
        "P1,2025-02-20T09:00:00+00:00,nrs,8,screening\n",
    )
    assert study.ingest([extra]).exit_code == 0
    visits = visit_frame(study, None, "nrs").filter(participant_id="P1")
    assert visits["visit"].to_list() == ["week6", "week12"]
    assert outcome_frame(study, None, "nrs").filter(participant_id="P1")["baseline"].item() == 7
