"""A corrected direction manifest relabels sessions already stored (issue 12's scenario)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.ingest.fit_writer import activity
from tests.ingest.helpers import (
    DEFAULT_ROSTER_ROWS,
    assert_same_public_views,
    roster,
    write,
)
from toolkit import open_study

#: 2025-03-06 10:00 UTC (study day 1 of P1) in FIT time (seconds since 1989-12-31 UTC)
START = 1_741_255_200 - 631_065_600
FIRST = "file,lap,direction\nP1/walk.fit,0,backward\nP1/walk.fit,1,forward\n"
CORRECTED = "file,lap,direction\nP1/walk.fit,0,backward\nP1/walk.fit,1,backward\n"


def _raw(folder: Path, manifest: str) -> Path:
    roster(folder / "roster.csv", *DEFAULT_ROSTER_ROWS)
    (folder / "P1").mkdir(parents=True, exist_ok=True)
    # two laps of 10 minutes
    (folder / "P1" / "walk.fit").write_bytes(activity(start=START, seconds=1200))
    write(folder / "directions.csv", manifest)
    return folder


def _exposure(study: Path) -> tuple[list[str], float, list[tuple[str, int]]]:
    with open_study(study, read_only=True) as s:
        laps = s.sql("select direction from sessions order by segment")["direction"].to_list()
        retro = s.sql(
            "select sum(retro_minutes) from weekly_exposure where participant_id = 'P1'"
        ).item()
        samples = s.sql(
            "select direction, count(*) from treadmill_samples group by all order by all"
        ).rows()
    return laps, retro, samples


def test_a_corrected_manifest_relabels_stored_laps(tmp_path: Path) -> None:
    raw = _raw(tmp_path / "raw", FIRST)
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        first = s.ingest([raw], progress=False)
    assert first.exit_code == 0
    assert _exposure(study) == (
        ["backward", "forward"],
        pytest.approx(10.0),
        [("backward", 600), ("forward", 600)],
    )
    write(raw / "directions.csv", CORRECTED)
    with open_study(study) as s:
        second = s.ingest([raw], progress=False)
    statuses = {Path(f.path).name: f.status for f in second.files}
    assert statuses == {"roster.csv": "duplicate", "directions.csv": "loaded",
                        "walk.fit": "duplicate"}  # fmt: skip
    laps, retro, samples = _exposure(study)
    assert laps == ["backward", "backward"]
    assert retro == pytest.approx(20.0)  # the primary exposure follows the correction
    assert samples == [("backward", 1200)]

    # a study built, corrected and re-ingested equals one built from the corrected files
    fresh_raw = _raw(tmp_path / "fresh", CORRECTED)
    fresh = tmp_path / "fresh.duckdb"
    with open_study(fresh) as s:
        assert s.ingest([fresh_raw], progress=False).exit_code == 0
    # the export's location is part of its lineage: give both studies the same files
    shutil.rmtree(fresh_raw)
    assert_same_public_views(study, fresh)


def test_a_fit_file_ingested_alone_is_labelled_by_the_manifest_beside_it(tmp_path: Path) -> None:
    # a file named on its own has no participant folder: the manifest links and labels it
    raw = _raw(tmp_path / "raw", "file,participant_id,lap,direction\nwalk.fit,P1,,backward\n")
    shutil.move(raw / "directions.csv", raw / "P1" / "directions.csv")
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        assert s.ingest([raw / "roster.csv"], progress=False).exit_code == 0
        report = s.ingest([raw / "P1" / "walk.fit"], progress=False)
    assert [(Path(f.path).name, f.status) for f in report.files] == [
        ("directions.csv", "loaded"),
        ("walk.fit", "loaded"),
    ]
    assert report.files[1].notes["unknown_direction_segments"] == 0
    assert _exposure(study)[0] == ["backward", "backward"]


def test_session_id_rules_and_wildcards_with_underscores(tmp_path: Path) -> None:
    raw = _raw(tmp_path / "raw", "file,session_id,lap,direction\n"
               "P1/walk_*.fit,,,forward\n"
               ",fit-20250306T100000Z,1,backward\n")  # fmt: skip
    shutil.move(raw / "P1" / "walk.fit", raw / "P1" / "walk_01.fit")
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        assert s.ingest([raw], progress=False).exit_code == 0
    assert _exposure(study)[0] == ["forward", "backward"]
