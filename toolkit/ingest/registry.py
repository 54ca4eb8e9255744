"""Which parser reads which file: detection by content, one module per format.

A format module provides ``FORMAT`` (its ``ingest_log.format`` name), ``LOAD_ORDER`` (rosters
first, so later files can be linked to participants), ``sniff(head, name) -> bool`` and
``parse(path, ctx) -> ParsedFile``. Adding a format is adding a module to ``FORMAT_MODULES``.
"""

from __future__ import annotations

from types import ModuleType

from toolkit.ingest import (
    apple_health,
    direction_manifest,
    fit,
    fitbit,
    garmin_csv,
    pain_csv,
    questionnaire_items,
    redcap,
    roster_csv,
    tcx,
    treadmill_csv,
    vendor_csv,
    wearable_csv,
)

#: Checked in this order: the first module whose ``sniff`` accepts the file reads it, so
#: specific formats come before generic ones.
FORMAT_MODULES: tuple[ModuleType, ...] = (
    apple_health,
    fitbit,
    fit,
    tcx,
    roster_csv,
    direction_manifest,
    vendor_csv,
    treadmill_csv,
    redcap,
    questionnaire_items,
    pain_csv,
    garmin_csv,
    wearable_csv,
)

#: Bytes read from the start of a file for detection.
HEAD_BYTES = 64 * 1024


def detect(head: bytes, name: str) -> ModuleType | None:
    """The format module that recognises this file's first bytes, or None."""
    for module in FORMAT_MODULES:
        if module.sniff(head, name):
            return module
    return None


def by_name(fmt: str) -> ModuleType:
    """The format module with ``FORMAT == fmt``."""
    for module in FORMAT_MODULES:
        if fmt == module.FORMAT:
            return module
    raise KeyError(fmt)
