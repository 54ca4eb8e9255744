"""The README's "When something is wrong" table is generated from real runs of the CLI.

Each row is a common mistake, run through ``retrowalk`` in-process (click's CliRunner) on a
small study; the message is what the user now sees. The test fails when the README's table
(between the ``bad-input`` markers) differs from what the commands print today; run
``RETROWALK_UPDATE_README=1 pytest tests/test_readme_bad_input.py`` to rewrite it (as cog
does for sqlite-utils' README).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from tests.conftest import ROOT
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, ROSTER_HEADER
from toolkit.cli.main import cli

README = ROOT / "README.md"
START, END = "<!-- bad-input:start -->", "<!-- bad-input:end -->"
PAIN = "participant_id,measured_at,instrument,score\n"


def _workbook(path: Path) -> None:
    book = Workbook()
    book.active.append(PAIN.strip().split(","))
    book.active.append(["P1", "2025-03-07T10:00:00+00:00", "nrs", 3])
    book.save(path)


#: (mistake, files to write, command) — the command runs in a folder holding study.duckdb.
CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    (
        "a misspelt column in a score file (`patient_id`, `scores`)",
        lambda d: (d / "scores.csv").write_text(
            "patient_id,measured_at,instrument,scores\nP1,2025-03-06T10:00:00Z,nrs,4\n"
        ),
        ["ingest", "study.duckdb", "scores.csv"],
    ),
    (
        "a roster without `enrolled_on` (a column named `enrolment`)",
        lambda d: (d / "roster2.csv").write_text(
            "participant_id,arm,condition,enrolment\nP7,retro,knee_oa,2025-03-05\n"
        ),
        ["ingest", "study.duckdb", "roster2.csv"],
    ),
    (
        "a score outside its instrument's range",
        lambda d: (d / "pain.csv").write_text(PAIN + "P1,2025-03-06T10:00:00Z,nrs,12\n"),
        ["ingest", "study.duckdb", "pain.csv"],
    ),
    (
        "a score for a participant who is not on the roster",
        lambda d: (d / "late.csv").write_text(PAIN + "P5,2025-03-06T10:00:00Z,nrs,4\n"),
        ["ingest", "study.duckdb", "late.csv"],
    ),
    (
        "an empty file",
        lambda d: (d / "empty.csv").write_bytes(b""),
        ["ingest", "study.duckdb", "empty.csv"],
    ),
    (
        "a semicolon-separated file with decimal commas (loads)",
        lambda d: (d / "semi.csv").write_text(
            "participant_id;measured_at;instrument;score\nP1;2025-03-06T11:00:00Z;vas;55,5\n"
        ),
        ["ingest", "study.duckdb", "semi.csv", "--json"],
    ),
    (
        "a Windows-1252 file (loads when it decodes unambiguously)",
        lambda d: (d / "w.csv").write_bytes(
            (PAIN.strip() + ",visit\nP1,2025-03-06T12:00:00Z,nrs,4,caf\xe9\n").encode("cp1252")
        ),
        ["ingest", "study.duckdb", "w.csv", "--json"],
    ),
    (
        "an Excel file renamed `.csv` (loads)",
        lambda d: _workbook(d / "renamed.csv"),
        ["ingest", "study.duckdb", "renamed.csv", "--json"],
    ),
    (
        "an input path that does not exist (a typo)",
        lambda d: None,
        ["ingest", "study.duckdb", "raw/pian.csv"],
    ),
    (
        "a study path in a folder that does not exist",
        lambda d: None,
        ["ingest", "studies/trial.duckdb", "roster.csv"],
    ),
    (
        "an arm that does not exist",
        lambda d: None,
        ["stats", "study.duckdb", "ancova", "--arm", "retro_walk"],
    ),
    (
        "a table name misspelt in SQL",
        lambda d: None,
        ["query", "study.duckdb", "select * from outcomz"],
    ),
    (
        "`$name` in SQL with a positional `--param`",
        lambda d: None,
        [
            "query",
            "study.duckdb",
            "select * from participants where arm = $arm",
            "--param",
            "retro",
        ],
    ),
    (
        "a report into a folder that does not exist",
        lambda d: None,
        ["report", "study.duckdb", "--out", "reports/2025/report.html"],
    ),
]


def _message(stdout: str, stderr: str, args: list[str]) -> str:
    if "--json" in args:
        [row] = json.loads(stdout)
        notes = ", ".join(k for k in row["notes"] if k.startswith("read as"))
        return f"{row['status']} as `{row['format']}`" + (f" ({notes})" if notes else "")
    per_file = args[0] == "ingest" and stdout.strip()
    text = stdout.strip() if per_file else stderr.strip() or stdout.strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if per_file:  # the file's line, then its error line
        return lines[1] if len(lines) > 1 else lines[0]
    return lines[-1]  # a usage error (nothing ingested): one line on stderr


def generate(folder: Path) -> str:
    """The table, by running every case in ``folder`` (a study with the test roster)."""
    runner = CliRunner()
    rows = ["| mistake | command | exit | what retrowalk says |", "|---|---|---|---|"]
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        (folder / "roster.csv").write_text(
            ROSTER_HEADER + "".join(r + "\n" for r in DEFAULT_ROSTER_ROWS)
        )
        assert runner.invoke(cli, ["ingest", "study.duckdb", "roster.csv"]).exit_code == 0
        for mistake, prepare, args in CASES:
            prepare(folder)
            result = runner.invoke(cli, args)
            message = _message(result.stdout, result.stderr, args).replace("|", "\\|")
            shown = " ".join(a if " " not in a else f'"{a}"' for a in args)
            rows.append(f"| {mistake} | `retrowalk {shown}` | {result.exit_code} | {message} |")
    finally:
        os.chdir(cwd)
    return "\n".join(rows)


def test_readme_bad_input_table_is_what_the_commands_print(tmp_path: Path) -> None:
    table = generate(tmp_path)
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r"\n(?:.*?\n)?" + re.escape(END), re.DOTALL)
    assert pattern.search(text), "README lacks the bad-input markers"
    wanted = f"{START}\n{table}\n{END}"
    if os.environ.get("RETROWALK_UPDATE_README"):
        README.write_text(pattern.sub(lambda _: wanted, text), encoding="utf-8")
        pytest.skip("README table rewritten")
    assert pattern.search(text).group(0) == wanted, (  # type: ignore[union-attr]
        "README's bad-input table is out of date: run RETROWALK_UPDATE_README=1 pytest "
        "tests/test_readme_bad_input.py"
    )
