"""One way to show numbers and names to people: the CLI's tables, the dashboard and the report.

The values themselves are never changed (CSV, JSON and downloads keep full precision); these
functions only turn them into text for reading:

- p-values as ``<0.001`` or three decimals (``0.012``);
- other numbers with the same decimals down a column, chosen so the column's typical value has
  three significant digits (``12.3``, ``1.23``, ``0.123``), with thousands separators;
- missing values as an empty cell (never Python's ``None`` nor ``nan``);
- snake_case column names and category levels as words (``post_acl_reconstruction`` ->
  ``Post-ACL reconstruction``), with units where a column has one (``Age (years)``).

A leaf module: it imports nothing from the toolkit, so every layer may use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

#: Columns holding p-values (besides any ``p_*`` column).
P_COLUMNS = frozenset({"p_value", "p_adjusted", "p", "pvalue"})

#: Column names as people read them, with units.
COLUMN_LABELS: dict[str, str] = {
    "participant_id": "Participant",
    "arm": "Arm",
    "age": "Age (years)",
    "bmi": "BMI (kg/m²)",
    "sex": "Sex",
    "site": "Site",
    "condition": "Condition",
    "enrolled_on": "Enrolled on",
    "p_value": "p",
    "p_adjusted": "p (adjusted)",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "df": "df",
    "n": "n",
    "sd": "SD",
    "iqr": "IQR",
    "std_error": "SE",
    "retro_minutes": "Retro minutes per week",
    "forward_minutes": "Forward minutes per week",
    "unknown_minutes": "Unknown-direction minutes per week",
    "retro_distance_m": "Retro distance (m)",
    "adherence": "Adherence",
    "baseline": "Baseline",
    "follow_up": "Follow-up",
    "change": "Change",
    "percent_change": "Change (%)",
    "duration_s": "Duration (s)",
    "distance_m": "Distance (m)",
    "mean_speed_mps": "Mean speed (m/s)",
    "speed_mps": "Speed (m/s)",
    "incline_pct": "Incline (%)",
    "heart_rate_bpm": "Heart rate (bpm)",
    "cadence_spm": "Cadence (steps/min)",
    "walking_speed_mps": "Walking speed (m/s)",
    "asymmetry_pct": "Asymmetry (%)",
    "resting_hr": "Resting heart rate (bpm)",
    "error_position": "Where",
}

#: Category levels (arms, conditions, instruments, statuses) as people read them.
LEVEL_LABELS: dict[str, str] = {
    "retro": "Retro walking",
    "forward": "Forward walking",
    "usual_care": "Usual care",
    "knee_oa": "Knee OA",
    "patellofemoral_pain": "Patellofemoral pain",
    "post_acl_reconstruction": "Post-ACL reconstruction",
    "nrs": "NRS pain",
    "vas": "VAS pain",
    "kujala": "Kujala (AKPS)",
    "koos_pain": "KOOS Pain",
    "koos_symptoms": "KOOS Symptoms",
    "koos_adl": "KOOS ADL",
    "koos_sport_rec": "KOOS Sport/Rec",
    "koos_qol": "KOOS QOL",
    "womac_pain": "WOMAC Pain",
    "womac_stiffness": "WOMAC Stiffness",
    "womac_function": "WOMAC Function",
    "nrs_worst_week": "NRS worst pain (week)",
    "nrs_average_week": "NRS average pain (week)",
    "female": "Female",
    "male": "Male",
    "backward": "Backward",
    "unknown": "Unknown",
    "all": "All",
}

#: Words written in capitals when a name is turned into words.
_ACRONYMS = frozenset(
    {"acl", "oa", "bmi", "nrs", "vas", "koos", "womac", "adl", "qol", "ci", "sd", "se", "iqr",
     "hr", "id", "mcid", "ancova", "mmrm", "rcs", "ols", "reml", "csv"}
)  # fmt: skip


def is_p_column(column: str) -> bool:
    """Whether ``column`` holds p-values (``p_value``, ``p_adjusted``, ``p_*``)."""
    return column in P_COLUMNS or column.startswith("p_")


def format_p(value: float | None) -> str:
    """A p-value as ``<0.001`` or with three decimals; missing as ``""``."""
    if _missing(value):
        return ""
    assert value is not None
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def decimals_for(values: Iterable[Any], significant: int = 3, most: int = 4) -> int:
    """Decimals that give the column's typical (median non-zero absolute) value ``significant``
    digits, between 0 and ``most``; whole numbers get 0."""
    numbers = [abs(float(v)) for v in values if isinstance(v, int | float) and not _missing(v)]
    if not numbers or all(float(v).is_integer() for v in numbers):
        return 0
    nonzero = sorted(v for v in numbers if v > 0)
    if not nonzero:
        return 0
    typical = nonzero[len(nonzero) // 2]
    return min(max(significant - 1 - math.floor(math.log10(typical)), 0), most)


def format_number(value: float | int | None, decimals: int | None = None) -> str:
    """``value`` with ``decimals`` (default: three significant digits) and thousands
    separators; a tiny non-zero value that would print as zero keeps two significant digits."""
    if _missing(value):
        return ""
    assert value is not None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if decimals is None:
        decimals = decimals_for([value])
    text = f"{value:,.{decimals}f}"
    if value != 0 and float(text.replace(",", "")) == 0:
        return f"{value:.2g}"
    return text.lstrip("-") if value == 0 else text  # never "-0.00"


def format_value(value: object, column: str = "", decimals: int | None = None) -> str:
    """One cell as text: p-values, numbers, dates (ISO), booleans (yes/no), missing as ``""``;
    levels stay as stored (use :func:`level_label` where a level is shown as a category)."""
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and is_p_column(column):
        return format_p(value)
    if isinstance(value, int | float):
        return format_number(value, decimals)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_column(values: Sequence[object], column: str = "") -> list[str]:
    """A whole column as text, with one number of decimals for all its numbers."""
    decimals = None if is_p_column(column) else decimals_for(values)
    return [format_value(v, column, decimals) for v in values]


def words(name: str) -> str:
    """``snake_case`` as words, first letter capital, acronyms in capitals."""
    parts = [p for p in str(name).split("_") if p]
    out = [p.upper() if p.lower() in _ACRONYMS else p for p in parts]
    if out and out[0] == parts[0]:
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out)


def column_label(name: str) -> str:
    """A column's header as people read it (``age`` -> ``Age (years)``)."""
    return COLUMN_LABELS.get(name, words(name))


def level_label(value: object) -> str:
    """A category level as people read it (``usual_care`` -> ``Usual care``); missing as ``""``."""
    if _missing(value):
        return ""
    text = str(value)
    return LEVEL_LABELS.get(text, words(text) if "_" in text else text)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


#: The arms in the order every table, legend and figure shows them (others follow, sorted).
ARM_ORDER = ("retro", "forward", "usual_care")
#: Group names that hold everyone and come last.
TOTAL_GROUPS = ("all", "overall", "total")

_LEVEL_TOKEN = re.compile(
    "|".join(sorted((re.escape(k) for k in LEVEL_LABELS), key=len, reverse=True))
)


def order_arms(values: Iterable[object]) -> list[str]:
    """Distinct ``values`` in the arms' fixed order: retro, forward, usual care, then any other
    level sorted, then a total (``all``) last."""
    distinct = list(dict.fromkeys(str(v) for v in values if v is not None))
    known = [a for a in ARM_ORDER if a in distinct]
    totals = [t for t in TOTAL_GROUPS if t in distinct]
    others = sorted(v for v in distinct if v not in known and v not in totals)
    return known + others + totals


def header_label(name: str) -> str:
    """A table header: a column's label, or a level's where the column is a group (a pivoted
    arm, ``usual_care (n=30)`` -> ``Usual care (n=30)``)."""
    head, sep, tail = str(name).partition(" (")
    if head in COLUMN_LABELS:
        return COLUMN_LABELS[head] + (sep + tail if sep else "")
    if head in LEVEL_LABELS or head in TOTAL_GROUPS:
        return level_label(head) + (sep + tail if sep else "")
    return words(name) if "_" in name or name.islower() else name


def term_label(text: object) -> str:
    """A result's ``term`` with every level in it as people read it
    (``retro - usual_care`` -> ``Retro walking - Usual care``)."""
    if _missing(text):
        return ""
    return _LEVEL_TOKEN.sub(lambda m: _whole(m, str(text)), str(text))


def _whole(match: re.Match[str], text: str) -> str:
    """The level's label where the match is a whole word, else the text unchanged."""
    before = text[match.start() - 1] if match.start() > 0 else " "
    after = text[match.end()] if match.end() < len(text) else " "
    if before.isalnum() or before == "_" or after.isalnum() or after == "_":
        return match.group(0)
    return LEVEL_LABELS[match.group(0)]
