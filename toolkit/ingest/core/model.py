"""What parsers receive and return; the contract between a format module and the loader."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl


@dataclass(frozen=True)
class ParticipantInfo:
    """Facts about an enrolled participant that parsers may need (e.g. to read local times)."""

    participant_id: str
    timezone: str
    enrolled_on: date


@dataclass(frozen=True)
class ParseContext:
    """Where a file came from and what the study already knows.

    Attributes
    ----------
    source_name
        The name reported to the user: a path, or ``archive.zip!member`` for a zip member.
    sha256
        The file's content hash (lineage and de-duplication).
    parts
        Path components of the file below the folder or zip the user named; parsers use them
        for folder conventions such as ``P001/export.xml``.
    participants
        Enrolled participants known when the file is parsed (roster files load first).
    """

    source_name: str
    sha256: str
    parts: tuple[str, ...] = ()
    participants: Mapping[str, ParticipantInfo] = field(default_factory=dict)
    #: ``retrowalk ingest --salvage``: a damaged device file keeps its complete records
    salvage: bool = False
    #: Called with the bytes of the file read so far, by parsers of large files (the Apple
    #: Health scanner), so the progress bar moves within a multi-GB file; None: no report.
    progress: Callable[[int], None] | None = None

    @property
    def location(self) -> str:
        """Where the file lives, the same for every ingest of it: its absolute path (``/``
        separators), or ``/abs/archive.zip!/member/path`` for a zip member. Direction
        manifests are matched against it in the views (``raw_direction_rules``)."""
        return stable_location(self.source_name)


def stable_location(source_name: str) -> str:
    """:attr:`ParseContext.location` of a source name (a path, or ``archive.zip!member``)."""
    archive, bang, member = source_name.partition("!")
    where = Path(archive).resolve().as_posix()
    return f"{where}!/{member.lstrip('/')}" if bang else where


@dataclass
class ParsedFile:
    """A parser's result: canonical frames keyed by raw table name, plus counters for the report.

    Frames may carry a ``_line`` column (the file position of each row) that the loader uses in
    messages and drops before writing. ``notes`` holds counts the report shows, such as
    ``{"unknown_direction_segments": 3}``.
    """

    tables: dict[str, pl.DataFrame]
    notes: dict[str, int] = field(default_factory=dict)
    #: set when records were salvaged from a damaged file: what was wrong, and where
    #: (``"message 31 (byte 751)"``); the file is then logged with status ``salvaged``
    damage: tuple[str, str | None] | None = None

    def row_counts(self) -> dict[str, int]:
        """Rows per table, as recorded in the ingest log."""
        return {name: frame.height for name, frame in self.tables.items()}
