"""Only a retrowalk study file, or a new path in an existing folder, opens as a study.

Issue 15 item 2 and issue 14 item 3: each test failed before ``toolkit.db.study_file``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_cli
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster
from toolkit import open_study
from toolkit.errors import StudyPathError


def test_a_csv_given_as_study_is_a_usage_error_and_left_alone(tmp_path: Path) -> None:
    mistaken = roster(tmp_path / "mistaken.csv", *DEFAULT_ROSTER_ROWS)
    before = mistaken.read_bytes()
    other = roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)
    result = run_cli("ingest", mistaken, other)
    assert result.returncode == 2, result.stdout
    assert "is not a study file" in result.stderr
    assert "loaded" not in result.stdout
    assert "Traceback" not in result.stderr
    assert mistaken.read_bytes() == before
    # the same for read-only commands
    query = run_cli("query", mistaken, "select 1")
    assert query.returncode == 2 and "is not a study file" in query.stderr


def test_a_duckdb_database_that_is_not_a_study_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    conn = duckdb.connect(str(other))
    conn.execute("create table sales as select 1 as x")
    conn.close()
    with pytest.raises(StudyPathError, match="not a retrowalk study"):
        open_study(other)
    with pytest.raises(StudyPathError, match="not a retrowalk study"):
        open_study(other, read_only=True)
    conn = duckdb.connect(str(other), read_only=True)
    assert conn.execute("show tables").fetchall() == [("sales",)]  # untouched
    conn.close()


def test_an_empty_or_foreign_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    with pytest.raises(StudyPathError, match="not a study file"):
        open_study(empty)
    with pytest.raises(StudyPathError, match="is a folder"):
        open_study(tmp_path)


def test_a_mistyped_study_folder_is_not_created(tmp_path: Path) -> None:
    inputs = roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)
    typo = tmp_path / "studeis" / "nested" / "s.duckdb"
    result = run_cli("ingest", typo, inputs)
    assert result.returncode == 2, result.stdout
    assert "does not exist" in result.stderr
    assert not (tmp_path / "studeis").exists()
    with pytest.raises(StudyPathError, match="does not exist"):
        open_study(typo)


def test_a_new_study_in_an_existing_folder_is_created_and_said(tmp_path: Path) -> None:
    inputs = roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)
    study = tmp_path / "s.duckdb"
    result = run_cli("ingest", study, inputs)
    assert result.returncode == 0, result.stderr
    assert f"created a new study at {study}" in result.stderr
    again = run_cli("ingest", study, inputs)
    assert again.returncode == 0 and "created a new study" not in again.stderr


def test_missing_input_paths_are_usage_errors_not_logged(tmp_path: Path) -> None:
    study = tmp_path / "s.duckdb"
    open_study(study).close()
    result = run_cli("ingest", study, tmp_path / "rooster.csv")
    assert result.returncode == 2, result.stdout
    assert "no such file or folder" in result.stderr and "rooster.csv" in result.stderr
    with open_study(study, read_only=True) as opened:
        assert opened.sql("select count(*) as n from ingest_log")["n"].item() == 0
    # and a missing input does not create the study either
    fresh = tmp_path / "fresh.duckdb"
    assert run_cli("ingest", fresh, tmp_path / "rooster.csv").returncode == 2
    assert not fresh.exists()


def test_a_study_path_under_a_file_is_a_usage_error(tmp_path: Path) -> None:
    afile = roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)
    result = run_cli("ingest", afile / "s.duckdb", afile)
    assert result.returncode == 2, result.stdout
    assert "is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr and "FileExistsError" not in result.stderr


def test_demo_does_not_overwrite_a_file_that_is_not_a_study(tmp_path: Path) -> None:
    precious = roster(tmp_path / "precious.csv", *DEFAULT_ROSTER_ROWS)
    before = precious.read_bytes()
    result = run_cli("demo", "--study", precious, "--participants", "3")
    assert result.returncode == 2, result.stdout
    assert precious.read_bytes() == before
