"""Many validated files per transaction, each still all-or-nothing (issue 16 item 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.ingest.core.batch import ingest_paths
from toolkit.ingest.core.canonical import conform
from toolkit.ingest.core.group import load_group
from toolkit.ingest.core.loader import FileResult, Validated

PAIN_HEADER = "participant_id,measured_at,instrument,score\n"


def _pain_files(raw: Path) -> None:
    roster(raw / "a_roster.csv", *DEFAULT_ROSTER_ROWS)
    write(raw / "p1.csv", PAIN_HEADER + "P1,2025-03-05T09:00:00+00:00,nrs,6\n")
    # same key as p1.csv, other score: a clash with an earlier file of the same group
    write(
        raw / "p2_clash.csv",
        PAIN_HEADER + "P2,2025-03-06T09:00:00+00:00,nrs,3\nP1,2025-03-05T09:00:00+00:00,nrs,7\n",
    )
    # fails validation: nothing of it may load, not even its good first row
    write(
        raw / "p3_invalid.csv",
        PAIN_HEADER + "P2,2025-03-07T09:00:00+00:00,nrs,2\nP2,2025-03-08T09:00:00+00:00,nrs,11\n",
    )
    # repeats p1.csv's row with the same value (skipped, counted) and adds one
    write(
        raw / "p4_overlap.csv",
        PAIN_HEADER + "P1,2025-03-05T09:00:00+00:00,nrs,6\nP1,2025-03-09T09:00:00+00:00,nrs,5\n",
    )
    write(raw / "p5.csv", PAIN_HEADER + "P2,2025-03-10T09:00:00+00:00,nrs,4\n")


def _contents(study: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with open_study(study, read_only=True) as opened:
        scores = opened.sql(
            "select s.participant_id, s.measured_at, s.score, l.path from raw_pain_scores s "
            "join ingest_log l on l.sha256 = s.source_sha256 and l.status = 'loaded' order by all"
        ).rows()
        log = opened.sql(
            "select path, status, rows, error, error_position from ingest_log order by path"
        ).rows()
    return scores, log


def test_a_group_loads_like_one_transaction_per_file(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _pain_files(raw)
    grouped = tmp_path / "grouped.duckdb"
    with open_study(grouped) as study:
        report = ingest_paths(study.conn, [raw], progress=False, workers=0)
    status = {Path(f.path).name: f.status for f in report.files}
    assert status == {
        "a_roster.csv": "loaded",
        "p1.csv": "loaded",
        "p2_clash.csv": "rejected",
        "p3_invalid.csv": "rejected",
        "p4_overlap.csv": "loaded",
        "p5.csv": "loaded",
    }
    clash = next(f for f in report.files if f.path.endswith("p2_clash.csv"))
    assert clash.position == "line 3" and "p1.csv" in (clash.error or "")
    overlap = next(f for f in report.files if f.path.endswith("p4_overlap.csv"))
    assert overlap.rows == {"raw_pain_scores": 1}
    assert overlap.notes["raw_pain_scores_rows_already_present"] == 1

    # the same files, each ingested in its own call (one file, one transaction)
    single = tmp_path / "single.duckdb"
    with open_study(single) as study:
        for path in sorted(raw.iterdir()):
            ingest_paths(study.conn, [path], progress=False, workers=0)
    grouped_scores, grouped_log = _contents(grouped)
    single_scores, single_log = _contents(single)
    assert grouped_scores == single_scores
    names = [Path(str(row[3])).name for row in grouped_scores]
    assert "p2_clash.csv" not in names and "p3_invalid.csv" not in names  # nothing partial
    strip = [(Path(str(r[0])).name, *r[1:]) for r in grouped_log]
    assert strip == [(Path(str(r[0])).name, *r[1:]) for r in single_log]


def test_a_file_the_database_refuses_is_rejected_alone(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    with open_study(tmp_path / "s.duckdb") as study:
        assert ingest_paths(study.conn, [raw], progress=False, workers=0).exit_code == 0

        def pain(name: str, participant: str | None, day: int) -> Validated:
            frame = conform(
                "raw_pain_scores",
                pl.DataFrame(
                    {
                        "participant_id": ["P1"],
                        "measured_at": [datetime(2025, 3, day, 9, tzinfo=UTC)],
                        "instrument": ["nrs"],
                        "score": [5.0],
                    }
                ),
            ).with_columns(pl.lit(participant, dtype=pl.String).alias("participant_id"))
            result = FileResult(name, name * 4, "pain_csv", "loaded")
            return Validated(result, {"raw_pain_scores": frame})

        # the middle file breaks a rule only the database holds (a required participant id);
        # validate_file would have refused it, load_group must still keep the others whole
        items = [pain("a", "P1", 5), pain("b", None, 6), pain("c", "P2", 7)]
        results = load_group(study.conn, items)
        assert [r.status for r in results] == ["loaded", "rejected", "loaded"]
        assert "refused" in (results[1].error or "")
        stored = study.sql("select source_sha256 from raw_pain_scores order by 1")
        assert stored["source_sha256"].to_list() == ["aaaa", "cccc"]


@pytest.mark.slow
def test_parallel_workers_load_the_same_study(tmp_path: Path) -> None:
    from retrowalk_demo.build import write_raw

    raw = tmp_path / "raw"
    write_raw(raw, participants=40, seed=5)
    outcomes = []
    for workers in (0, 2):
        path = tmp_path / f"w{workers}.duckdb"
        with open_study(path) as study:
            report = ingest_paths(study.conn, [raw], progress=False, workers=workers)
            assert report.exit_code == 0
            tables = ("raw_treadmill_samples", "raw_pain_scores", "raw_wearable_samples")
            outcomes.append(
                [study.sql(f"select * from {t} order by all").rows() for t in tables]
                + [[(Path(f.path).name, f.status, f.rows) for f in report.files]]
            )
    assert outcomes[0] == outcomes[1]


def test_a_sample_conflict_within_one_group_rejects_the_later_file(
    study: Path, tmp_path: Path
) -> None:
    header = "metric,start_at,end_at,value,unit,source\n"
    sample = "steps,2025-03-05T10:00:00Z,2025-03-05T10:01:00Z"
    first = write(tmp_path / "in" / "a" / "P1" / "w.csv", f"{header}{sample},80,count,Fitbit\n")
    write(tmp_path / "in" / "b" / "P1" / "w.csv", f"{header}{sample},95,count,Fitbit\n")
    with open_study(study) as opened:
        report = ingest_paths(opened.conn, [tmp_path / "in"], progress=False, workers=0)
        assert [f.status for f in report.files] == ["loaded", "rejected"]
        error = report.files[1].error or ""
        assert "already holds a different value for this sample" in error and str(first) in error
        assert opened.sql("select sum(steps) from wearable_daily").item() == 80
