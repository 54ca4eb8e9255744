"""Which parser reads which file: detection by content, one module per format.

Every format module implements :class:`FormatModule` (checked by mypy through
``FORMAT_MODULES``' type): ``FORMAT`` (its ``ingest_log.format`` name), ``LOAD_ORDER`` (rosters
first, so later files can be linked to participants), ``LOADS`` (the raw tables its files may
write), ``sniff(head, name) -> bool`` and ``parse(path, ctx) -> ParsedFile``. Adding a format is
adding a module to ``FORMAT_MODULES``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from toolkit.ingest import (
    fitbit,
    garmin_csv,
    intercurrent_events,
    pain_csv,
    roster_csv,
    tcx,
    treadmill_csv,
    wearable_csv,
)
from toolkit.ingest.apple_health import export as apple_health
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.direction import manifest as direction_manifest
from toolkit.ingest.fit import activity as fit
from toolkit.ingest.questionnaires import definition as questionnaire_definition
from toolkit.ingest.questionnaires import items as questionnaire_items
from toolkit.ingest.redcap import project as redcap
from toolkit.ingest.vendor_csv import export as vendor_csv


class FormatModule(Protocol):
    """The contract a format module (a Python module, not a class) fulfils.

    Attributes
    ----------
    FORMAT
        The format's name as recorded in ``ingest_log.format`` and shown to users.
    LOAD_ORDER
        Files load in ascending order within one ingest (roster 0, manifests 5, devices 10,
        questionnaires 20, wearables 30), so that what later files depend on is present.
    LOADS
        The raw canonical tables (:data:`toolkit.ingest.core.canonical.TABLES`) the format's
        files may write; ``()`` for side inputs that write no rows.
    """

    FORMAT: str
    LOAD_ORDER: int
    LOADS: tuple[str, ...]

    def sniff(self, head: bytes, name: str) -> bool:
        """Whether the file's first bytes (and name) are this format's."""
        ...

    def parse(self, path: Path, ctx: ParseContext) -> ParsedFile:
        """The file's rows as canonical frames; raises ``IngestError`` on bad input."""
        ...


#: Checked in this order: the first module whose ``sniff`` accepts the file reads it, so
#: specific formats come before generic ones.
FORMAT_MODULES: tuple[FormatModule, ...] = (
    apple_health,
    fitbit,
    fit,
    tcx,
    roster_csv,
    direction_manifest,
    vendor_csv,
    treadmill_csv,
    redcap,
    intercurrent_events,
    questionnaire_definition,
    questionnaire_items,
    pain_csv,
    garmin_csv,
    wearable_csv,
)

#: Bytes read from the start of a file for detection.
HEAD_BYTES = 64 * 1024


def detect(head: bytes, name: str) -> FormatModule | None:
    """The format module that recognises this file's first bytes, or None."""
    for module in FORMAT_MODULES:
        if module.sniff(head, name):
            return module
    return None


def by_name(fmt: str) -> FormatModule:
    """The format module with ``FORMAT == fmt``."""
    for module in FORMAT_MODULES:
        if fmt == module.FORMAT:
            return module
    raise KeyError(fmt)
