"""Generic item spreadsheets: wide and long, CSV and XLSX, scored by the instruments' rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import run_cli
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, questionnaire_tables, roster, write
from toolkit import open_study

WOMAC = [2, 1, 3, 2, 1] + [1, None] + [2] * 14 + [None, None, None]  # pain, stiffness, function
KUJALA = [5, 5, 5, 8, 3, 6, 7, 8, 8, 10, 10, 5, 5]  # Kujala points, total 85
WOMAC_COLUMNS = (
    [f"womac_p{i}" for i in range(1, 6)]
    + ["womac_s1", "womac_s2"]
    + [f"womac_f{i}" for i in range(1, 18)]
)
KUJALA_COLUMNS = [f"kujala_{i}" for i in range(1, 14)]


def cell(value: object) -> str:
    return "" if value is None else str(value)


def wide_rows() -> list[list[object]]:
    header = ["participant_id", "measured_at", "visit", *WOMAC_COLUMNS, *KUJALA_COLUMNS, "nrs"]
    return [
        header,
        ["P2", "2025-03-04T09:00:00-05:00", "baseline", *WOMAC, *[None] * 13, 7],
        ["P1", "2025-03-04 10:00:00", "baseline", *[None] * 24, *KUJALA, None],
    ]


def long_rows() -> list[list[object]]:
    rows: list[list[object]] = [["participant_id", "measured_at", "item", "value", "visit"]]
    for column, value in zip(WOMAC_COLUMNS, WOMAC, strict=True):
        rows.append(["P2", "2025-03-04T14:00:00+00:00", column, value, "baseline"])
    rows.append(["P2", "2025-03-04T14:00:00+00:00", "nrs", 7, "baseline"])
    for column, value in zip(KUJALA_COLUMNS, KUJALA, strict=True):
        rows.append(["P1", "2025-03-04T10:00:00+00:00", column, value, "baseline"])
    return rows


def write_rows(path: Path, rows: list[list[object]]) -> Path:
    return write(path, "".join(",".join(cell(v) for v in row) + "\n" for row in rows))


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def ingest(tmp_path: Path, name: str, writer: object, rows: list[list[object]]) -> Path:
    folder = tmp_path / "data"
    roster(folder / "roster.csv", *DEFAULT_ROSTER_ROWS)
    writer(folder / name, rows)  # type: ignore[operator]
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        report = s.ingest([folder])
    assert report.exit_code == 0, report.to_json()
    assert {f.format for f in report.files} == {"roster_csv", "questionnaire_items"}
    return study


@pytest.fixture(scope="module")
def wide_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingest(tmp_path_factory.mktemp("wide"), "items.csv", write_rows, wide_rows())


def test_wide_csv_scores_by_the_rules(wide_csv: Path) -> None:
    scores, items = questionnaire_tables(wide_csv)
    by = {(r[0], r[2]): r[3] for r in scores}
    assert by["P2", "womac_pain"] == 9.0
    # 14 function items of 2 answered, 3 blank: mean substitution gives 17 x 2 = 34
    assert by["P2", "womac_function"] == 34.0
    assert ("P2", "womac_stiffness") not in by  # one of two stiffness items blank: invalid
    assert by["P2", "nrs"] == 7.0
    assert by["P1", "kujala"] == 85.0
    stiffness = [r[4] for r in items if r[2] == "womac_stiffness"]
    assert sorted(stiffness, key=lambda v: v is None) == [1.0, None]
    # P1's local time is read in the roster zone (Europe/London, GMT in March)
    assert str(next(r[1] for r in scores if r[0] == "P1")) == "2025-03-04 10:00:00+00:00"


def test_long_xlsx_and_wide_csv_hold_the_same_answers(wide_csv: Path, tmp_path: Path) -> None:
    study = ingest(tmp_path, "items.xlsx", write_xlsx, long_rows())
    assert questionnaire_tables(study) == questionnaire_tables(wide_csv)


def test_wide_xlsx_matches_wide_csv(wide_csv: Path, tmp_path: Path) -> None:
    study = ingest(tmp_path, "items.xlsx", write_xlsx, wide_rows())
    assert questionnaire_tables(study) == questionnaire_tables(wide_csv)


def test_answer_wording_is_accepted_for_a_value(tmp_path: Path) -> None:
    rows = [
        ["participant_id", "measured_at", "item", "value"],
        ["P1", "2025-03-04", "womac_s1", "Moderate"],
        ["P1", "2025-03-04", "womac_s2", "severe"],
    ]
    study = ingest(tmp_path, "long.csv", write_rows, rows)
    scores, _ = questionnaire_tables(study)
    # a date alone is 12:00 local time (London, GMT)
    assert scores == [("P1", scores[0][1], "womac_stiffness", 5.0, None)]
    assert str(scores[0][1]) == "2025-03-04 12:00:00+00:00"


@pytest.mark.parametrize(
    ("rows", "position", "message"),
    [
        (
            [["participant_id", "measured_at", "kujala_1"], ["P1", "2025-03-04", "4"]],
            "line 2, column 'kujala_1'",
            "4 is not allowed for kujala_1; one of 5, 3, 0",
        ),
        (
            [
                ["participant_id", "measured_at", "koos_p1", "koos_p01"],
                ["P1", "2025-03-04", "1", "1"],
            ],
            "line 1, column 'koos_p01'",
            "column 'koos_p01' is not a questionnaire item",
        ),
        (
            [
                ["participant_id", "measured_at", "item", "value"],
                ["P1", "2025-03-04", "nrs", "3"],
                ["P1", "2025-03-04", "nrs", "4"],
            ],
            "line 3, column 'item'",
            "nrs is answered twice",
        ),
        (
            [
                ["participant_id", "measured_at", "item", "value"],
                ["P1", "2025-03-04", "vas", "lots"],
            ],
            "line 2, column 'value'",
            "'lots' is neither a number nor an answer of item vas",
        ),
    ],
)
def test_bad_values_are_rejected_with_their_position(
    tmp_path: Path, rows: list[list[object]], position: str, message: str
) -> None:
    folder = tmp_path / "data"
    roster(folder / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write_rows(folder / "items.csv", rows)
    result = run_cli("ingest", tmp_path / "s.duckdb", folder, "--json")
    assert result.returncode == 1
    bad = next(f for f in json.loads(result.stdout) if f["path"].endswith("items.csv"))
    assert bad["position"] == position
    assert message in bad["error"]


def test_an_xlsx_formula_without_a_cached_value_is_rejected_with_its_cell(
    tmp_path: Path,
) -> None:
    """openpyxl writes formulas without computing them: read as blank, it would change a
    score; rejected with the cell instead (issue 11, item 17)."""
    rows = long_rows()
    rows[1][3] = "=1+1"  # a formula in the value column, row 2, column D
    folder = tmp_path / "data"
    roster(folder / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write_xlsx(folder / "items.xlsx", rows)
    with open_study(tmp_path / "study.duckdb") as s:
        report = s.ingest([folder])
    [items] = [f for f in report.files if f.path.endswith("items.xlsx")]
    assert items.status == "rejected"
    assert items.position == "row 2, cell D2"
    assert "formula =1+1 with no cached value" in (items.error or "")


def test_an_xlsx_header_naming_a_column_twice_is_rejected(tmp_path: Path) -> None:
    rows = long_rows()
    rows[0] = ["participant_id", "measured_at", "item", "value", "value"]
    folder = tmp_path / "data"
    roster(folder / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write_xlsx(folder / "items.xlsx", rows)
    with open_study(tmp_path / "study.duckdb") as s:
        report = s.ingest([folder])
    [items] = [f for f in report.files if f.path.endswith("items.xlsx")]
    # a workbook is read as CSV with one line per sheet row, so line 1 is the header row
    assert (items.status, items.position) == ("rejected", "line 1")
