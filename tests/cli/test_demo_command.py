"""``retrowalk demo``: builds cleanly (exit 0) with a short summary; the deliberate rejection is
opt-in (``--with-bad-file``) and its file waits in ``quality/`` beside the raw exports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def test_demo_exits_0_and_ends_with_a_short_summary(tmp_path: Path) -> None:
    study = tmp_path / "demo" / "study.duckdb"
    result = run_cli("demo", "--study", study, "--participants", "12", "--seed", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) <= 6, lines  # a summary, not one line per file
    assert lines[0].endswith(" loaded") and "rejected" not in result.stdout
    assert lines[-1] == f"next: retrowalk dashboard {study}"
    assert (study.parent / "quality" / "late_entries.csv").exists()
    assert not list((study.parent / "raw").rglob("late_entries.csv"))


def test_verbose_demo_lists_every_file(tmp_path: Path) -> None:
    study = tmp_path / "study.duckdb"
    result = run_cli("-v", "demo", "--study", study, "--participants", "6", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "roster.csv" in result.stdout and "visits.csv" in result.stdout


def test_with_bad_file_shows_the_rejection_and_exits_1(tmp_path: Path) -> None:
    study = tmp_path / "study.duckdb"
    result = run_cli(
        "demo", "--study", study, "--participants", "6", "--seed", "3", "--with-bad-file"
    )
    assert result.returncode == 1
    assert "late_entries.csv" in result.stdout
    assert "line 3, column 'score': score 12 is outside nrs's range 0 to 10" in result.stdout
    as_json = run_cli("demo", "--study", study, "--participants", "6", "--seed", "3", "--json")
    assert as_json.returncode == 0
    assert {f["status"] for f in json.loads(as_json.stdout)} == {"loaded"}


def test_demo_never_replaces_a_study_holding_other_data_unless_told(tmp_path: Path) -> None:
    study = tmp_path / "study.duckdb"
    assert run_cli("demo", "--study", study, "--participants", "4", "--seed", "3").returncode == 0
    own = tmp_path / "mine"
    own.mkdir()
    (own / "roster.csv").write_bytes((tmp_path / "raw" / "roster.csv").read_bytes())
    assert run_cli("ingest", study, own / "roster.csv").returncode == 0
    before = study.read_bytes()

    refused = run_cli("demo", "--study", study, "--participants", "4", "--seed", "3")
    assert refused.returncode == 2
    assert "did not come from the demo" in refused.stderr and "mine" in refused.stderr
    assert "--overwrite" in refused.stderr
    assert study.read_bytes() == before

    replaced = run_cli(
        "demo", "--study", study, "--participants", "4", "--seed", "3", "--overwrite"
    )
    assert replaced.returncode == 0, replaced.stderr
    again = run_cli("demo", "--study", study, "--participants", "4", "--seed", "3")
    assert again.returncode == 0, again.stderr  # a demo study is rebuilt without asking
