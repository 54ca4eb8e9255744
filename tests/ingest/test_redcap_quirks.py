"""REDCap quirks from real projects (issue 11, defects 4-5): a record id that is not
``record_id``, label headers with repeated ``Complete?`` columns and checkbox choices, REDCap's
own event and arm exports as the event map, and an event mapped twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.helpers import write
from tests.ingest.redcap_project import DICT_HEADER, field, write_csv
from toolkit import open_study
from toolkit.ingest.core.loader import FileResult

NRS = " | ".join(f"{v}, {v}" for v in range(11))


def _dictionary(folder: Path) -> None:
    rows = [
        field("participant_id", "pain", "text", "Study ID"),
        field("pain_date", "pain", "text", "Date", valid="date_ymd"),
        field("nrs", "pain", "radio", "Pain now", NRS),
        field("race", "pain", "checkbox", "Race (Select all that apply)", "1, Asian | 2, White"),
    ]
    write_csv(folder / "dictionary.csv", [DICT_HEADER, *rows])


def _ingest(study: Path, folder: Path) -> dict[str, FileResult]:
    with open_study(study) as opened:
        return {Path(f.path).name: f for f in opened.ingest([folder], progress=False).files}


def _scores(study: Path) -> list[tuple[object, ...]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(
            "select participant_id, cast(measured_at as date), instrument, score, visit "
            "from pain_scores order by all"
        ).rows()


def test_a_survey_project_keyed_on_participant_id_is_recognised(
    study: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "survey"
    _dictionary(folder)
    # raw headers, form status left out of the export: only the dictionary says what this is
    write(
        folder / "export.csv",
        "participant_id,pain_date,nrs,race___1,race___2\n"
        "P1,2025-03-05,4,1,0\nP2,2025-03-06,7,0,1\n",
    )
    results = _ingest(study, folder)
    assert results["export.csv"].format == "redcap"
    assert results["export.csv"].status == "loaded", results["export.csv"].error
    assert [s[:4] for s in _scores(study)] == [
        ("P1", _date("2025-03-05"), "nrs", 4.0),
        ("P2", _date("2025-03-06"), "nrs", 7.0),
    ]


def test_label_headers_with_complete_and_choice_columns_read_the_same(
    study: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "labels"
    _dictionary(folder)
    write(
        folder / "export_labels.csv",
        "Study ID,Date,Pain now,Race (Select all that apply) (choice=Asian),"
        "Race (Select all that apply) (choice=White),Complete?\n"
        "P1,2025-03-05,4,Checked,Unchecked,Complete\nP2,2025-03-06,7,Unchecked,Checked,Complete\n",
    )
    results = _ingest(study, folder)
    assert results["export_labels.csv"].status == "loaded", results["export_labels.csv"].error
    assert [s[2:4] for s in _scores(study)] == [("nrs", 4.0), ("nrs", 7.0)]


def _date(text: str) -> object:
    from datetime import date

    return date.fromisoformat(text)


EVENTS = (
    "event_name,arm_num,unique_event_name,custom_event_label,event_id\n"
    '"Baseline",1,baseline_arm_1,,2888\n'
    '"Week 6",1,week_6_arm_1,,2889\n'
)


def _longitudinal(folder: Path, events: str) -> None:
    rows = [
        field("record_id", "pain", "text", "Record ID"),
        field("pain_date", "pain", "text", "Date", valid="date_ymd"),
        field("nrs", "pain", "radio", "Pain now", NRS),
    ]
    write_csv(folder / "dictionary.csv", [DICT_HEADER, *rows])
    write(folder / "event.csv", events)
    write(folder / "arm.csv", 'arm_num,name\n1,"Knee"\n')
    write(
        folder / "data.csv",
        "record_id,redcap_event_name,pain_date,nrs,pain_complete\n"
        "P1,baseline_arm_1,2025-03-05,6,2\nP1,week_6_arm_1,2025-04-16,3,2\n",
    )


def test_redcaps_event_and_arm_exports_are_the_event_map(study: Path, tmp_path: Path) -> None:
    folder = tmp_path / "long"
    _longitudinal(folder, EVENTS)
    results = _ingest(study, folder)
    assert {n: r.status for n, r in results.items()} == dict.fromkeys(results, "loaded")
    assert results["event.csv"].notes == {"redcap_events_mapped": 2}
    assert results["arm.csv"].notes == {"redcap_arms": 1}
    assert [(s[3], s[4]) for s in _scores(study)] == [(6.0, "Baseline"), (3.0, "Week 6")]


def test_an_event_mapped_twice_to_different_visits_is_rejected(study: Path, tmp_path: Path) -> None:
    folder = tmp_path / "long"
    _longitudinal(folder, EVENTS + '"Week 12",1,baseline_arm_1,,2890\n')
    results = _ingest(study, folder)
    assert results["data.csv"].status == "rejected"
    assert "listed twice with different visits ('Baseline' and 'Week 12')" in (
        results["data.csv"].error or ""
    )
    assert results["event.csv"].status == "rejected"
    assert _scores(study) == []


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""])
def test_a_dictionary_with_a_byte_order_mark_is_read(
    study: Path, tmp_path: Path, bom: bytes
) -> None:
    folder = tmp_path / "bom"
    _dictionary(folder)
    path = folder / "dictionary.csv"
    path.write_bytes(bom + path.read_bytes())
    write(folder / "export.csv", "participant_id,pain_date,nrs\nP1,2025-03-05,4\n")
    results = _ingest(study, folder)
    assert results["dictionary.csv"].status == "loaded"
    assert results["export.csv"].status == "loaded", results["export.csv"].error


def test_a_zipped_survey_project_is_recognised_by_its_dictionary(
    study: Path, tmp_path: Path
) -> None:
    import zipfile

    folder = tmp_path / "survey"
    _dictionary(folder)
    write(folder / "export.csv", "participant_id,pain_date,nrs\nP1,2025-03-05,4\n")
    archive = tmp_path / "in" / "project.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("dictionary.csv", "export.csv"):
            zf.write(folder / name, f"project/{name}")
    results = _ingest(study, tmp_path / "in")
    assert results["export.csv"].format == "redcap"
    assert results["export.csv"].status == "loaded", results["export.csv"].error
    assert [s[2:4] for s in _scores(study)] == [("nrs", 4.0)]
