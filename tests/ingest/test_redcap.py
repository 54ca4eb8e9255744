"""REDCap exports: raw and label forms ingest to the same items and scores, by the rules."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, questionnaire_tables, roster
from tests.ingest.redcap_project import (
    EVENT_MAP,
    export_header,
    raw_row,
    to_labels,
    write_csv,
    write_dictionary,
)
from toolkit import open_study

KOOS_BASE = {
    **{f"koos_p{i}": v for i, v in enumerate([2, 1, 1, 2, 1, 3, 0, 1, 1], start=1)},
    **{f"koos_s{i}": v for i, v in enumerate([1, 2, 0, 1, 1, 2, 1], start=1)},
    **{f"koos_a{i}": 1 for i in range(1, 18)},
    **{f"koos_sp{i}": v for i, v in enumerate([3, 4, 4, 3, 2], start=1)},
    **{f"koos_q{i}": v for i, v in enumerate([3, 2, 2, 2], start=1)},
}
#: Kujala answers as REDCap choice codes 1..n (1 = first option printed on the form).
KUJALA_CODES = {f"kujala_{i}": 1 for i in range(1, 14)} | {"kujala_4": 2, "kujala_5": 3}


def export_rows() -> list[list[str]]:
    """P1: baseline (KOOS, Kujala, a checkbox, two diary entries), week 6 (KOOS pain with 5 of
    9 items blank); P2: baseline KOOS only, in New York time."""
    week6 = {**KOOS_BASE, **{f"koos_p{i}": None for i in range(5, 10)}}
    return [
        export_header(),
        raw_row(
            "P1",
            "baseline_arm_1",
            visit_date="2025-03-04",
            visit_complete=2,
            koos_date="2025-03-04 10:30",
            knee_koos_complete=2,
            knee_side___1=1,
            knee_side___2=0,
            sides_complete=2,
            **KOOS_BASE,
            **KUJALA_CODES,
        ),
        raw_row(
            "P1",
            "baseline_arm_1",
            redcap_repeat_instrument="pain_diary",
            redcap_repeat_instance=1,
            diary_at="2025-03-06 20:00",
            nrs=6,
            vas=55,
            pain_diary_complete=2,
        ),
        raw_row(
            "P1",
            "baseline_arm_1",
            redcap_repeat_instrument="pain_diary",
            redcap_repeat_instance=2,
            diary_at="2025-03-30 20:00",
            nrs=10,
            pain_diary_complete=1,
        ),
        raw_row(
            "P1",
            "week_6_arm_1",
            visit_date="2025-04-16",
            koos_date="2025-04-16 09:00",
            **week6,
        ),
        raw_row("P2", "baseline_arm_1", koos_date="2025-03-05 08:00", **KOOS_BASE),
    ]


def project(root: Path, rows: list[list[str]], *, labels: bool = False) -> Path:
    """Roster and REDCap files under ``root/data`` (the folder to ingest)."""
    folder = root / "data"
    roster(folder / "roster.csv", *DEFAULT_ROSTER_ROWS)
    redcap = folder / "redcap"
    write_dictionary(redcap)
    write_csv(redcap / "events.csv", EVENT_MAP)
    write_csv(redcap / "Knee_DATA_2025-06-01_1200.csv", to_labels(rows) if labels else rows)
    return folder


@pytest.fixture(scope="module")
def raw_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = project(tmp_path_factory.mktemp("raw"), export_rows())
    study = folder.parent / "study.duckdb"
    with open_study(study) as s:
        report = s.ingest([folder])
    assert report.exit_code == 0, report.to_json()
    formats = {Path(f.path).name: f.format for f in report.files}
    assert formats["Knee_DATA_2025-06-01_1200.csv"] == "redcap"
    assert formats["Knee_DataDictionary_2025-06-01.csv"] == "redcap"
    return study


def test_raw_and_label_exports_ingest_to_the_same_items_and_scores(
    raw_study: Path, tmp_path: Path
) -> None:
    folder = project(tmp_path, export_rows(), labels=True)
    study = folder.parent / "study.duckdb"
    with open_study(study) as s:
        report = s.ingest([folder])
    assert report.exit_code == 0, report.to_json()
    export = next(f for f in report.files if "DATA" in f.path)
    assert export.notes["redcap_label_values"] == 1
    assert questionnaire_tables(study) == questionnaire_tables(raw_study)


def test_scores_follow_the_instrument_rules(raw_study: Path) -> None:
    with open_study(raw_study, read_only=True) as s:
        scores = {
            (r[0], r[1], r[2]): r[3]
            for r in s.sql(
                "select participant_id, visit, instrument, score from pain_scores"
                " where visit <> 'baseline' or instrument <> 'nrs'"
            ).rows()
        }
        diary = s.sql(
            "select measured_at, score from pain_scores where instrument = 'nrs' order by 1"
        ).rows()
    # KOOS pain 2,1,1,2,1,3,0,1,1: 100 - 12/9 x 25
    assert scores["P1", "baseline", "koos_pain"] == pytest.approx(66.6667, abs=1e-4)
    assert scores["P1", "baseline", "koos_adl"] == pytest.approx(75.0)
    assert scores["P2", "baseline", "koos_sport_rec"] == pytest.approx(100 - 16 / 5 * 25)
    # week 6: only 4 of 9 pain items answered (KOOS 2012 needs 5): no pain score, others kept
    assert ("P1", "week6", "koos_pain") not in scores
    assert scores["P1", "week6", "koos_symptoms"] == pytest.approx(100 - 8 / 7 * 25)
    # Kujala choices coded 1..n map by wording: all first options (full points) except stairs
    # option 2 (8 of 10) and squatting option 3 (3 of 5): 100 - 2 - 2 = 96
    assert scores["P1", "baseline", "kujala"] == 96.0
    # NRS labels "0 No pain" etc. do not match the item's wording: codes are the values;
    # diary times are London local time (GMT in March before the clock change, BST after)
    assert [(str(t), v) for t, v in diary] == [
        ("2025-03-06 20:00:00+00:00", 6.0),
        ("2025-03-30 19:00:00+00:00", 10.0),
    ]


def test_blank_items_are_stored_as_missing_never_as_zero(raw_study: Path) -> None:
    with open_study(raw_study, read_only=True) as s:
        pain_items = s.sql(
            "select item, answer from raw_questionnaire_items where participant_id = 'P1' "
            "and visit = 'week6' and instrument = 'koos_pain' order by item"
        ).rows()
        kujala_at = s.sql(
            "select distinct measured_at from raw_questionnaire_items where instrument='kujala'"
        ).item()
    assert len(pain_items) == 9
    assert [v for _, v in pain_items].count(None) == 5
    # Kujala's form has no date: the event map's date_field (visit_date, noon London) is used
    assert str(kujala_at) == "2025-03-04 12:00:00+00:00"


def test_report_counts_scores_left_uncomputed(tmp_path: Path) -> None:
    folder = project(tmp_path, export_rows())
    result = run_cli("ingest", tmp_path / "s.duckdb", folder, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    export = next(f for f in json.loads(result.stdout) if "DATA" in f["path"])
    assert export["notes"]["scores_not_computed_missing_items"] == 1
    assert export["notes"]["redcap_repeat_rows"] == 2
    # scores are derived from the stored items in the views (int_item_scores)
    assert export["notes"]["scores"] == 5 + 1 + 2 + 1 + 4 + 5
    with open_study(tmp_path / "s.duckdb", read_only=True) as s:
        assert s.sql("select count(*) from pain_scores").item() == 5 + 1 + 2 + 1 + 4 + 5


@pytest.mark.parametrize("labels", [False, True])
def test_an_impossible_answer_is_rejected_with_line_field_and_allowed_values(
    tmp_path: Path, labels: bool
) -> None:
    rows = export_rows()
    rows[5][rows[0].index("koos_p3")] = "7"
    folder = project(tmp_path, rows, labels=labels)
    result = run_cli("ingest", tmp_path / "s.duckdb", folder, "--json")
    assert result.returncode == 1
    export = next(f for f in json.loads(result.stdout) if "DATA" in f["path"])
    assert export["status"] == "rejected"
    column = "Pain: straightening knee fully" if labels else "koos_p3"
    assert export["position"] == f"line 6, column '{column}'"
    assert "'7' is not a choice of field koos_p3 (koos_p3)" in export["error"]
    assert ("'Moderate'" if labels else "0, 1, 2, 3, 4") in export["error"]


def test_a_slider_value_beyond_its_range_is_rejected(tmp_path: Path) -> None:
    rows = export_rows()
    rows[2][rows[0].index("vas")] = "100.5"
    folder = project(tmp_path, rows)
    result = run_cli("ingest", tmp_path / "s.duckdb", folder, "--json")
    export = next(f for f in json.loads(result.stdout) if "DATA" in f["path"])
    assert export["position"] == "line 3, column 'vas'"
    assert "allowed: a number from 0 to 100" in export["error"]


def test_an_export_without_its_dictionary_is_rejected(tmp_path: Path) -> None:
    roster(tmp_path / "data" / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write_csv(tmp_path / "data" / "redcap" / "Knee_DATA.csv", export_rows())
    result = run_cli("ingest", tmp_path / "s.duckdb", tmp_path / "data", "--json")
    export = next(f for f in json.loads(result.stdout) if "DATA" in f["path"])
    assert export["status"] == "rejected"
    assert "needs its data dictionary CSV in the same folder" in export["error"]


def test_an_event_missing_from_the_event_map_is_rejected(tmp_path: Path) -> None:
    rows = export_rows()
    rows[4][1] = "week_12_arm_1"
    folder = project(tmp_path, rows)
    result = run_cli("ingest", tmp_path / "s.duckdb", folder, "--json")
    export = next(f for f in json.loads(result.stdout) if "DATA" in f["path"])
    assert export["position"] == "line 5, column 'redcap_event_name'"
    assert "event 'week_12_arm_1' is not in the event map" in export["error"]


def test_a_bad_checkbox_value_is_rejected(tmp_path: Path) -> None:
    rows = export_rows()
    rows[1][rows[0].index("knee_side___2")] = "2"
    folder = project(tmp_path, rows)
    result = run_cli("ingest", tmp_path / "s.duckdb", folder, "--json")
    export = next(f for f in json.loads(result.stdout) if "DATA" in f["path"])
    assert export["position"] == "line 2, column 'knee_side___2'"


def test_without_an_event_map_the_visit_is_the_event_name(tmp_path: Path) -> None:
    rows = export_rows()
    for column in KUJALA_CODES:  # the Kujala form is dated only through the event map
        rows[1][rows[0].index(column)] = ""
    folder = project(tmp_path, rows)
    (folder / "redcap" / "events.csv").unlink()
    study = tmp_path / "s.duckdb"
    with open_study(study) as s:
        report = s.ingest([folder])
        visits = s.sql("select distinct visit from pain_scores order by 1")["visit"]
    assert report.exit_code == 0, report.to_json()
    assert visits.to_list() == ["baseline_arm_1", "week_6_arm_1"]


def test_a_form_without_any_date_is_rejected(tmp_path: Path) -> None:
    folder = project(tmp_path, export_rows())
    (folder / "redcap" / "events.csv").unlink()
    result = run_cli("ingest", tmp_path / "s.duckdb", folder, "--json")
    export = next(f for f in json.loads(result.stdout) if "DATA" in f["path"])
    assert export["position"] == "line 2, column 'record_id'"
    assert export["error"].startswith("form kujala_form has no date")


def test_a_tagged_participant_field_replaces_numeric_record_ids(
    raw_study: Path, tmp_path: Path
) -> None:
    """Record ids 1 and 2 (REDCap's numbering); participant ids live in a tagged field on the
    baseline visit form only, and apply to the record's other events too."""
    folder = project(tmp_path, export_rows())
    redcap = folder / "redcap"
    dictionary = list(csv.reader((redcap / "Knee_DataDictionary_2025-06-01.csv").open()))
    tagged = [""] * len(dictionary[0])
    tagged[0], tagged[1], tagged[3], tagged[4] = "participant_id", "visit", "text", "Participant"
    tagged[-1] = "@RETROWALK-PARTICIPANT"
    write_csv(
        redcap / "Knee_DataDictionary_2025-06-01.csv", [*dictionary[:2], tagged, *dictionary[2:]]
    )
    rows = export_rows()
    rows[0].insert(1, "participant_id")
    for row in rows[1:]:
        record = {"P1": "1", "P2": "2"}[row[0]]
        baseline_form_row = row[1] == "baseline_arm_1" and not row[2]
        row.insert(1, row[0] if baseline_form_row else "")
        row[0] = record
    write_csv(redcap / "Knee_DATA_2025-06-01_1200.csv", rows)
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        report = s.ingest([folder])
    assert report.exit_code == 0, report.to_json()
    assert questionnaire_tables(study) == questionnaire_tables(raw_study)


def test_a_zip_of_the_project_ingests_like_the_folder(raw_study: Path, tmp_path: Path) -> None:
    folder = project(tmp_path, export_rows())
    archive = tmp_path / "redcap.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((folder / "redcap").iterdir()):
            zf.write(path, f"export/{path.name}")
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        report = s.ingest([folder / "roster.csv", archive])
    assert report.exit_code == 0, report.to_json()
    assert questionnaire_tables(study) == questionnaire_tables(raw_study)


def test_a_scale_split_over_two_forms_of_one_date_is_scored_once(tmp_path: Path) -> None:
    """KOOS pain items 1-4 on one form and 5-9 on another, both dated by the event's visit
    date: one administration, scored from all nine items (66.67 as in the one-form project)."""
    folder = project(tmp_path, export_rows())
    redcap = folder / "redcap"
    path = redcap / "Knee_DataDictionary_2025-06-01.csv"
    dictionary = [r for r in csv.reader(path.open()) if r[0] != "koos_date"]
    for row in dictionary:
        if row[0] in {f"koos_p{i}" for i in range(5, 10)}:
            row[1] = "knee_koos_2"
    write_csv(path, dictionary)
    rows = export_rows()
    drop = rows[0].index("koos_date")
    rows = [row[:drop] + row[drop + 1 :] for row in rows]
    rows[5][rows[0].index("visit_date")] = "2025-03-05"  # P2 had only the KOOS form's date
    write_csv(redcap / "Knee_DATA_2025-06-01_1200.csv", rows)
    study = tmp_path / "study.duckdb"
    with open_study(study) as s:
        report = s.ingest([folder])
        pain = s.sql(
            "select participant_id, visit, score from pain_scores "
            "where instrument = 'koos_pain' order by 1, 2"
        ).rows()
    assert report.exit_code == 0, report.to_json()
    assert [(p, v) for p, v, _ in pain] == [("P1", "baseline"), ("P2", "baseline")]
    assert pain[0][2] == pytest.approx(100 - 12 / 9 * 25)
