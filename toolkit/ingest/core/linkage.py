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

**The link is re-derived in the views.** Rows carry the participant decided here, but every
linked file also stores one ``raw_source_links`` row (its location, name, the participant its
path names by the folder convention, and the participant linked now; :func:`recording`), and a
``wearable_manifest.csv`` stores its rows in ``raw_participant_links``. The views
(``int_source_participants``) link each file again from the *current* manifests, so ingesting a
corrected manifest moves the rows already stored to the participant it names, and removing it
moves them back.
"""

from __future__ import annotations

import contextvars
import csv
import fnmatch
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.csv_check import check_csv
from toolkit.ingest.core.model import ParseContext, stable_location

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


@dataclass(frozen=True)
class SourceLink:
    """How one file was linked at ingest (a ``raw_source_links`` row)."""

    location: str
    file_name: str
    convention_participant_id: str | None
    participant_id: str


_LINKS: contextvars.ContextVar[list[SourceLink] | None] = contextvars.ContextVar(
    "retrowalk_links", default=None
)


@contextmanager
def recording() -> Iterator[list[SourceLink]]:
    """Collect the links :func:`link_participant` makes while a file is parsed (the loader
    stores them as ``raw_source_links`` rows, so the views can link the file again)."""
    links: list[SourceLink] = []
    token = _LINKS.set(links)
    try:
        yield links
    finally:
        _LINKS.reset(token)


def links_frame(links: list[SourceLink]) -> pl.DataFrame | None:
    """The ``raw_source_links`` rows of one parsed file (None when nothing was linked)."""
    unique = list(dict.fromkeys(links))
    if not unique:
        return None
    return pl.DataFrame(
        [
            (link.location, link.file_name, link.convention_participant_id, link.participant_id)
            for link in unique
        ],
        schema={
            "source_path": pl.String,
            "source_file": pl.String,
            "convention_participant_id": pl.String,
            "participant_id": pl.String,
        },
        orient="row",
    )


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


#: The escape character of :func:`like_pattern` (``escape '^'`` in the views: a backslash is
#: an escape inside Spark SQL string literals, a caret is plain in every dialect).
LIKE_ESCAPE = "^"


def like_pattern(pattern: str, line: int) -> str:
    """A manifest's ``file`` pattern (``*`` any text, ``?`` one character) as a SQL LIKE
    pattern with escape ``^``; character classes (``[...]``) have no LIKE form: refused."""
    if "[" in pattern:
        raise IngestError(
            f"the file pattern {pattern!r} uses [...], which is not supported; use * and ?",
            f"line {line}, column 'file'",
        )
    escaped = "".join(LIKE_ESCAPE + c if c in "%_^" else c for c in pattern)
    return escaped.replace("*", "%").replace("?", "_")


def manifest_rows(path: Path, location: str) -> pl.DataFrame:
    """A ``wearable_manifest.csv`` as ``raw_participant_links`` rows (one per manifest row):
    where it lives (``location``, see :attr:`ParseContext.location`), its line, the ``file``
    pattern as written and as a LIKE pattern (:func:`like_pattern`) and the participant."""
    check_csv(path, file_name=True)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = [(reader.line_num, row) for row in reader]
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(f"the manifest cannot be read: {exc}") from exc
    if not {"file", "participant_id"} <= set(header):
        raise IngestError("a wearable manifest needs the columns file, participant_id", "line 1")
    out = []
    for line, row in rows:
        pattern = (row["file"] or "").strip().lstrip("./")
        participant = (row["participant_id"] or "").strip()
        if not pattern or not participant:
            column = "file" if not pattern else "participant_id"
            raise IngestError("a value is required here", f"line {line}, column '{column}'")
        folder = location.rsplit("/", 1)[0]
        out.append(
            (location, folder, line, pattern, like_pattern(pattern, line), participant, line)
        )
    return pl.DataFrame(
        out,
        schema={
            "manifest_path": pl.String,
            "manifest_folder": pl.String,
            "line": pl.Int64,
            "file": pl.String,
            "file_like": pl.String,
            "linked_participant_id": pl.String,
            "_line": pl.Int64,
        },
        orient="row",
    )


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
    found = {pid for part in ctx.parts for pid in _named_in(part) if pid in ctx.participants}
    if named:
        return _record(ctx, location, found, _enrolled(named, ctx, what))
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
    return _record(ctx, location, found, next(iter(found)))


def _record(ctx: ParseContext, location: Path, found: set[str], participant: str) -> str:
    """Note the link for ``raw_source_links`` (when the loader records) and return it."""
    links = _LINKS.get()
    if links is not None:
        where = stable_location(str(location)) if ctx.source_name else ""
        links.append(
            SourceLink(
                location=where,
                file_name=where.rsplit("/", 1)[-1],
                convention_participant_id=next(iter(found)) if len(found) == 1 else None,
                participant_id=participant,
            )
        )
    return participant


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
