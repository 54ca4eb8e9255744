"""The ``retrowalk`` command: formats and exit codes as INTERFACE.md promises."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.conftest import run_cli


def test_query_formats(demo_study: Path) -> None:
    sql = "select arm, count(*) as n from participants where sex = ? group by arm order by arm"
    table = run_cli("query", demo_study, sql, "--param", "female")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("arm ") and "usual_care" in table.stdout
    as_csv = run_cli("query", demo_study, sql, "--param", "female", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["arm"] for r in rows] == ["forward", "retro", "usual_care"]
    as_json = json.loads(
        run_cli("query", demo_study, sql, "--param", "female", "--format", "json").stdout
    )
    assert [r["n"] for r in as_json] == [int(r["n"]) for r in rows]


def test_query_json_timestamps_carry_their_offset(demo_study: Path) -> None:
    out = run_cli(
        "query", demo_study, "select measured_at from pain_scores limit 1", "--format", "json"
    )
    assert json.loads(out.stdout)[0]["measured_at"].endswith("+00:00")


def test_query_is_read_only(demo_study: Path) -> None:
    result = run_cli("query", demo_study, "delete from raw_participants")
    assert result.returncode == 2
    assert "read-only" in result.stderr.lower()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_cli("query", tmp_path / "missing.duckdb", "select 1").returncode == 2
    assert run_cli("ingest").returncode == 2
    assert run_cli("query", tmp_path / "x.duckdb", "select 1", "--format", "xml").returncode == 2


def test_ingest_of_good_files_exits_0(tmp_path: Path) -> None:
    from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster

    result = run_cli(
        "ingest", tmp_path / "s.duckdb", roster(tmp_path / "r.csv", *DEFAULT_ROSTER_ROWS)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 file(s): 1 loaded" in result.stdout
