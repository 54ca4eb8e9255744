"""Every real TCX file in ``../shared/fixtures/real/tcx``: its outcome, values checked against
the file itself (read here with the standard library's ElementTree, independently of the
toolkit's TCX reader)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import real_fixtures
from tests.ingest.real.conftest import Ingested, assert_not_exports_rejected, rows

SESSIONS = {  # file -> expected outcome
    "dblock-tcx__treadmill_1.tcx": "session",
    "dblock-tcx__walking_activity_1.tcx": "session",  # Sport="Other" with a run cadence
    "dblock-tcx__running_activity_1.tcx": "session",
    "python-tcxparser__test.tcx": "session",
    "python-tcxparser__sup_activity_1.tcx": "unclassified",  # Sport="Other", no cadence
    "dblock-tcx__brighton-beach.tcx": "rejected: a Course",
    "dblock-tcx__simple_workout_1.tcx": "rejected: a Workout",
}


def _laps(name: str) -> tuple[datetime, list[float], int]:
    """Activity Id, lap TotalTimeSeconds and distinct trackpoint times, read from the file."""
    root = ET.parse(real_fixtures("real", "tcx", name)).getroot()
    local = {el: el.tag.rsplit("}", 1)[-1] for el in root.iter()}
    activity_id = next(el.text for el, tag in local.items() if tag == "Id")
    durations = [
        float(child.text or "nan")
        for el, tag in local.items()
        if tag == "Lap"
        for child in el
        if local[child] == "TotalTimeSeconds"
    ]
    times = {
        child.text
        for el, tag in local.items()
        if tag == "Trackpoint"
        for child in el
        if local[child] == "Time"
    }
    started = datetime.fromisoformat((activity_id or "").replace("Z", "+00:00"))
    return started, durations, len(times)


@pytest.fixture(scope="module")
def tcx(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    from tests.ingest.real.conftest import ingest_real

    return ingest_real(tmp_path_factory.mktemp("tcx"), "tcx")


def test_every_tcx_file_has_its_expected_outcome(tcx: Ingested) -> None:
    results, _ = tcx
    folder = real_fixtures("real", "tcx")
    assert {p.name for p in folder.glob("*.tcx")} == set(SESSIONS)
    for name, expected in SESSIONS.items():
        result = results[name]
        if expected.startswith("rejected"):
            assert result.status == "rejected", name
            assert expected.removeprefix("rejected: ") in (result.error or ""), name
            assert "not a recorded activity" in (result.error or "")
        elif expected == "session":
            assert result.status == "loaded", (name, result.error)
            assert result.rows["raw_treadmill_sessions"] == 1, name
        else:
            assert result.status == "loaded", (name, result.error)
            assert result.rows == {"raw_wearable_workouts": 1, "raw_source_links": 1}, name
            assert result.notes == {"unclassified_activities": 1}
    assert_not_exports_rejected(results)


@pytest.mark.parametrize("name", [n for n, e in SESSIONS.items() if e == "session"])
def test_lap_durations_and_samples_match_the_file(tcx: Ingested, name: str) -> None:
    _, study = tcx
    started, durations, points = _laps(name)
    session_id = f"tcx-{started:%Y%m%dT%H%M%SZ}"
    got = rows(
        study,
        "select duration_s from sessions where session_id = ? order by segment",
        [session_id],
    )
    assert [d for (d,) in got] == pytest.approx(durations)
    [(samples,)] = rows(
        study, "select count(*) from treadmill_samples where session_id = ?", [session_id]
    )
    assert samples == points


def test_treadmill_cadence_is_stored_as_steps(tcx: Ingested) -> None:
    """README: RunCadence is strides per minute; steps are twice that."""
    _, study = tcx
    root = ET.parse(real_fixtures("real", "tcx", "dblock-tcx__treadmill_1.tcx")).getroot()
    first = next(el for el in root.iter() if el.tag.endswith("}RunCadence"))
    [(cadence,)] = rows(
        study,
        "select cadence_spm from treadmill_samples where session_id = 'tcx-20251024T152526Z' "
        "and cadence_spm is not null order by recorded_at limit 1",
    )
    assert cadence == 2 * float(first.text or "nan")


def test_paddling_is_kept_out_of_sessions_as_an_unclassified_workout(tcx: Ingested) -> None:
    _, study = tcx
    started, durations, _ = _laps("python-tcxparser__sup_activity_1.tcx")
    assert rows(study, "select count(*) from sessions where session_started_at = ?", [started]) == [
        (0,)
    ]
    [(activity, duration)] = rows(
        study, "select activity, duration_s from wearable_workouts where source = 'tcx'"
    )
    assert activity == "unclassified"
    assert duration == pytest.approx(sum(durations))


def test_strava_whitespace_and_a_bom_before_the_declaration_are_skipped(
    real_ingest: Callable[..., Ingested], tmp_path: Path
) -> None:
    """Strava's bulk export writes whitespace before ``<?xml`` (issue 11, defect 6)."""
    from toolkit import open_study

    original = real_fixtures("real", "tcx", "python-tcxparser__test.tcx").read_bytes()
    folder = tmp_path / "strava" / "P1"
    folder.mkdir(parents=True)
    (folder / "a.tcx").write_bytes(b"  \n\t" + original)
    (folder / "b.tcx").write_bytes(b"\xef\xbb\xbf\n" + original.replace(b"<Id>", b"<Id>", 1))
    roster = tmp_path / "roster.csv"
    roster.write_text("participant_id,arm,condition,enrolled_on\nP1,retro,knee_oa,2012-01-01\n")
    with open_study(tmp_path / "s.duckdb") as study:
        study.ingest([roster], progress=False)
        report = study.ingest([tmp_path / "strava"], progress=False)
    statuses = {Path(f.path).name: (f.status, f.error) for f in report.files}
    assert statuses["a.tcx"] == ("loaded", None)
    # the same activity again: its rows are already present
    assert statuses["b.tcx"][0] == "loaded"


def test_an_other_activity_a_manifest_names_is_a_walk(tmp_path: Path) -> None:
    """Sport="Other" without cadence is a session when a direction manifest labels it."""
    from toolkit import open_study

    folder = tmp_path / "exports" / "P1"
    folder.mkdir(parents=True)
    sup = real_fixtures("real", "tcx", "python-tcxparser__sup_activity_1.tcx")
    (folder / "walk.tcx").write_bytes(sup.read_bytes())
    (folder / "directions.csv").write_text("file,direction\nwalk.tcx,backward\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("participant_id,arm,condition,enrolled_on\nP1,retro,knee_oa,2022-07-01\n")
    with open_study(tmp_path / "s.duckdb") as study:
        study.ingest([roster], progress=False)
        report = study.ingest([tmp_path / "exports"], progress=False)
        walk = next(f for f in report.files if f.path.endswith("walk.tcx"))
        assert walk.status == "loaded", walk.error
        assert walk.rows["raw_treadmill_sessions"] == 1
        directions = study.sql("select distinct direction from sessions")["direction"].to_list()
    assert directions == ["backward"]
