"""A REDCap project's data dictionary: which export column is which questionnaire item.

The dictionary CSV (Project Setup > Data Dictionary > Download) lists every field with its form,
type, label, choices (``0, None | 1, Mild | ...``) and annotation. A field is a questionnaire
item when its annotation says so (``@RETROWALK-ITEM=koos_p1``) or, failing that, when its name
is an item's column name (``koos_p1``, ``womac_f17``, ``kujala_4``, ``nrs``, ``vas``; see
``toolkit.instruments.scoring.item_columns``). A form's date is its field annotated
``@RETROWALK-DATE``, else its first date or datetime field. The participant id is the record id,
or the value of the one field tagged ``@RETROWALK-PARTICIPANT`` (when record ids are REDCap's
own numbers).

For a choice field, each choice code is turned into the item's points: by the choice's wording
when every choice matches one of the item's printed options (so a KOOS coded 1-5 still scores
0-4), else by the code itself when every code is a value the item allows. A field that fits
neither is refused with its name, rather than guessed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import IngestError
from toolkit.ingest.core.csv_check import check_csv
from toolkit.instruments.scoring import Item, item_columns, normalise_label

#: Column headers of a REDCap data dictionary export (the first is enough to recognise it).
FIELD_NAME = "variable / field name"
FORM_NAME = "form name"
FIELD_TYPE = "field type"
FIELD_LABEL = "field label"
CHOICES = "choices, calculations, or slider labels"
VALIDATION = "text validation type or show slider number"
ANNOTATION = "field annotation"

#: The full header REDCap writes for a data dictionary export, in order (for writers of test and
#: demo projects; reading only needs the columns above, in any case and order).
DICTIONARY_HEADER: tuple[str, ...] = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

CHOICE_TYPES = ("radio", "dropdown", "checkbox", "yesno", "truefalse")
_FIXED_CHOICES = {
    "yesno": (("1", "Yes"), ("0", "No")),
    "truefalse": (("1", "True"), ("0", "False")),
}
_ITEM_TAG = re.compile(r"@RETROWALK-ITEM\s*=\s*['\"]?([A-Za-z0-9_]+)", re.IGNORECASE)
_DATE_TAG = re.compile(r"@RETROWALK-DATE\b", re.IGNORECASE)
_PARTICIPANT_TAG = re.compile(r"@RETROWALK-PARTICIPANT\b", re.IGNORECASE)


@dataclass(frozen=True)
class Field:
    """One dictionary row."""

    name: str
    form: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...]
    validation: str
    annotation: str
    line: int

    @property
    def is_date(self) -> bool:
        """A date or datetime text field (REDCap exports these as ``YYYY-MM-DD[ HH:MM[:SS]]``)."""
        return self.type == "text" and self.validation.startswith(("date_", "datetime_"))


@dataclass
class Dictionary:
    """The parsed dictionary: fields in order, their forms, and the item each one answers."""

    path: Path
    fields: dict[str, Field]
    record_id: str
    items: dict[str, Item] = field(default_factory=dict)
    points: dict[str, dict[str, float]] = field(default_factory=dict)
    form_dates: dict[str, str] = field(default_factory=dict)
    participant_field: str | None = None

    def forms(self) -> list[str]:
        """Form (instrument) names in dictionary order."""
        return list(dict.fromkeys(f.form for f in self.fields.values()))


def is_dictionary(head: bytes) -> bool:
    """Whether ``head`` starts like a REDCap data dictionary CSV."""
    text = head[:2000].decode("utf-8-sig", errors="replace").lstrip()
    return normalise_label(text.split(",", 1)[0].strip('"')) == FIELD_NAME


def record_id_names(head: bytes) -> set[str]:
    """The record id field (a dictionary's first field) as a raw and as a label header would
    name it (normalised), read from the dictionary's first bytes; empty if unreadable."""
    text = head.decode("utf-8-sig", errors="replace")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return set()
    if len(rows) < 2:
        return set()
    header = [normalise_label(h) for h in rows[0]]
    first = dict(zip(header, rows[1], strict=False))
    names = {
        normalise_label(first.get(FIELD_NAME, "")),
        normalise_label(first.get(FIELD_LABEL, "")),
    }
    return names - {""}


def _parse_choices(text: str, where: str) -> tuple[tuple[str, str], ...]:
    out = []
    for part in (p for p in text.split("|") if p.strip()):
        code, sep, label = part.partition(",")
        if not sep:
            raise IngestError(f"choice {part.strip()!r} has no 'code, label' form", where)
        out.append((code.strip(), label.strip()))
    return tuple(out)


def read_dictionary(path: Path) -> Dictionary:
    """Parse the dictionary at ``path`` and map its fields to questionnaire items."""
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"the REDCap data dictionary {path.name} is not UTF-8 text") from exc
    check_csv(path, file_name=True)
    reader = csv.reader(io.StringIO(text))
    header = [normalise_label(h) for h in next(reader, [])]
    missing = [c for c in (FIELD_NAME, FORM_NAME, FIELD_TYPE, FIELD_LABEL) if c not in header]
    if missing:
        raise IngestError(
            f"the REDCap data dictionary {path.name} lacks the column(s) {', '.join(missing)}"
        )
    at = {name: header.index(name) for name in header}
    fields: dict[str, Field] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        get = lambda col, row=row: row[at[col]].strip() if col in at and at[col] < len(row) else ""  # noqa: E731
        ftype = get(FIELD_TYPE).lower()
        where = f"{path.name} line {start}"
        choices: tuple[tuple[str, str], ...] = ()
        if ftype in _FIXED_CHOICES:
            choices = _FIXED_CHOICES[ftype]
        elif ftype in CHOICE_TYPES:
            choices = _parse_choices(get(CHOICES), where)
        name = get(FIELD_NAME)
        fields[name] = Field(
            name=name,
            form=get(FORM_NAME),
            type=ftype,
            label=get(FIELD_LABEL),
            choices=choices,
            validation=get(VALIDATION).lower(),
            annotation=get(ANNOTATION),
            line=start,
        )
    if not fields:
        raise IngestError(f"the REDCap data dictionary {path.name} lists no fields")
    dictionary = Dictionary(path, fields, record_id=next(iter(fields)))
    _map_items(dictionary)
    _map_dates(dictionary)
    tagged = [f.name for f in fields.values() if _PARTICIPANT_TAG.search(f.annotation)]
    if len(tagged) > 1:
        raise IngestError(
            f"several fields are tagged @RETROWALK-PARTICIPANT: {', '.join(tagged)}",
            f"{path.name} line {fields[tagged[1]].line}",
        )
    dictionary.participant_field = tagged[0] if tagged else None
    return dictionary


def _map_items(dictionary: Dictionary) -> None:
    known = item_columns()
    for f in dictionary.fields.values():
        tag = _ITEM_TAG.search(f.annotation)
        target = tag.group(1).lower() if tag else f.name.lower()
        where = f"{dictionary.path.name} line {f.line}"
        if target not in known:
            if tag:
                raise IngestError(
                    f"field {f.name} is tagged as item {target!r}, which no questionnaire has",
                    where,
                )
            continue
        item = known[target]
        if f.type == "checkbox":
            raise IngestError(
                f"field {f.name} answers item {item.column} but is a checkbox; a questionnaire "
                "item takes one answer (use radio or dropdown)",
                where,
            )
        dictionary.items[f.name] = item
        if f.choices:
            dictionary.points[f.name] = _choice_points(f, item, where)


def _choice_points(f: Field, item: Item, where: str) -> dict[str, float]:
    """Choice code -> item points, by wording first, else by code."""
    by_label = {code: item.points_for_label(label) for code, label in f.choices}
    if all(v is not None for v in by_label.values()):
        return {code: float(v) for code, v in by_label.items() if v is not None}
    by_code: dict[str, float] = {}
    for code, _ in f.choices:
        try:
            value = float(code)
        except ValueError:
            value = float("nan")
        if not item.accepts(value):
            raise IngestError(
                f"the choices of field {f.name} ({item.column}) match neither the item's "
                f"wording nor its values: choice code {code!r} is not {item.allowed()}",
                where,
            )
        by_code[code] = value
    return by_code


def _map_dates(dictionary: Dictionary) -> None:
    for form in dictionary.forms():
        in_form = [f for f in dictionary.fields.values() if f.form == form]
        tagged = [f for f in in_form if _DATE_TAG.search(f.annotation)]
        dated = tagged or [f for f in in_form if f.is_date]
        if dated:
            dictionary.form_dates[form] = dated[0].name
