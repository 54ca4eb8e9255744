"""``retrowalk ingest`` options bounding what zip archives may unpack (see ``ZipLimits``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from toolkit.ingest.core.sources import ZipLimits

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


class Size(click.ParamType):
    """A byte count: ``500M``, ``8G``, ``1.5T`` or plain bytes (binary units)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", str(value), re.IGNORECASE)
        if not match:
            self.fail(f"{value!r} is not a size such as 500M, 8G or 1.5T", param, ctx)
        return int(float(match[1]) * _UNITS[match[2].lower()])


_DEFAULT = ZipLimits()

#: (option, ZipLimits field, a byte size rather than a count, help): one row per limit, so the
#: options and the limits they build cannot drift apart.
_LIMITS: tuple[tuple[str, str, bool, str], ...] = (
    ("--max-zip-members", "members_per_archive", False, "files one zip archive may hold"),
    ("--max-zip-size", "bytes_per_archive", True, "bytes one zip archive may unpack to"),
    ("--max-batch-members", "members_per_batch", False, "zip members one ingest may unpack in all"),
    ("--max-batch-size", "bytes_per_batch", True, "bytes one ingest may unpack from zips in all"),
)


def _parameter(flag: str) -> str:
    """The keyword argument click passes for ``flag``."""
    return flag.removeprefix("--").replace("-", "_")


def zip_limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the four limit options to ``command`` (they arrive as keyword arguments)."""
    for flag, field, is_size, help_text in reversed(_LIMITS):
        default: int = getattr(_DEFAULT, field)
        command = click.option(
            flag,
            type=Size() if is_size else click.IntRange(1),
            default=f"{default // 1024**3}G" if is_size else default,
            show_default=True,
            help=help_text,
        )(command)
    return command


def limits_from(options: dict[str, int]) -> ZipLimits:
    """The :class:`ZipLimits` the four options describe."""
    return ZipLimits(**{field: options[_parameter(flag)] for flag, field, _, _ in _LIMITS})
