"""Statistical caveats as data: collect a call's :class:`~toolkit.errors.StatsWarning` messages.

The statistics functions announce caveats (rows excluded, singular fits) as ``StatsWarning``
and record them in their ``notes`` column. ``warnings.catch_warnings`` swaps process-wide
state, so two analyses on two threads (the dashboard's sessions) capture each other's warnings
with it, or must wait for each other behind a lock. Here the messages go to a per-thread,
per-context list instead (a :class:`~contextvars.ContextVar`): a hook in front of
``warnings.showwarning`` files each ``StatsWarning`` raised inside :func:`collect_notes` under
the context that raised it, so concurrent analyses never see each other's notes and never wait.
Collectors nest (the innermost one gets a warning); warnings outside any collector, and every
other warning, go where they went before.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TextIO, TypeVar

from toolkit.errors import StatsWarning

T = TypeVar("T")

_BUCKET: ContextVar[list[str] | None] = ContextVar("retrowalk_stats_notes", default=None)
_previous: list[Callable[..., Any]] = []


def _hook(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    bucket = _BUCKET.get()
    if bucket is not None and issubclass(category, StatsWarning):
        bucket.append(str(message))
        return
    if _previous:
        _previous[-1](message, category, filename, lineno, file, line)


def _install() -> None:
    """Put the hook in front of ``warnings.showwarning`` (again, if something replaced it) and
    let every StatsWarning through the filters (the default shows one per place only once)."""
    if warnings.showwarning is not _hook:
        _previous.append(warnings.showwarning)
        del _previous[:-1]
        warnings.showwarning = _hook
    first = warnings.filters[0] if warnings.filters else None
    if not (first and first[0] == "always" and first[2] is StatsWarning):
        warnings.filterwarnings("always", category=StatsWarning)


def collect_notes(func: Callable[[], T]) -> tuple[T, list[str]]:
    """Run ``func``; return its result and the distinct StatsWarning messages it raised."""
    _install()
    bucket: list[str] = []
    token = _BUCKET.set(bucket)
    try:
        result = func()
    finally:
        _BUCKET.reset(token)
    return result, list(dict.fromkeys(bucket))
