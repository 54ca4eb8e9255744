"""Ordinary mistakes get one line on stderr and an exit code, never a traceback (``-v`` shows
one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/report.html", "the folder {tmp}/missing does not exist"),
        ("a_file/report.html", "{tmp}/a_file is a file, not a folder"),
        ("", "is a directory"),  # click checks this one itself
    ],
)
def test_report_destination_is_checked_before_any_analysis(
    demo_study: Path, tmp_path: Path, where: str, message: str
) -> None:
    (tmp_path / "a_file").write_text("not a folder")
    result = run_cli("report", demo_study, "--out", tmp_path / where)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message.format(tmp=tmp_path) in result.stderr
    assert not list(tmp_path.glob("*_data"))


def test_report_into_a_folder_that_refuses_new_files(demo_study: Path) -> None:
    # /proc accepts no new files, even for root (a chmod 555 folder would not stop root)
    if not Path("/proc").is_dir():
        pytest.skip("needs Linux's /proc")
    result = run_cli("report", demo_study, "--out", "/proc/report.html", "--no-extracts")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "cannot write the report /proc/report.html: the folder /proc does not accept" in (
        result.stderr
    )


def test_a_study_path_under_a_file_is_one_line_and_verbose_adds_the_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "a_file").write_text("not a folder")
    study = tmp_path / "a_file" / "study.duckdb"
    quiet = run_cli("ingest", study)
    assert quiet.returncode != 0
    assert "Traceback" not in quiet.stderr
    assert quiet.stderr.startswith("error: ") and "a_file" in quiet.stderr
    loud = run_cli("-v", "ingest", study)
    assert loud.returncode == quiet.returncode
    assert "Traceback" in loud.stderr


def test_a_study_another_program_holds_is_one_line(tmp_path: Path) -> None:
    """A file that is not a DuckDB database: DuckDB's own error, first line only."""
    study = tmp_path / "study.duckdb"
    study.write_text("this is not a database\n" * 10)
    result = run_cli("query", study, "select 1")
    assert result.returncode in (1, 2)
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
