"""Malformed CSV is rejected with its line in every CSV parser (issue 11, item 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.ingest.helpers import ROSTER_HEADER, write
from toolkit import open_study
from toolkit.errors import IngestError
from toolkit.ingest.core.csv_check import check_csv

GOOD = "a,b,c\n1,2,3\n\n4,5,6"


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("a,b,c\n1,2,3\n4,5\n", "line 3", "2 fields, fewer than the header's 3"),
        ("a,b,c\n1,2,3,4\n", "line 2", "4 fields, more than the header's 3"),
        ("a,b,A\n1,2,3\n", "line 1", "names the column 'A' twice (columns 1 and 3)"),
        ('a,b,c\n"1,2,3\n4,5,6\n', "line 2", "a quoted field opened on this line is never closed"),
        ('a,b,c\n"1,2,3\n4,"5,6\n7,8,9\n', "line 2", "the row starting on this line has a quote"),
        ("a,b\n1,\x002\n", "line 2, byte 7", "NUL byte"),
        ('a,b,c\n1,"x, y",3\n4,5\n', "line 3", "2 fields, fewer"),
    ],
)
def test_structural_faults_name_their_line(
    tmp_path: Path, text: str, position: str, message: str
) -> None:
    path = write(tmp_path / "f.csv", text)
    with pytest.raises(IngestError, match=re.escape(message)) as info:
        check_csv(path)
    assert info.value.position == position


@pytest.mark.parametrize(
    "text",
    [GOOD, 'a,b,c\n1,"x, y",3\n4,"two\nlines",6\n', "a,b\r\n1,2\r\n\r\n", "\ufeffa,b\n1,2\n"],
)
def test_well_formed_files_pass(tmp_path: Path, text: str) -> None:
    check_csv(write(tmp_path / "f.csv", text))


def test_a_truncated_roster_row_is_rejected_not_loaded_with_nulls(tmp_path: Path) -> None:
    """A row cut short would load with UTC, no site and no prescription: rejected instead."""
    path = write(
        tmp_path / "roster.csv",
        ROSTER_HEADER
        + "P1,retro,patellofemoral_pain,female,31,23.5,2025-03-05,leeds,Europe/London,backward,45\n"
        + "P2,usual_care,knee_oa,male,60,29,2025-03-05\n",
    )
    with open_study(tmp_path / "s.duckdb") as study:
        [result] = study.ingest([path], progress=False).files
        assert result.status == "rejected"
        assert result.position == "line 3"
        assert study.sql("select count(*) from participants").item() == 0


def test_a_stray_quote_in_a_redcap_export_rejects_it_with_the_line(
    tmp_path: Path, study: Path
) -> None:
    from tests.ingest.redcap_project import DICT_HEADER, field, write_csv

    folder = tmp_path / "rc"
    nrs = " | ".join(f"{v}, {v}" for v in range(11))
    write_csv(
        folder / "dictionary.csv",
        [
            DICT_HEADER,
            field("record_id", "pain", "text", "Record ID"),
            field("pain_date", "pain", "text", "Date", valid="date_ymd"),
            field("nrs", "pain", "radio", "Pain now", nrs),
        ],
    )
    write(
        folder / "data.csv",
        'record_id,pain_date,nrs,pain_complete\n"P1,2025-03-05,4,2\nP2,2025-03-06,7,2\n',
    )
    with open_study(study) as opened:
        report = opened.ingest([folder], progress=False)
    data = next(f for f in report.files if f.path.endswith("data.csv"))
    assert (data.status, data.position) == ("rejected", "line 2")
    assert report.exit_code == 1


def test_chunked_checks_keep_line_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import toolkit.ingest.core.csv_check as csv_check

    monkeypatch.setattr(csv_check, "_CHUNK", 7)  # a few lines per chunk
    good = "a,b,c\n" + "1,2,3\n" * 20
    check_csv(write(tmp_path / "g.csv", good))
    with pytest.raises(IngestError) as info:
        check_csv(write(tmp_path / "b.csv", good + "4,5\n" + "1,2,3\n" * 3))
    assert info.value.position == "line 22"
    with pytest.raises(IngestError) as info:
        check_csv(write(tmp_path / "n.csv", good + "4,\x005,6\n"))
    assert info.value.position == "line 22, byte 129"
    text = good.encode() + "7,8,é\n".encode()
    (tmp_path / "u.csv").write_bytes(text.replace("é".encode(), b"\xe9"))
    with pytest.raises(IngestError, match="not UTF-8") as info:
        check_csv(tmp_path / "u.csv")
    assert info.value.position == "line 22, byte 131"
