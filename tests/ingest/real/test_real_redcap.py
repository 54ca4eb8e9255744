"""The real REDCap 14 projects in ``../shared/fixtures/real/redcap`` (REDCapR test projects):
every file's outcome, and what the parser read checked against the files themselves.

None of these projects holds KOOS, WOMAC, Kujala, NRS or VAS items (folder README), so every
export loads no rows and says why (``redcap_no_questionnaire_items``) rather than failing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import SHARED_FIXTURES, real_fixtures
from tests.ingest.real.conftest import ingest_real
from toolkit.ingest.redcap.dictionary import read_dictionary
from toolkit.ingest.redcap.files import read_event_export

PROJECTS = sorted(
    p.name for p in (SHARED_FIXTURES / "real" / "redcap").glob("*") if p.is_dir()
) or ["(absent)"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("project", PROJECTS)
def test_every_redcap_file_loads_and_says_why_nothing_is_scored(
    project: str, tmp_path: Path
) -> None:
    folder = real_fixtures("real", "redcap", project)
    results, _ = ingest_real(tmp_path, f"redcap/{project}")
    assert set(results) == {p.name for p in folder.iterdir()}
    for name, result in results.items():
        assert (result.status, result.format) == ("loaded", "redcap"), (name, result.error)
    data = folder / "data.csv"
    if data.exists():
        export = results["data.csv"]
        assert export.rows == {"raw_questionnaire_items": 0}
        assert export.notes["redcap_no_questionnaire_items"] == 1
        assert export.notes["redcap_label_values"] == 0  # raw codes, as the README says
        repeats = sum(1 for r in _rows(data) if r.get("redcap_repeat_instrument"))
        assert export.notes["redcap_repeat_rows"] == repeats
    assert results["dictionary.csv"].notes["redcap_no_questionnaire_items"] == 1


def test_checkbox_columns_are_the_dictionarys_choices() -> None:
    folder = real_fixtures("real", "redcap", "checkboxes-1")
    fields = read_dictionary(folder / "dictionary.csv").fields
    header = next(csv.reader((folder / "data.csv").open(encoding="utf-8-sig")))
    for name in ("check_one", "check_two"):
        codes = [code for code, _ in fields[name].choices]
        assert [h for h in header if h.startswith(f"{name}___")] == [f"{name}___{c}" for c in codes]
    first = _rows(folder / "data.csv")[0]  # the file's own description of row 1
    assert (first["check_one___1"], first["check_two___a"], first["check_two___c"]) == ("1",) * 3


def test_longitudinal_events_and_arms_map_every_exported_event(tmp_path: Path) -> None:
    folder = real_fixtures("real", "redcap", "longitudinal")
    results, _ = ingest_real(tmp_path, "redcap/longitudinal")
    events = _rows(folder / "event.csv")
    assert results["event.csv"].notes == {"redcap_events_mapped": len(events)}
    assert results["arm.csv"].notes == {"redcap_arms": len(_rows(folder / "arm.csv"))}
    mapped = read_event_export(folder / "event.csv")
    exported = {r["redcap_event_name"] for r in _rows(folder / "data.csv")}
    assert exported <= set(mapped)
    arms = {r["arm_num"]: r["name"] for r in _rows(folder / "arm.csv")}
    for event in events:  # a label export's "Dose 1 (Arm 1: Drug A)" maps too
        label = f"{event['event_name']} (Arm {event['arm_num']}: {arms[event['arm_num']]})"
        assert mapped[label.lower()].visit == event["event_name"]


def test_a_dictionary_starting_with_a_byte_order_mark_is_read() -> None:
    path = real_fixtures("real", "redcap", "potentially-problematic-dictionary", "dictionary.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    fields = read_dictionary(path).fields
    assert next(iter(fields)) == "record_id"
    assert len(fields) == len(_rows(path))
