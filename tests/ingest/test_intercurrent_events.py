"""Intercurrent events as raw data: the CSV format, its rejections, idempotence, the view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study

HEADER = "participant_id,date,event,reason\n"


def _study(tmp_path: Path, events: str, name: str = "events.csv") -> tuple[Path, Path]:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    path = write(raw / name, HEADER + events)
    return tmp_path / "study.duckdb", path


def test_events_load_into_the_view_with_arm_study_day_and_lineage(tmp_path: Path) -> None:
    study, path = _study(
        tmp_path,
        "P1,2025-04-02,Discontinued intervention,knee pain worse\n"
        "P2,2025-05-01,lost to follow-up,\n"
        "P1,2025-03-20,rescue-medication,NSAID\n",
        name="withdrawals.csv",  # recognised by its header, whatever its name
    )
    with open_study(study) as opened:
        report = opened.ingest([study.parent / "raw"])
        assert [f.format for f in report.files] == ["roster_csv", "intercurrent_events"]
        rows = opened.sql(
            "select participant_id, arm, cast(event_date as varchar), study_day, event, reason, "
            "source_path from intercurrent_events order by participant_id, event_date"
        ).rows()
    assert rows == [
        ("P1", "retro", "2025-03-20", 15, "rescue_medication", "NSAID", str(path)),
        ("P1", "retro", "2025-04-02", 28, "discontinued", "knee pain worse", str(path)),
        ("P2", "usual_care", "2025-05-01", 57, "lost_to_follow_up", None, str(path)),
    ]


def test_reingest_is_a_duplicate_and_remove_takes_the_events_out(tmp_path: Path) -> None:
    study, path = _study(tmp_path, "P1,2025-04-02,discontinued,lack of time\n")
    with open_study(study) as opened:
        opened.ingest([study.parent / "raw"])
        again = opened.ingest([path])
        assert [f.status for f in again.files] == ["duplicate"]
        assert opened.sql("select count(*) from raw_intercurrent_events").item() == 1
    # the same rows in another file (an overlapping export) are skipped, not doubled
    overlap = "P1,2025-04-02,discontinued,lack of time\nP2,2025-04-03,surgery,arthroscopy\n"
    copy = write(tmp_path / "more" / "events2.csv", HEADER + overlap)
    with open_study(study) as opened:
        loaded = opened.ingest([copy])
        assert [f.status for f in loaded.files] == ["loaded"]
        assert opened.sql("select count(*) from intercurrent_events").item() == 2
    with open_study(study) as opened:
        opened.remove([copy])
        assert opened.sql("select event from intercurrent_events").rows() == [("discontinued",)]


@pytest.mark.parametrize(
    ("rows", "error", "where"),
    [
        ("P1,2025-04-02,discontinued,x\nP2,2025-04-02,holiday,y\n",
         r"unknown intercurrent event 'holiday'; known: discontinued, lost_to_follow_up",
         "line 3, column 'event'"),
        ("P1,02/04/2025,discontinued,x\n", r"'02/04/2025' is not a date in YYYY-MM-DD form",
         "line 2, column 'date'"),
        ("P1,2025-03-01,discontinued,x\n",
         r"event date 2025-03-01 is before P1's enrolment on 2025-03-05",
         "line 2, column 'date'"),
        ("P1,2025-04-02,discontinued,x\nP1,2025-04-02,discontinued,again\n",
         r"the key \(participant_id=P1, event=discontinued, event_date=2025-04-02\) appears",
         "line 2"),
        ("P9,2025-04-02,discontinued,x\n", r"P9", None),
        ("P1,,discontinued,x\n", r"a value is required here", "line 2, column 'event_date'"),
    ],
)  # fmt: skip
def test_bad_rows_reject_the_file_with_its_line(
    tmp_path: Path, rows: str, error: str, where: str | None
) -> None:
    study, path = _study(tmp_path, rows)
    with open_study(study) as opened:
        report = opened.ingest([study.parent / "raw"])
        result = next(f for f in report.files if f.path == str(path))
        assert result.status == "rejected"
        assert result.error is not None
        assert re.search(error, result.error), result.error
        if where is not None:
            assert result.position == where
        assert opened.sql("select count(*) from raw_intercurrent_events").item() == 0


def test_an_events_workbook_is_read_like_the_csv(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["participant_id", "date", "event", "reason"],
                ["P2", "2025-04-10", "lost to follow-up", "moved away"]):  # fmt: skip
        sheet.append(row)
    book.save(raw / "events.xlsx")
    with open_study(tmp_path / "study.duckdb") as opened:
        report = opened.ingest([raw])
        assert [f.format for f in report.files] == ["roster_csv", "intercurrent_events"]
        assert opened.sql("select event, reason from intercurrent_events").rows() == [
            ("lost_to_follow_up", "moved away")
        ]
