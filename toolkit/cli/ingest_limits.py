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


def zip_limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the four limit options to ``command`` (they arrive as keyword arguments)."""
    options = [
        click.option(
            "--max-zip-members",
            type=click.IntRange(1),
            default=_DEFAULT.members_per_archive,
            show_default=True,
            help="files one zip archive may hold",
        ),
        click.option(
            "--max-zip-size",
            type=Size(),
            default=f"{_DEFAULT.bytes_per_archive // 1024**3}G",
            show_default=True,
            help="bytes one zip archive may unpack to",
        ),
        click.option(
            "--max-batch-members",
            type=click.IntRange(1),
            default=_DEFAULT.members_per_batch,
            show_default=True,
            help="zip members one ingest may unpack in all",
        ),
        click.option(
            "--max-batch-size",
            type=Size(),
            default=f"{_DEFAULT.bytes_per_batch // 1024**3}G",
            show_default=True,
            help="bytes one ingest may unpack from zips in all",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def limits_from(options: dict[str, int]) -> ZipLimits:
    """The :class:`ZipLimits` the four options describe."""
    return ZipLimits(
        members_per_archive=options["max_zip_members"],
        bytes_per_archive=options["max_zip_size"],
        members_per_batch=options["max_batch_members"],
        bytes_per_batch=options["max_batch_size"],
    )
