"""Questionnaire instruments: their ranges, direction and MCIDs, held as data.

The summaries live in ``definitions.toml`` so that adding an instrument is a data change; the
study database gets a copy (``ref_instruments``) that the ``pain_scores`` and ``outcomes`` views
join to. Scoring from items (which items, option points, missing-item rules, each with its
source) lives in ``questionnaires/*.toml``, applied by :mod:`toolkit.instruments.scoring`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Instrument:
    """One scored measure as it appears in ``pain_scores.instrument``."""

    name: str
    label: str
    scale_min: float
    scale_max: float
    higher_is_better: bool
    mcid_points: float | None = None
    mcid_percent: float | None = None
    loinc: str | None = None
    reference: str | None = None

    def contains(self, score: float) -> bool:
        """Whether ``score`` lies within the instrument's range (inclusive)."""
        return self.scale_min <= score <= self.scale_max


@cache
def instruments() -> dict[str, Instrument]:
    """All instrument summaries keyed by name, read once from the packaged definitions."""
    text = resources.files(__package__).joinpath("definitions.toml").read_text("utf-8")
    table = tomllib.loads(text)
    return {name: Instrument(name=name, **fields) for name, fields in table.items()}


def get_instrument(name: str) -> Instrument:
    """Return the named instrument, or raise ``KeyError`` listing the known names."""
    known = instruments()
    if name not in known:
        raise KeyError(f"unknown instrument {name!r}; known: {', '.join(sorted(known))}")
    return known[name]
