"""Ingest progress: the bar counts bytes (a single multi-GB Apple Health export moves it, block
by block), and each file's result is handed out as soon as it is known."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from retrowalk_demo.apple_health_xml import synthetic_elements, write_export_file
from tests.conftest import cli_env
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.ingest.apple_health.export import parse, read_export
from toolkit.ingest.core.loader import FileResult
from toolkit.ingest.core.model import ParseContext, ParticipantInfo

START = datetime(2025, 3, 1, tzinfo=UTC)


def test_an_apple_health_export_reports_bytes_read_block_by_block(tmp_path: Path) -> None:
    path = write_export_file(tmp_path / "export.xml", synthetic_elements(600_000, 3, START))
    size = path.stat().st_size
    seen: list[int] = []
    read_export(path, "P1", block_bytes=100_000, on_progress=seen.append)
    assert len(seen) >= 5 and seen == sorted(seen) and seen[-1] <= size
    assert seen[-1] > 0.9 * size
    # and the parser passes the ingest's callback through (ParseContext.progress)
    through: list[int] = []
    people = {"P1": ParticipantInfo("P1", "UTC", START.date())}
    ctx = ParseContext("P1/export.xml", "0" * 64, ("P1", "export.xml"), people,
                       progress=through.append)  # fmt: skip
    parse(path, ctx)
    assert through and through[-1] > 0.9 * size


def test_the_progress_bar_counts_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = roster(tmp_path / "in" / "roster.csv", *DEFAULT_ROSTER_ROWS)
    pain = write(
        tmp_path / "in" / "pain.csv",
        "participant_id,measured_at,instrument,score\n"
        + "".join(f"P1,2025-03-{d:02d}T10:00:00+00:00,nrs,{d % 10}\n" for d in range(6, 28)),
    )
    total = first.stat().st_size + pain.stat().st_size
    with open_study(tmp_path / "s.duckdb") as study:
        study.ingest([tmp_path / "in"], progress=True)
    bar = capsys.readouterr().err
    done = f"{total / 1024:.2f}k"
    assert f"{done}/{done}" in bar and "kB/s" in bar  # bytes (KiB), not files
    assert "file/s" not in bar


def test_each_result_is_handed_out_as_soon_as_it_is_known(tmp_path: Path) -> None:
    roster(tmp_path / "in" / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(tmp_path / "in" / "bad.csv", "participant_id,measured_at,instrument,score\nP1,x,nrs,1\n")
    seen: list[tuple[str, int]] = []
    with open_study(tmp_path / "s.duckdb") as study:

        def record(result: FileResult) -> None:  # the study's log already holds this file
            logged = study.conn.execute("select count(*) from ingest_log").fetchone()
            seen.append((Path(result.path).name, logged[0] if logged else 0))

        report = study.ingest([tmp_path / "in"], progress=False, on_result=record)
    assert seen == [("roster.csv", 1), ("bad.csv", 2)]
    assert [Path(f.path).name for f in report.files] == ["roster.csv", "bad.csv"]


def test_the_cli_prints_each_file_before_the_summary(tmp_path: Path) -> None:
    roster(tmp_path / "in" / "roster.csv", *DEFAULT_ROSTER_ROWS)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "toolkit",
            "ingest",
            str(tmp_path / "s.duckdb"),
            str(tmp_path / "in"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    assert process.stdout is not None
    lines = io.StringIO(process.stdout.read()).read().splitlines()
    assert process.wait(timeout=120) == 0
    assert lines[0].startswith("loaded    roster_csv") and lines[-1] == "1 file(s): 1 loaded"
