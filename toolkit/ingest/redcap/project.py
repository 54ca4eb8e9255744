"""REDCap exports: item answers into ``raw_questionnaire_items``, scores into ``raw_pain_scores``.

Put three files in one folder (or zip) and ingest it:

- the **data export** (CSV, raw codes or labels, raw or label headers; classic or longitudinal,
  with repeating instruments or events): one row per record, event and repeat instance;
- its **data dictionary** CSV, which says which field is which questionnaire item (see
  :mod:`toolkit.ingest.redcap.dictionary`) and which field dates each form;
- optionally an **event map** CSV with the columns ``redcap_event_name, visit`` and optionally
  ``event_label`` (the event as a label export shows it), ``date_field`` (a date field
  answered once per event, e.g. on a visit form) and ``study_day`` (a nominal day from
  enrolment, used only when a form carries no date of its own). Without a
  map a longitudinal export's visit is the event name as exported.

The record id is the participant id (or the field tagged ``@RETROWALK-PARTICIPANT``). A form's
date is read in the participant's roster time zone; a date alone means 12:00 local time. Whether
values are raw codes or choice labels is detected per file (both ingest to the same scores).
An answer outside the item's choices or range is rejected with its line, field and what is
allowed; a scale with too many missing items is stored item by item without a score, as its
instrument's rule requires.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from toolkit.errors import IngestError
from toolkit.ingest.core.csv_check import check_csv
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.questionnaires.rows import Response, nominal_day, parse_local, to_tables
from toolkit.ingest.redcap.dictionary import (
    Dictionary,
    is_dictionary,
    read_dictionary,
)
from toolkit.ingest.redcap.files import (
    EVENT,
    INSTANCE,
    INSTRUMENT,
    EventInfo,
    count_rows,
    csv_header,
    dictionary_record_ids,
    is_arm_export,
    is_event_export,
    is_event_map,
    read_event_export,
    read_event_map,
    sibling,
)
from toolkit.instruments.definition_rows import DEFINITION_SCHEMAS
from toolkit.instruments.scoring import normalise_label

FORMAT = "redcap"
LOAD_ORDER = 20
LOADS: tuple[str, ...] = (
    "raw_pain_scores",
    "raw_questionnaire_items",
    *DEFINITION_SCHEMAS,
)

_LABEL_SPECIALS = {
    "event name": EVENT,
    "repeat instrument": INSTRUMENT,
    "repeat instance": INSTANCE,
}
_IGNORED_RAW = ("redcap_data_access_group", "redcap_survey_identifier")
_IGNORED_LABELS = ("data access group", "survey identifier", "survey timestamp", "complete?")
#: Unambiguous cells after which the raw-or-label decision is taken.
_DECIDED = 2000
_CHECKED = {"0": "0", "1": "1", "unchecked": "0", "checked": "1"}


def sniff(head: bytes, name: str) -> bool:
    """A REDCap export, data dictionary, event map, or REDCap's event or arm export.

    An export is recognised by REDCap's own columns (``redcap_event_name``, repeat columns,
    ``<form>_complete`` or a label export's ``Complete?``), a first column ``record_id``, or a
    data dictionary beside it whose record id field (its first field) or that field's label
    is the export's first column: a survey project's record id may be ``participant_id``.
    """
    if is_dictionary(head):
        return True
    header = csv_header(head)
    if not header:
        return False
    if is_event_map(header) or is_event_export(header) or is_arm_export(header):
        return True
    if header[0] in ("record_id", "record id") or EVENT in header or INSTRUMENT in header:
        return True
    if any(h.endswith("_complete") for h in header) or "complete?" in header:
        return True
    return header[0] in dictionary_record_ids(name)


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Parse an export (with its sibling dictionary and event map); a dictionary or an event
    map on its own is checked and recorded, with no rows."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if is_dictionary(head):
        dictionary = read_dictionary(path)
        counted = {"redcap_dictionary_items": len(dictionary.items)}
        if not dictionary.items:
            counted["redcap_no_questionnaire_items"] = 1
        return ParsedFile({}, counted)
    header = csv_header(head)
    if is_event_map(header):
        return ParsedFile({}, {"redcap_events_mapped": len(read_event_map(path))})
    if is_event_export(header):
        read_event_export(path)  # checked: an event mapped twice is rejected
        return ParsedFile({}, {"redcap_events_mapped": count_rows(path)})
    if is_arm_export(header):
        return ParsedFile({}, {"redcap_arms": count_rows(path)})
    dictionary_path = sibling(path, "data dictionary", is_dictionary, required=True)
    assert dictionary_path is not None  # required=True raises instead of returning None
    dictionary = read_dictionary(dictionary_path)
    map_path = sibling(path, "event map", lambda h: is_event_map(csv_header(h)), required=False)
    events = read_event_map(map_path) if map_path else None
    if events is None:  # else REDCap's own event export, if it lies beside the data
        export_path = sibling(
            path, "event export", lambda h: is_event_export(csv_header(h)), required=False
        )
        events = read_event_export(export_path) if export_path else None
    for info in (events or {}).values():
        if info.date_field and info.date_field not in dictionary.fields:
            raise IngestError(
                f"the event map's date_field {info.date_field!r} is not a field of the data "
                f"dictionary {dictionary.path.name}"
            )
    parsed = _Export(path, dictionary, events, ctx).parse()
    if not dictionary.items:  # say why nothing loads (real projects without these scales)
        parsed.notes["redcap_no_questionnaire_items"] = 1
    return parsed


class _Export:
    """One export file being read against its dictionary."""

    def __init__(
        self,
        path: Path,
        dictionary: Dictionary,
        events: dict[str, EventInfo] | None,
        ctx: ParseContext,
    ) -> None:
        self.path, self.dictionary, self.events, self.ctx = path, dictionary, events, ctx
        self.notes: dict[str, int] = {"redcap_label_values": 0, "redcap_repeat_rows": 0}
        fields = dictionary.fields
        self.codes = {n: {c for c, _ in fields[n].choices} for n in dictionary.points}
        self.label_codes = {
            n: {normalise_label(t): c for c, t in fields[n].choices} for n in dictionary.points
        }
        self.form_items = {
            form: [(n, i) for n, i in dictionary.items.items() if fields[n].form == form]
            for form in dictionary.forms()
        }

    def parse(self) -> ParsedFile:
        # a label export repeats "Complete?": repeated header names are allowed here
        check_csv(self.path, unique_header=False)
        text = self.path.read_text("utf-8-sig")
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        columns = self._columns(header)
        names = [columns.get(i) for i in range(len(header))]
        _refuse_repeated_fields(header, names)
        rows: list[tuple[int, dict[str, str]]] = []
        line = reader.line_num
        for raw in reader:
            start, line = line + 1, reader.line_num
            cells = {n: c.strip() for n, c in zip(names, raw, strict=False) if n}
            if any(cells.values()):
                rows.append((start, cells))
        self.headers = {name: header[i] for i, name in columns.items() if name}
        labels = self._values_are_labels(rows)
        self.notes["redcap_label_values"] = int(labels)
        base = {
            (cells.get(self.dictionary.record_id, ""), cells.get(EVENT, "")): cells
            for _, cells in rows
            if not cells.get(INSTRUMENT) and not cells.get(INSTANCE)
        }
        self.participant_of = self._participants(rows)
        responses: list[Response] = []
        for start, cells in rows:
            if cells.get(INSTRUMENT) or cells.get(INSTANCE):
                self.notes["redcap_repeat_rows"] += 1
            self._check_checkboxes(start, cells)
            responses += self._responses(start, cells, base, labels)
        parsed = to_tables(responses)
        parsed.notes.update(self.notes)
        return parsed

    def _participants(self, rows: list[tuple[int, dict[str, str]]]) -> dict[str, str]:
        """Record id -> participant id, from the field tagged @RETROWALK-PARTICIPANT if any."""
        d = self.dictionary
        tagged = d.participant_field
        out: dict[str, str] = {}
        for line, cells in rows:
            record = cells.get(d.record_id, "")
            value = cells.get(tagged, "") if tagged else record
            if not value:
                continue
            if out.setdefault(record, value) != value:
                raise IngestError(
                    f"record {record} has two participant ids, {out[record]!r} and {value!r}",
                    self.where(line, tagged),
                )
        return out

    def where(self, line: int, name: str | None = None) -> str:
        return f"line {line}, column '{self.headers.get(name, name)}'" if name else f"line {line}"

    def _columns(self, header: list[str]) -> dict[int, str]:
        """Export column index -> field name (or redcap_* name); ignored columns are absent."""
        d = self.dictionary
        raw_headers = bool(header) and header[0].strip().lower() == d.record_id.lower()
        forms = set(d.forms())
        by_label: dict[str, list[str]] = {}
        for f in d.fields.values():
            if f.type != "descriptive":
                by_label.setdefault(normalise_label(f.label), []).append(f.name)
        out: dict[int, str] = {}
        for index, text in enumerate(header):
            name = text.strip()
            key = name.lower() if raw_headers else normalise_label(name)
            if raw_headers:
                field = key.split("___")[0]
                if key in (EVENT, INSTRUMENT, INSTANCE) or field in d.fields:
                    out[index] = key
                    continue
                if key in _IGNORED_RAW or (
                    key.endswith(("_complete", "_timestamp")) and key.rsplit("_", 1)[0] in forms
                ):
                    continue
            else:
                if key in _LABEL_SPECIALS:
                    out[index] = _LABEL_SPECIALS[key]
                    continue
                if key in _IGNORED_LABELS:
                    continue
                resolved = self._label_column(key, by_label)
                if resolved:
                    out[index] = resolved
                    continue
            raise IngestError(
                f"column {name!r} is not in the data dictionary {d.path.name}; is that "
                "dictionary from this project?",
                f"line 1, column '{name}'",
            )
        return out

    def _label_column(self, key: str, by_label: dict[str, list[str]]) -> str | None:
        """A label header -> field name; checkbox headers read ``Label (choice=Choice)``."""
        if by_label.get(key):
            return by_label[key].pop(0)
        if key.endswith(")") and "(choice=" in key:
            label, _, choice = key[:-1].partition(" (choice=")
            for name in by_label.get(label, []):
                for code, text in self.dictionary.fields[name].choices:
                    if normalise_label(text) == choice:
                        return f"{name}___{code}"
        return None

    def _values_are_labels(self, rows: list[tuple[int, dict[str, str]]]) -> bool:
        """True when the mapped choice fields hold choice labels rather than codes."""
        codes = labels = 0
        for _, cells in rows:
            for name in self.dictionary.points:
                value = cells.get(name)
                if not value:
                    continue
                is_code = value in self.codes[name]
                is_label = normalise_label(value) in self.label_codes[name]
                codes += is_code and not is_label
                labels += is_label and not is_code
            if codes + labels >= _DECIDED:  # a clear answer; any stray value is caught later
                break
        return labels > codes

    def _check_checkboxes(self, line: int, cells: dict[str, str]) -> None:
        for name, value in cells.items():
            if "___" in name and value and value.lower() not in _CHECKED:
                raise IngestError(
                    f"checkbox value {value!r} is not 0/1 or Checked/Unchecked",
                    self.where(line, name),
                )

    def _responses(
        self,
        line: int,
        cells: dict[str, str],
        base: dict[tuple[str, str], dict[str, str]],
        labels: bool,
    ) -> list[Response]:
        d = self.dictionary
        record = cells.get(d.record_id, "")
        pid = self.participant_of.get(record, "")
        event = cells.get(EVENT, "")
        out: dict[tuple[str, datetime], Response] = {}
        for form in d.forms():
            in_form = self.form_items[form]
            if not any(cells.get(name) for name, _ in in_form):
                continue
            answers: dict[str, dict[str, float | None]] = {}
            exported: dict[str, dict[str, str | None]] = {}
            for name, item in in_form:
                if name not in cells:
                    continue
                value = self._points(line, name, cells[name], labels)
                answers.setdefault(item.questionnaire, {})[item.id] = value
                shown = self._exported(name, cells[name], labels) if value is not None else None
                exported.setdefault(item.questionnaire, {})[item.id] = shown
            filled = {q: a for q, a in answers.items() if any(v is not None for v in a.values())}
            if not filled:
                continue
            if not pid:
                field = d.participant_field or d.record_id
                raise IngestError(
                    f"record {record!r} has no participant id ({field} is empty)",
                    self.where(line, field),
                )
            measured_at, visit = self._when(line, form, record, pid, event, cells, base)
            for questionnaire, items in filled.items():
                # a questionnaire split over forms with the same date is one administration
                key = (questionnaire, measured_at)
                if key in out:
                    out[key].answers.update(items)
                    out[key].exported.update(exported[questionnaire])
                else:
                    out[key] = Response(
                        pid, measured_at, visit, questionnaire, items, line,
                        dict(exported[questionnaire]),
                    )  # fmt: skip
        return list(out.values())

    def _exported(self, name: str, value: str, labels: bool) -> str:
        """The answer as the export means it: a choice's wording where the item's options are
        known by wording (the project's own label for a raw code), else the choice's code (the
        item's points: the choices were matched by code)."""
        d = self.dictionary
        if name not in d.points:
            return value
        code = self.label_codes[name].get(normalise_label(value), value) if labels else value
        label = dict(d.fields[name].choices).get(code)
        if label is not None and d.items[name].points_for_label(label) is not None:
            return label
        return code

    def _points(self, line: int, name: str, value: str, labels: bool) -> float | None:
        if not value:
            return None
        d = self.dictionary
        item = d.items[name]
        f = d.fields[name]
        if name in d.points:
            code = value
            if labels:
                code = self.label_codes[name].get(normalise_label(value), value)
            if code not in d.points[name]:
                shown = ", ".join(f"{t!r}" if labels else c for c, t in f.choices)
                raise IngestError(
                    f"{value!r} is not a choice of field {name} ({item.column}); allowed: {shown}",
                    self.where(line, name),
                )
            return d.points[name][code]
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not item.accepts(number):
            raise IngestError(
                f"{value!r} is not allowed for field {name} ({item.column}); allowed: "
                f"{item.allowed()}",
                self.where(line, name),
            )
        return number

    def _when(
        self,
        line: int,
        form: str,
        record: str,
        pid: str,
        event: str,
        cells: dict[str, str],
        base: dict[tuple[str, str], dict[str, str]],
    ) -> tuple[datetime, str | None]:
        d = self.dictionary
        info = None
        if event and self.events is not None:
            info = self.events.get(normalise_label(event))
            if info is None:
                raise IngestError(
                    f"event {event!r} is not in the event map", self.where(line, EVENT)
                )
        visit = info.visit if info else (event or None)
        participant = self.ctx.participants.get(pid)
        zone = participant.timezone if participant else "UTC"
        for name in (d.form_dates.get(form), info.date_field if info else None):
            if not name:
                continue
            value = cells.get(name) or base.get((record, event), {}).get(name)
            if value:
                return parse_local(value, zone, self.where(line, name)), visit
        if info and info.study_day is not None and participant:
            return nominal_day(participant.enrolled_on, info.study_day, zone), visit
        raise IngestError(
            f"form {form} has no date: give the form a date field (or tag one @RETROWALK-DATE), "
            "or name a date_field or study_day for this event in the event map",
            self.where(line, d.form_dates.get(form) or d.record_id),
        )


def _refuse_repeated_fields(header: list[str], names: list[str | None]) -> None:
    """Two columns that read as one field (a header repeated by an edit, not the label
    export's repeated "Complete?" of different forms): which copy is right cannot be told."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name is None:
            continue
        if name in seen:
            raise IngestError(
                f"columns {seen[name] + 1} ({header[seen[name]]!r}) and {index + 1} "
                f"({header[index]!r}) are both the field {name!r}; which one holds its values "
                "cannot be told, so nothing is loaded",
                f"line 1, column {index + 1}",
            )
        seen[name] = index
