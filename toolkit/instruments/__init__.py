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
    conditions: tuple[str, ...] = ()
    mcid_reference: str | None = None

    @property
    def mcid_source(self) -> str | None:
        """Where the MCID comes from (its own reference, else the instrument's)."""
        if self.mcid_points is None and self.mcid_percent is None:
            return None
        return self.mcid_reference or self.reference

    def applies_to(self, condition: str | None) -> bool:
        """Whether the instrument is collected for ``condition`` (all, when none are listed)."""
        return not self.conditions or condition in self.conditions

    def contains(self, score: float) -> bool:
        """Whether ``score`` lies within the instrument's range (inclusive)."""
        return self.scale_min <= score <= self.scale_max


@cache
def instruments() -> dict[str, Instrument]:
    """All instrument summaries keyed by name, read once from the packaged definitions."""
    text = resources.files(__package__).joinpath("definitions.toml").read_text("utf-8")
    table = tomllib.loads(text)
    return {
        name: Instrument(name=name, **{**fields, "conditions": tuple(fields.get("conditions", ()))})
        for name, fields in table.items()
    }


@dataclass(frozen=True)
class GaitMeasure:
    """A wearable gait measure analysed as an outcome (``gait_outcomes.measure``).

    ``mid`` is a published minimal important difference in ``unit`` with its ``mid_reference``;
    ``None`` where no published one was found (none is invented).
    """

    name: str
    label: str
    unit: str
    scale_min: float
    scale_max: float
    higher_is_better: bool
    mid: float | None = None
    mid_reference: str | None = None


@cache
def gait_measures() -> dict[str, GaitMeasure]:
    """Wearable gait measures keyed by name, read once from the packaged ``gait.toml``."""
    text = resources.files(__package__).joinpath("gait.toml").read_text("utf-8")
    return {name: GaitMeasure(name=name, **fields) for name, fields in tomllib.loads(text).items()}


def get_instrument(name: str) -> Instrument:
    """Return the named instrument, or raise ``KeyError`` listing the known names."""
    known = instruments()
    if name not in known:
        raise KeyError(f"unknown instrument {name!r}; known: {', '.join(sorted(known))}")
    return known[name]
