"""Time-zone lookups shared by parsers: validating names and finding a participant's zone."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

import polars as pl

from toolkit.ingest.core.model import ParseContext


@cache
def known_zones() -> frozenset[str]:
    """IANA zone names available on this machine (plus ``UTC``)."""
    return frozenset(available_timezones()) | {"UTC"}


def zones_for_rows(frame: pl.DataFrame, ctx: ParseContext) -> pl.Series | None:
    """Per-row time zone used to read offset-free local times.

    The file's own ``timezone`` column wins; otherwise each row's participant's roster zone.
    Returns ``None`` when neither is available.
    """
    if "timezone" in frame.columns:
        return frame["timezone"]
    if "participant_id" in frame.columns and ctx.participants:
        return roster_zones(frame["participant_id"], ctx)
    return None


def roster_zones(ids: pl.Series, ctx: ParseContext) -> pl.Series:
    """The roster time zone of each participant id in ``ids`` (null if not enrolled).

    Only the file's own ids are looked up, so the cost does not grow with the roster.
    """
    mapping = {
        pid: info.timezone
        for pid in ids.drop_nulls().unique().to_list()
        if (info := ctx.participants.get(pid)) is not None
    }
    return ids.replace_strict(mapping, default=None, return_dtype=pl.String)
