"""The files around a REDCap export: recognising them, finding siblings, the event map.

The event map is a small CSV the user writes: ``redcap_event_name, visit`` and optionally
``event_label`` (the event as a label export shows it), ``date_field`` and ``study_day``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from toolkit.errors import IngestError
from toolkit.ingest.core.csv_check import check_csv
from toolkit.ingest.redcap.dictionary import is_dictionary, record_id_names
from toolkit.instruments.scoring import normalise_label

EVENT, INSTRUMENT, INSTANCE = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
)


def csv_header(head: bytes) -> list[str]:
    """The normalised names on a CSV's first line (empty for binary or non-UTF-8 files)."""
    try:
        text = head.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        return []  # binary, or not UTF-8: not a REDCap CSV
    try:
        first = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []
    return [normalise_label(h) for h in first]


def is_event_map(header: Sequence[str]) -> bool:
    """Whether a header is an event map's (``redcap_event_name`` first, a ``visit`` column)."""
    return bool(header) and header[0] == EVENT and "visit" in header


#: REDCap's own exports of a longitudinal project's events and arms (Project Setup >
#: Define My Events > Download events / arms, or the API's exportEvents / exportArms)
EVENT_EXPORT = ("event_name", "arm_num", "unique_event_name")
ARM_EXPORT = ("arm_num", "name")


def is_event_export(header: Sequence[str]) -> bool:
    """Whether a header is REDCap's event export (``event_name,arm_num,unique_event_name,...``)."""
    return tuple(header[:3]) == EVENT_EXPORT


def is_arm_export(header: Sequence[str]) -> bool:
    """Whether a header is REDCap's arm export (``arm_num,name``)."""
    return tuple(header) == ARM_EXPORT


def count_rows(path: Path) -> int:
    """Data rows (not blank) of a small CSV such as an event or arm export."""
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))[1:]
    return sum(1 for row in rows if any(cell.strip() for cell in row))


def read_event_export(path: Path) -> dict[str, EventInfo]:
    """REDCap's ``event.csv`` as the project's event map: the visit is the event's name.

    Keys are the unique event name (raw exports) and the event as a label export shows it:
    its name, and ``name (Arm N: arm name)`` when an ``arm.csv`` lies beside it. An event
    listed twice with different names is rejected (it would relabel every form of that event).
    """
    check_csv(path, file_name=True)
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))
    arms = _arm_names(path.parent)
    out: dict[str, EventInfo] = {}
    for number, row in enumerate(rows, start=2):
        cell = {normalise_label(k or ""): (v or "").strip() for k, v in row.items()}
        name, unique = cell.get("event_name", ""), cell.get("unique_event_name", "")
        if not name or not unique:
            raise IngestError(
                "each event row needs an event_name and a unique_event_name",
                f"{path.name} line {number}",
            )
        info = EventInfo(cell.get("custom_event_label") or name, None, None)
        keys = [unique, name]
        arm = cell.get("arm_num", "")
        if arm in arms:
            keys.append(f"{name} (Arm {arm}: {arms[arm]})")
        for key in keys:
            _add_event(out, normalise_label(key), info, f"{path.name} line {number}")
    return out


def _arm_names(folder: Path) -> dict[str, str]:
    """Arm number -> name from an ``arm.csv`` export in ``folder`` (empty if none)."""
    for other in sorted(folder.glob("*.csv")):
        with other.open("rb") as handle:
            if is_arm_export(csv_header(handle.read(4096))):
                rows = csv.DictReader(io.StringIO(other.read_text("utf-8-sig")))
                return {
                    (r.get("arm_num") or "").strip(): (r.get("name") or "").strip() for r in rows
                }
    return {}


def _add_event(out: dict[str, EventInfo], key: str, info: EventInfo, where: str) -> None:
    """Add one event; the same event mapped twice to different visits is a conflict."""
    if key in out and out[key] != info and key:
        raise IngestError(
            f"event {key!r} is listed twice with different visits ({out[key].visit!r} and "
            f"{info.visit!r}); each event may be mapped once",
            where,
        )
    out[key] = info


def sibling(path: Path, what: str, test: Callable[[bytes], bool], *, required: bool) -> Path | None:
    """The file beside ``path`` that ``test(head)`` recognises (longest shared name prefix)."""
    found = []
    for other in sorted(path.parent.iterdir()):
        if other == path or not other.is_file() or other.suffix.lower() != ".csv":
            continue
        with other.open("rb") as handle:
            if test(handle.read(4096)):
                found.append(other)
    if not found:
        if required:
            raise IngestError(
                f"a REDCap export needs its {what} CSV in the same folder; none found beside "
                f"{path.name}"
            )
        return None
    ranked = sorted(found, key=lambda p: -_shared(p.name, path.name))
    if len(ranked) > 1 and _shared(ranked[1].name, path.name) == _shared(ranked[0].name, path.name):
        names = ", ".join(p.name for p in ranked)
        raise IngestError(f"several {what} files could belong to {path.name}: {names}")
    return ranked[0]


def _shared(a: str, b: str) -> int:
    """Length of the common leading text of two file names."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


@dataclass(frozen=True)
class EventInfo:
    """What the user's event map says about one event."""

    visit: str
    date_field: str | None
    study_day: float | None


def read_event_map(path: Path) -> dict[str, EventInfo]:
    """Event (unique name or label, normalised) -> what the map says about it."""
    check_csv(path, file_name=True)
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
    header = [normalise_label(h) for h in rows[0]]
    out: dict[str, EventInfo] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cell = dict(zip(header, (c.strip() for c in row), strict=False))
        day = cell.get("study_day") or None
        try:
            study_day = float(day) if day is not None else None
        except ValueError as exc:
            raise IngestError(
                f"study_day {day!r} is not a number", f"{path.name} line {number}"
            ) from exc
        if not cell.get(EVENT) or not cell.get("visit"):
            raise IngestError(
                "each event map row needs a redcap_event_name and a visit",
                f"{path.name} line {number}",
            )
        info = EventInfo(cell["visit"], cell.get("date_field") or None, study_day)
        where = f"{path.name} line {number}"
        _add_event(out, normalise_label(cell[EVENT]), info, where)
        if cell.get("event_label"):  # the same event as a label export shows it
            _add_event(out, normalise_label(cell["event_label"]), info, where)
    return out


def dictionary_record_ids(name: str) -> set[str]:
    """Record id field names and labels (normalised) of the dictionaries beside file ``name``
    (on disk, or beside a zip member in its archive: ``archive.zip!folder/data.csv``)."""
    if "!" in name:
        return _zipped_record_ids(*name.split("!", 1))
    location = Path(name)
    if not location.parent.is_dir():
        return set()
    found: set[str] = set()
    for other in sorted(location.parent.glob("*.csv")):
        if other == location:
            continue
        with other.open("rb") as handle:
            head = handle.read(8192)
        if is_dictionary(head):
            found |= record_id_names(head)
    return found


def _zipped_record_ids(archive: str, member: str) -> set[str]:
    """As :func:`dictionary_record_ids` for a zip member (the archive was checked on expand)."""
    folder = PurePosixPath(member).parent
    found: set[str] = set()
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                other = PurePosixPath(info.filename)
                if other.parent != folder or other.suffix.lower() != ".csv" or str(other) == member:
                    continue
                with zf.open(info) as handle:
                    head = handle.read(8192)
                if is_dictionary(head):
                    found |= record_id_names(head)
    except (OSError, zipfile.BadZipFile):
        return set()
    return found
