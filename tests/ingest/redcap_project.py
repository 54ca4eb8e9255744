"""A small hand-made REDCap project for the parser tests: dictionary, raw and label exports.

The label export is derived from the raw one the way REDCap's "CSV (labels)" export does it:
headers become field labels (checkboxes ``Label (choice=Choice)``), choice codes become their
labels, checkboxes ``Checked``/``Unchecked``, events and repeating forms their display names,
``*_complete`` ``Incomplete``/``Unverified``/``Complete``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from toolkit.ingest.redcap.dictionary import DICTIONARY_HEADER
from toolkit.instruments.scoring import questionnaires

DICT_HEADER = list(DICTIONARY_HEADER)
EVENT_LABELS = {
    "baseline_arm_1": "Baseline (Arm 1: Knee)",
    "week_6_arm_1": "Week 6 (Arm 1: Knee)",
}
FORM_LABELS = {"pain_diary": "Pain Diary"}
COMPLETE = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}


def field(
    name: str, form: str, ftype: str, label: str, choices: str = "", valid: str = ""
) -> list[str]:
    row = [""] * len(DICT_HEADER)
    row[0], row[1], row[3], row[4], row[5], row[7] = name, form, ftype, label, choices, valid
    return row


def dictionary_rows() -> list[list[str]]:
    """Forms: visit (date), knee_koos (own datetime), kujala_form (dated by the event's
    visit date; choices coded 1..n, worded as the Kujala form), pain_diary (repeating; NRS with
    wordier labels, VAS slider), sides (a checkbox)."""
    rows = [
        field("record_id", "visit", "text", "Record ID"),
        field("visit_date", "visit", "text", "Visit date", valid="date_ymd"),
        field("koos_date", "knee_koos", "text", "Date completed", valid="datetime_ymd"),
    ]
    koos = questionnaires()["koos"]
    for item in koos.items.values():
        choices = " | ".join(f"{o.points:g}, {o.label}" for o in item.options)
        rows.append(field(item.column, "knee_koos", "radio", item.label, choices))
    kujala = questionnaires()["kujala"]
    for item in kujala.items.values():
        choices = " | ".join(f"{n}, {o.label}" for n, o in enumerate(item.options, start=1))
        rows.append(field(item.column, "kujala_form", "radio", item.label, choices))
    nrs = " | ".join(
        f"{v}, {v}" if 0 < v < 10 else f"{v}, {v} {'No pain' if v == 0 else 'Worst pain'}"
        for v in range(11)
    )
    rows += [
        field("diary_at", "pain_diary", "text", "Diary time", valid="datetime_ymd"),
        field("nrs", "pain_diary", "radio", "Pain now", nrs),
        field("vas", "pain_diary", "slider", "Pain on the line", "No pain | | Worst pain"),
        field("knee_side", "sides", "checkbox", "Painful knee", "1, Left | 2, Right"),
    ]
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_dictionary(folder: Path, name: str = "Knee_DataDictionary_2025-06-01.csv") -> Path:
    return write_csv(folder / name, [DICT_HEADER, *dictionary_rows()])


def export_header() -> list[str]:
    """Raw export columns in REDCap's order: ids, then each form's fields and *_complete."""
    header = [
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
    ]
    forms: dict[str, list[list[str]]] = {}
    for row in dictionary_rows()[1:]:
        forms.setdefault(row[1], []).append(row)
    for form, rows in forms.items():
        for row in rows:
            if row[3] == "checkbox":
                header += [f"{row[0]}___{code}" for code, _ in _choices(row[5])]
            else:
                header.append(row[0])
        header.append(f"{form}_complete")
    return header


def raw_row(record: str, event: str, **cells: object) -> list[str]:
    header = export_header()
    out = [""] * len(header)
    out[0], out[1] = record, event
    for key, value in cells.items():
        out[header.index(key)] = "" if value is None else str(value)
    return out


def to_labels(
    rows: list[list[str]],
    dictionary: list[list[str]] | None = None,
    events: dict[str, str] | None = None,
) -> list[list[str]]:
    """The same export as REDCap's "CSV (labels)" would write it (for the project described
    by ``dictionary`` rows, default this module's, and event display names ``events``)."""
    by_name = {r[0]: r for r in (dictionary or dictionary_rows())}
    event_labels = EVENT_LABELS if events is None else events
    header = rows[0]
    new_header = []
    for col in header:
        base, _, code = col.partition("___")
        if col == "record_id":
            new_header.append("Record ID")
        elif col == "redcap_event_name":
            new_header.append("Event Name")
        elif col == "redcap_repeat_instrument":
            new_header.append("Repeat Instrument")
        elif col == "redcap_repeat_instance":
            new_header.append("Repeat Instance")
        elif col.endswith("_complete"):
            new_header.append("Complete?")
        elif code:
            choice = dict(_choices(by_name[base][5]))[code]
            new_header.append(f"{by_name[base][4]} (choice={choice})")
        else:
            new_header.append(by_name[col][4])
    out = [new_header]
    for row in rows[1:]:
        new = []
        for col, value in zip(header, row, strict=True):
            base, _, code = col.partition("___")
            if col == "redcap_event_name":
                new.append(event_labels.get(value, value))
            elif col == "redcap_repeat_instrument":
                new.append(FORM_LABELS.get(value, value))
            elif col.endswith("_complete"):
                new.append(COMPLETE.get(value, value))
            elif code:
                new.append({"1": "Checked", "0": "Unchecked"}.get(value, value))
            elif value and by_name.get(col, [""] * 4)[3] == "radio":
                new.append(dict(_choices(by_name[col][5])).get(value, value))
            else:
                new.append(value)
        out.append(new)
    return out


def _choices(text: str) -> list[tuple[str, str]]:
    return [(p.split(",", 1)[0].strip(), p.split(",", 1)[1].strip()) for p in text.split("|")]


EVENT_MAP = [
    ["redcap_event_name", "event_label", "visit", "date_field", "study_day"],
    ["baseline_arm_1", "Baseline (Arm 1: Knee)", "baseline", "visit_date", "0"],
    ["week_6_arm_1", "Week 6 (Arm 1: Knee)", "week6", "visit_date", "42"],
]
