"""Score questionnaires from their items, by each instrument's published rules, held as data.

Each questionnaire is one TOML file in ``questionnaires/`` (items, the values or option points
each item allows, and how its scales are scored, with the source of every rule). The functions
here are pure: answers in, score out. A scale whose missing items exceed the instrument's rule
gets no score (``None`` with the reason), never a zero.

Scoring methods (``method`` in a scale):

``single``
    One item, scored as answered (NRS, VAS).
``sum``
    Sum of item points; up to ``max_missing`` missing items are each replaced by the mean of the
    answered items of that scale (WOMAC Likert 3.1), none for ``max_missing = 0`` (Kujala).
``mean_0_100``
    ``100 - mean(answered items) * 100 / item_max`` when at least ``min_answered`` items are
    answered (KOOS: 100 = no problems).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

METHODS = ("single", "sum", "mean_0_100")


@dataclass(frozen=True)
class Option:
    """One answer box of an item: the points it scores and its printed wording."""

    points: float
    label: str


@dataclass(frozen=True)
class Item:
    """One question: the values it may take (discrete options or a continuous range)."""

    questionnaire: str
    id: str
    label: str
    options: tuple[Option, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def column(self) -> str:
        """The item's column name in wide files and the default REDCap field name."""
        return (
            self.id
            if self.id.startswith(self.questionnaire)
            else (f"{self.questionnaire}_{self.id.lower()}")
        )

    def allowed(self) -> str:
        """The allowed values, phrased for an error message."""
        if self.options:
            return "one of " + ", ".join(f"{o.points:g}" for o in self.options)
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"a number from {low} to {high}"

    def accepts(self, value: float) -> bool:
        """Whether ``value`` is a possible answer to this item."""
        if math.isnan(value):
            return False
        if self.options:
            return value in self.point_values
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return low <= value <= high

    @cached_property
    def point_values(self) -> frozenset[float]:
        """The points the item's options score (empty for a continuous item)."""
        return frozenset(o.points for o in self.options)

    def points_for_label(self, label: str) -> float | None:
        """Points of the option printed as ``label`` (case and spacing ignored), if any."""
        wanted = normalise_label(label)
        for option in self.options:
            if normalise_label(option.label) == wanted:
                return option.points
        return None

    @property
    def max_points(self) -> float:
        """The highest value the item can score."""
        if self.options:
            return max(o.points for o in self.options)
        return math.inf if self.high is None else self.high


@dataclass(frozen=True)
class Scale:
    """A scored measure (one ``pain_scores.instrument``) and the rule that scores it."""

    instrument: str
    method: str
    items: tuple[str, ...]
    max_missing: int = 0
    min_answered: int | None = None


@dataclass(frozen=True)
class Questionnaire:
    """A questionnaire as administered: its items and the scales scored from them."""

    name: str
    label: str
    reference: str
    items: dict[str, Item]
    scales: tuple[Scale, ...]

    def scale(self, instrument: str) -> Scale:
        """The scale scored as ``instrument``."""
        for scale in self.scales:
            if scale.instrument == instrument:
                return scale
        raise KeyError(f"{self.name} has no scale {instrument!r}")


@dataclass(frozen=True)
class ScaleScore:
    """A scale's score, or ``None`` with the reason, and how many items were answered."""

    instrument: str
    score: float | None
    answered: int
    missing: int
    reason: str | None = None


@cache
def normalise_label(label: str) -> str:
    """Lower-case, HTML tags removed, runs of spaces and dashes collapsed (label matching)."""
    text = re.sub(r"<[^>]+>", " ", label)
    text = text.replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip().lower()


def _item(name: str, key: str, raw: Mapping[str, Any], table: Mapping[str, Any]) -> Item:
    label = str(raw.get("label", key))
    if "options" in raw:
        options = tuple(Option(float(o["points"]), str(o["label"])) for o in raw["options"])
        return Item(name, key, label, options=options)
    if "answers" in raw:
        words = table["answer_sets"][raw["answers"]]
        values = table["values"]
        if len(words) != len(values):
            raise ValueError(f"{name}: answer set {raw['answers']!r} does not match values")
        options = tuple(Option(float(v), str(w)) for v, w in zip(values, words, strict=True))
        return Item(name, key, label, options=options)
    if "values" in table:
        options = tuple(Option(float(v), f"{v:g}") for v in table["values"])
        return Item(name, key, label, options=options)
    low, high = table["range"]
    return Item(name, key, label, low=float(low), high=float(high))


def parse_questionnaire(text: str) -> Questionnaire:
    """Build a :class:`Questionnaire` from the text of its TOML definition."""
    table = tomllib.loads(text)
    name = table["name"]
    items = {str(k): _item(name, str(k), v, table) for k, v in table["items"].items()}
    scales = []
    for raw in table["scales"]:
        if raw["method"] not in METHODS:
            raise ValueError(f"{name}: unknown scoring method {raw['method']!r}")
        unknown = [i for i in raw["items"] if i not in items]
        if unknown:
            raise ValueError(f"{name}: scale {raw['instrument']} names unknown items {unknown}")
        scales.append(
            Scale(
                instrument=raw["instrument"],
                method=raw["method"],
                items=tuple(raw["items"]),
                max_missing=int(raw.get("max_missing", 0)),
                min_answered=raw.get("min_answered"),
            )
        )
    return Questionnaire(name, table["label"], table["reference"], items, tuple(scales))


@cache
def questionnaires() -> dict[str, Questionnaire]:
    """Every packaged questionnaire, keyed by name (``koos``, ``womac``, ``kujala``, ...)."""
    folder = resources.files(__package__).joinpath("questionnaires")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            q = parse_questionnaire(entry.read_text("utf-8"))
            found[q.name] = q
    return found


@cache
def item_columns() -> dict[str, Item]:
    """Every item keyed by its column name (``koos_p1``, ``kujala_1``, ``nrs``, ...)."""
    return {item.column: item for q in questionnaires().values() for item in q.items.values()}


def questionnaire_of(instrument: str) -> Questionnaire:
    """The questionnaire whose scales include ``instrument``."""
    for q in questionnaires().values():
        if any(s.instrument == instrument for s in q.scales):
            return q
    raise KeyError(f"no questionnaire scores {instrument!r}")


def score_scale(
    questionnaire: Questionnaire, scale: Scale, answers: Mapping[str, float | None]
) -> ScaleScore:
    """Score one scale from ``answers`` (item id -> points, ``None`` or absent if missing).

    Raises ``ValueError`` for an answer the item does not allow: values are checked, never
    clipped.
    """
    values: list[float] = []
    for item_id in scale.items:
        value = answers.get(item_id)
        if value is None:
            continue
        item = questionnaire.items[item_id]
        if not item.accepts(value):
            raise ValueError(f"item {item.column} is {value:g}; allowed: {item.allowed()}")
        values.append(float(value))
    n_items = len(scale.items)
    missing = n_items - len(values)
    if not values:
        return ScaleScore(scale.instrument, None, 0, missing, "no items answered")
    if scale.method == "single":
        return ScaleScore(scale.instrument, values[0], 1, 0)
    mean = math.fsum(values) / len(values)
    if scale.method == "sum":
        if missing > scale.max_missing:
            return ScaleScore(
                scale.instrument,
                None,
                len(values),
                missing,
                f"{missing} of {n_items} items missing; at most {scale.max_missing} allowed",
            )
        total = math.fsum(values) + missing * mean  # exact when nothing is missing
        return ScaleScore(scale.instrument, total, len(values), missing)
    need = scale.min_answered if scale.min_answered is not None else n_items
    if len(values) < need:
        return ScaleScore(
            scale.instrument,
            None,
            len(values),
            missing,
            f"{len(values)} of {n_items} items answered; at least {need} needed",
        )
    item_max = _item_max(questionnaire, scale)
    return ScaleScore(scale.instrument, 100.0 - mean * 100.0 / item_max, len(values), missing)


_ITEM_MAX: dict[tuple[str, str], float] = {}


def _item_max(questionnaire: Questionnaire, scale: Scale) -> float:
    """The highest item value of ``scale`` (remembered: scales are fixed once loaded)."""
    key = (questionnaire.name, scale.instrument)
    if key not in _ITEM_MAX:
        _ITEM_MAX[key] = max(questionnaire.items[i].max_points for i in scale.items)
    return _ITEM_MAX[key]


def score(instrument: str, answers: Mapping[str, float | None]) -> ScaleScore:
    """Score ``instrument`` (e.g. ``koos_pain``) from its questionnaire's item answers."""
    q = questionnaire_of(instrument)
    return score_scale(q, q.scale(instrument), answers)


def score_all(
    questionnaire: Questionnaire, answers: Mapping[str, float | None]
) -> list[ScaleScore]:
    """Every scale of ``questionnaire`` scored from ``answers``."""
    return [score_scale(questionnaire, s, answers) for s in questionnaire.scales]
