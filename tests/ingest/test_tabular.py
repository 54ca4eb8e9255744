"""Spreadsheets as people save them: other CSV dialects, legacy encodings, Excel workbooks,
empty files; and, for a file no format recognises, the closest layout and what differs."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.ingest.helpers import ROSTER_HEADER
from toolkit import open_study
from toolkit.ingest.core.loader import FileResult

PAIN = "participant_id,measured_at,instrument,score,visit\n"


def ingest(study: Path, *paths: Path) -> list[FileResult]:
    with open_study(study) as opened:
        return opened.ingest(list(paths), progress=False).files


def scores(study: Path) -> list[tuple[str, float, str | None]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(
            "select instrument, score, visit from raw_pain_scores order by measured_at"
        ).rows()


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_semicolons_with_decimal_commas_load_and_say_so(study: Path, tmp_path: Path) -> None:
    path = tmp_path / "pain.csv"
    path.write_text(
        "participant_id;measured_at;instrument;score;visit\n"
        "P1;2025-03-06T10:00:00+00:00;vas;55,5;week 1\n"
    )
    [result] = ingest(study, path)
    assert result.status == "loaded", result.error
    assert result.notes["read as semicolon-separated, decimal commas"] == 1
    assert scores(study) == [("vas", 55.5, "week 1")]


def test_a_windows_1252_file_loads_when_it_decodes_unambiguously(
    study: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pain.csv"
    path.write_bytes((PAIN + "P1,2025-03-06T10:00:00+00:00,nrs,4,caf\xe9 visit\n").encode("cp1252"))
    [result] = ingest(study, path)
    assert result.status == "loaded", result.error
    assert "read as encoding windows-1252" in result.notes
    assert scores(study) == [("nrs", 4.0, "café visit")]


def test_bytes_no_encoding_reads_unambiguously_are_rejected(study: Path, tmp_path: Path) -> None:
    path = tmp_path / "pain.csv"
    path.write_bytes(PAIN.encode() + b"P1,2025-03-06T10:00:00+00:00,nrs,4,\x81\x8d\n")
    [result] = ingest(study, path)
    assert result.status == "rejected"
    assert result.position == "line 2"
    assert "not UTF-8 text (byte 0x81" in (result.error or "")
    assert "save it as CSV UTF-8" in (result.error or "")


def test_an_empty_file_says_so(study: Path, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "blank.csv").write_text("\n\n  \n")
    results = ingest(study, tmp_path / "empty.csv", tmp_path / "blank.csv")
    assert [(r.status, r.error) for r in results] == [("rejected", "the file is empty")] * 2


def test_excel_rosters_and_pain_files_are_read_as_what_they_are(tmp_path: Path) -> None:
    header = ROSTER_HEADER.strip().split(",")
    roster = workbook(
        tmp_path / "roster.xlsx",
        [header, ["P9", "retro", "knee_oa", "female", 50, 25.5, "2025-03-05", "leeds",
                  "Europe/London", "backward", 45]],
    )  # fmt: skip
    pain = workbook(
        tmp_path / "renamed.csv",  # an Excel file saved under a .csv name
        [PAIN.strip().split(","), ["P9", "2025-03-06T10:00:00+00:00", "nrs", 6, "baseline"]],
    )
    results = ingest(tmp_path / "study.duckdb", roster, pain)
    assert [(r.format, r.status) for r in results] == [
        ("roster_csv", "loaded"),
        ("pain_csv", "loaded"),
    ], [r.error for r in results]
    assert all("read as Excel workbook, first sheet" in r.notes for r in results)
    assert scores(tmp_path / "study.duckdb") == [("nrs", 6.0, "baseline")]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "patient_id,measured_at,instrument,score",
            "closest to a pain score file (pain_csv) but lacks the column(s) "
            "'participant_id' (did you mean 'patient_id'?); columns it does not read: "
            "patient_id",
        ),
        (
            "participant_id,measured_at,instrument,scores",
            "lacks the column(s) 'score' (did you mean 'scores'?)",
        ),
        (
            "participant_id,arm,condition,enrolment",
            "closest to a participant roster (roster_csv) but lacks the column(s) "
            "'enrolled_on' (did you mean 'enrolment'?)",
        ),
    ],
)
def test_an_unrecognised_csv_names_the_closest_format_and_what_differs(
    study: Path, tmp_path: Path, header: str, expected: str
) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(header + "\nP1,2025-03-06T10:00:00+00:00,nrs,4\n")
    [result] = ingest(study, path)
    assert result.status == "rejected"
    assert "format is not recognised" in (result.error or "")
    assert expected in (result.error or "")
    assert "_line" not in (result.error or "")


def test_a_semicolon_file_with_a_misspelt_column_says_how_it_was_read(
    study: Path, tmp_path: Path
) -> None:
    path = tmp_path / "pain.csv"
    path.write_text("participant;measured_at;instrument;score\nP1;2025-03-06T10:00:00Z;nrs;4\n")
    [result] = ingest(study, path)
    assert "(read as semicolon-separated)" in (result.error or "")
    assert "'participant_id' (did you mean 'participant'?)" in (result.error or "")


def test_missing_column_messages_never_mention_the_internal_line_column(
    study: Path, tmp_path: Path
) -> None:
    from toolkit.errors import IngestError
    from toolkit.ingest.core.csv_text import read_text_csv, require_columns

    path = tmp_path / "x.csv"
    path.write_text("participant_id,measured_at\nP1,2025-03-06T10:00:00Z\n")
    with pytest.raises(IngestError, match=r"found participant_id, measured_at$"):
        require_columns(read_text_csv(path), ["score"], "a pain score file")
