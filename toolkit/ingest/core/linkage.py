"""Which participant a device or wearable export belongs to: one rule for every format.

FIT, TCX and vendor CSV files (device exports) and Apple Health, Fitbit, Garmin Connect and
wearable CSV exports do not name the study participant, so something beside them must. All of
them are linked by :func:`link_participant`:

1. **A manifest wins.** A ``wearable_manifest.csv`` with columns ``file,participant_id``, in the
   file's folder or up to four folders above it, links every file (or zip archive) whose path
   relative to the manifest's folder matches ``file`` (``/`` separators; ``*`` and ``?``
   patterns allowed, e.g. ``alice/*`` or ``export_2024-06.zip``). For a file inside a zip
   archive the archive's path is matched. For device exports a direction manifest's
   ``participant_id`` column links the same way (:mod:`toolkit.ingest.direction.label`). A
   listed participant must be enrolled; a file that manifests list for two different
   participants is rejected. A wearable manifest itself is logged as loaded with no rows.
2. **Folder convention**, for files no manifest lists, applied to the path components below the
   folder or zip the user named (``ParseContext.parts``, including the file and zip names): a
   component *equal* to an enrolled participant id links the file (``RW0001/walk.fit``,
   ``exports/RW0001/apple_health_export/export.xml``), and so does a component that *starts*
   with an enrolled id followed by ``_``, ``-``, ``.`` or a space (``RW0001_garmin/walk.fit``,
   ``RW0001_export.zip``, ``RW0001-fitbit``); ``P1`` does not match ``P10``.

Exactly one enrolled participant must match; no match or two different matches reject the file
with the reason, and nothing is loaded.
"""

from __future__ import annotations

import csv
import fnmatch
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import IngestError
from toolkit.ingest.core.csv_check import check_csv
from toolkit.ingest.core.model import ParseContext

MANIFEST_NAME = "wearable_manifest.csv"
_SEPARATORS = ("_", "-", ".", " ")
_MANIFEST_LEVELS = 4


@dataclass(frozen=True)
class ManifestLink:
    """A participant named for a file by a manifest other than ``wearable_manifest.csv``.

    ``source`` says where, for messages (e.g. ``directions.csv line 3``).
    """

    participant_id: str
    source: str


def _manifest_match(location: Path) -> tuple[set[str], Path] | None:
    """Participants named for ``location`` by the nearest manifest listing it, or None."""
    for folder in list(location.parents)[: _MANIFEST_LEVELS + 1]:
        manifest = folder / MANIFEST_NAME
        if not manifest.is_file():
            continue
        relative = location.relative_to(folder).as_posix()
        check_csv(manifest, file_name=True)
        try:
            with manifest.open(newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise IngestError(f"the manifest {manifest} cannot be read: {exc}") from exc
        if rows and not {"file", "participant_id"} <= set(rows[0]):
            raise IngestError(f"the manifest {manifest} needs the columns file, participant_id")
        named = {
            (row["participant_id"] or "").strip()
            for row in rows
            if fnmatch.fnmatchcase(relative, (row["file"] or "").strip().lstrip("./"))
        }
        if named:
            return named, manifest
    return None


def matches(component: str, participant_id: str) -> bool:
    """Whether one path component names ``participant_id`` under the folder convention."""
    if component == participant_id:
        return True
    return (
        component.startswith(participant_id) and component[len(participant_id) :][:1] in _SEPARATORS
    )


def _named_in(component: str) -> set[str]:
    """Every id ``component`` could name under :func:`matches`: itself and each prefix that
    ends before a separator (looked up in the roster, so the cost does not grow with it)."""
    return {component} | {component[:i] for i, c in enumerate(component) if c in _SEPARATORS}


def link_participant(ctx: ParseContext, what: str, listed: ManifestLink | None = None) -> str:
    """The one enrolled participant the file belongs to, or raise saying why not.

    Parameters
    ----------
    ctx
        The parse context (its ``source_name``, ``parts`` and ``participants`` are used).
    what
        How to call the file in messages, e.g. ``"an Apple Health export"``.
    listed
        A link from a format's own manifest (a direction manifest's ``participant_id`` for
        device exports); it counts like a ``wearable_manifest.csv`` row.
    """
    if not ctx.participants:
        raise IngestError(
            f"{what} can only be linked to a participant once the roster is loaded; "
            "ingest the roster first"
        )
    named: dict[str, str] = {}
    location = Path(ctx.source_name.split("!")[0])
    found_in = _manifest_match(location) if location.is_absolute() or location.exists() else None
    if found_in is not None:
        named.update(dict.fromkeys(found_in[0], str(found_in[1])))
    if listed is not None:
        named.setdefault(listed.participant_id, listed.source)
    if named:
        return _enrolled(named, ctx, what)
    found = {pid for part in ctx.parts for pid in _named_in(part) if pid in ctx.participants}
    if not found:
        shown = "/".join(ctx.parts) or ctx.source_name
        raise IngestError(
            f"{what} cannot be linked to a participant: no folder or file name in {shown!r} is "
            "an enrolled participant id; put it in a folder named after the participant "
            f"(e.g. RW0001/ or RW0001_garmin/), name it RW0001_..., or list it in a "
            f"{MANIFEST_NAME} (device exports: or in a direction manifest's participant_id)"
        )
    if len(found) > 1:
        raise IngestError(
            f"{what} is ambiguous: its path names several participants "
            f"({', '.join(sorted(found))}); keep one participant's exports per folder"
        )
    return found.pop()


def _enrolled(named: dict[str, str], ctx: ParseContext, what: str) -> str:
    """The one participant the manifests name (``named``: id to manifest), if enrolled."""
    if len(named) > 1:
        sources = ", ".join(sorted(set(named.values())))
        raise IngestError(
            f"{what} is listed in {sources} for several participants ({', '.join(sorted(named))})"
        )
    ((participant, manifest),) = named.items()
    if participant not in ctx.participants:
        raise IngestError(
            f"{what} is listed in {manifest} for participant {participant!r}, who is not "
            "in the study's roster"
        )
    return participant
