"""Write the demo's knee questionnaires as a REDCap project export (see MODEL.md).

Files under ``raw/redcap/``: ``RetroWalk_DataDictionary.csv`` (the data dictionary),
``RetroWalk_DATA.csv`` (a raw-code export of a longitudinal project with the events
``baseline_arm_1``, ``week_6_arm_1``, ``week_12_arm_1``) and ``RetroWalk_events.csv`` (the
event map to the visits ``baseline``, ``week6``, ``week12``). Forms: KOOS for knee OA and
post-ACL reconstruction, WOMAC (Likert 3.1) for knee OA, Kujala for patellofemoral pain, each
with its own completion time.

Answers follow the simulated pain: an item's answer rises with the visit's NRS (severity
``nrs / 10``) plus a per-person offset and item noise; 2% of KOOS and WOMAC items are left
blank, so the instruments' missing-item rules are exercised. Kujala answers are chosen to add up
exactly to the Kujala total the simulation drew (the items closest to the severity that do),
so the Kujala outcome is the one ``MODEL.md`` describes; Kujala totals therefore travel only
in REDCap, not in ``pain/visits.csv`` (see :func:`leave_to_redcap`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from retrowalk_demo.simulate import Participant, Score
from toolkit.ingest.redcap.dictionary import DICTIONARY_HEADER
from toolkit.instruments.scoring import Item, questionnaires

#: Instruments whose scores the demo exports through REDCap (so not as totals elsewhere).
REDCAP_INSTRUMENTS = ("kujala",)
EVENTS = {"baseline": "baseline_arm_1", "week6": "week_6_arm_1", "week12": "week_12_arm_1"}
EVENT_LABELS = {"baseline": "Baseline", "week6": "Week 6", "week12": "Week 12"}
FORMS = {
    "knee_oa": ("koos", "womac"),
    "post_acl_reconstruction": ("koos",),
    "patellofemoral_pain": ("kujala",),
}
#: Minutes after the visit's NRS at which each form was completed (Kujala keeps its own time).
FORM_DELAY_MIN = {"koos": 10, "womac": 15}
#: How strongly each subscale's items follow pain severity (Sport/Rec harder, ADL easier).
ITEM_WEIGHT = {
    "koos_pain": 1.0,
    "koos_symptoms": 0.8,
    "koos_adl": 0.8,
    "koos_sport_rec": 1.3,
    "koos_qol": 1.1,
    "womac_pain": 1.0,
    "womac_stiffness": 0.9,
    "womac_function": 0.85,
}
BLANK_ITEM_SHARE = 0.02


def leave_to_redcap(people: list[Participant]) -> list[Participant]:
    """The participants without the scores that the REDCap export carries."""
    return [
        replace(p, scores=[s for s in p.scores if s.instrument not in REDCAP_INSTRUMENTS])
        for p in people
    ]


def _write(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def _dictionary_row(name: str, form: str, ftype: str, label: str, **extra: str) -> list[str]:
    row = dict.fromkeys(DICTIONARY_HEADER, "")
    row.update(
        {
            "Variable / Field Name": name,
            "Form Name": form,
            "Field Type": ftype,
            "Field Label": label,
            "Choices, Calculations, OR Slider Labels": extra.get("choices", ""),
            "Text Validation Type OR Show Slider Number": extra.get("validation", ""),
        }
    )
    return list(row.values())


def _choices(item: Item, questionnaire: str) -> str:
    """KOOS and WOMAC code answers 0-4; Kujala codes its options 0..n-1 in printed order (the
    toolkit maps them to points by their wording)."""
    if questionnaire == "kujala":
        return " | ".join(f"{i}, {o.label}" for i, o in enumerate(item.options))
    return " | ".join(f"{o.points:g}, {o.label}" for o in item.options)


def dictionary_rows() -> list[list[str]]:
    """The project's data dictionary."""
    rows = [list(DICTIONARY_HEADER), _dictionary_row("record_id", "enrolment", "text", "Record ID")]
    for name in ("koos", "womac", "kujala"):
        q = questionnaires()[name]
        rows.append(
            _dictionary_row(
                f"{name}_date", name, "text", "Date and time completed", validation="datetime_ymd"
            )
        )
        rows += [
            _dictionary_row(item.column, name, "radio", item.label, choices=_choices(item, name))
            for item in q.items.values()
        ]
    return rows


def _export_columns() -> list[str]:
    columns = ["record_id", "redcap_event_name", "enrolment_complete"]
    for name in ("koos", "womac", "kujala"):
        items = [i.column for i in questionnaires()[name].items.values()]
        columns += [f"{name}_date", *items, f"{name}_complete"]
    return columns


def _kujala_answers(target: float, severity: float, rng: np.random.Generator) -> dict[str, int]:
    """Option indexes (0 = best) adding up to ``target`` points, closest to the severity."""
    items = list(questionnaires()["kujala"].items.values())
    wanted = [severity * (len(i.options) - 1) + rng.normal(0, 0.5) for i in items]
    # dynamic programme over items: best[total] = (cost, choices) reaching that total
    best: dict[int, tuple[float, tuple[int, ...]]] = {0: (0.0, ())}
    for item, want in zip(items, wanted, strict=True):
        step: dict[int, tuple[float, tuple[int, ...]]] = {}
        for total, (cost, chosen) in best.items():
            for index, option in enumerate(item.options):
                key = total + int(option.points)
                candidate = (cost + abs(index - want), (*chosen, index))
                if key not in step or candidate[0] < step[key][0]:
                    step[key] = candidate
        best = step
    _, chosen = best[int(target)]
    return {item.column: index for item, index in zip(items, chosen, strict=True)}


def _likert_answers(
    name: str, severity: float, offset: float, rng: np.random.Generator
) -> dict[str, int | None]:
    q = questionnaires()[name]
    out: dict[str, int | None] = {}
    for scale in q.scales:
        for item_id in scale.items:
            item = q.items[item_id]
            if rng.random() < BLANK_ITEM_SHARE:
                out[item.column] = None
                continue
            value = 4 * severity * ITEM_WEIGHT[scale.instrument] + offset + rng.normal(0, 0.6)
            out[item.column] = int(np.clip(round(value), 0, 4))
    return out


def _local(at: datetime) -> str:
    """REDCap's datetime_ymd export: local wall-clock time without an offset."""
    return at.strftime("%Y-%m-%d %H:%M")


def export_rows(people: list[Participant], seed: int) -> list[list[object]]:
    """The raw export: one row per participant and attended visit with a questionnaire."""
    rng = np.random.default_rng(seed + 2)
    columns = _export_columns()
    rows: list[list[object]] = [list[object](columns)]
    for person in people:
        forms = FORMS[person.condition]
        offset = float(rng.normal(0, 0.4))
        by_visit: dict[tuple[str, str], Score] = {
            (s.visit, s.instrument): s for s in person.scores if s.visit in EVENTS
        }
        for visit, event in EVENTS.items():
            nrs = by_visit.get((visit, "nrs"))
            if nrs is None:
                continue
            severity = nrs.score / 10.0
            cells: dict[str, object] = {"record_id": person.participant_id}
            cells["redcap_event_name"] = event
            for name in forms:
                if name == "kujala":
                    total = by_visit[(visit, "kujala")]
                    cells["kujala_date"] = _local(total.measured_at)
                    cells.update(_kujala_answers(total.score, severity, rng))
                else:
                    at = nrs.measured_at + timedelta(minutes=FORM_DELAY_MIN[name])
                    cells[f"{name}_date"] = _local(at)
                    cells.update(_likert_answers(name, severity, offset, rng))
                cells[f"{name}_complete"] = 2
            rows.append(["" if cells.get(c) is None else cells[c] for c in columns])
    return rows


def write_redcap(raw: Path, people: list[Participant], seed: int) -> list[Path]:
    """Write the dictionary, the raw export and the event map under ``raw/redcap``."""
    folder = raw / "redcap"
    events = [["redcap_event_name", "event_label", "visit"]] + [
        [event, EVENT_LABELS[visit], visit] for visit, event in EVENTS.items()
    ]
    return [
        _write(folder / "RetroWalk_DataDictionary.csv", dictionary_rows()),
        _write(folder / "RetroWalk_DATA.csv", export_rows(people, seed)),
        _write(folder / "RetroWalk_events.csv", events),
    ]
