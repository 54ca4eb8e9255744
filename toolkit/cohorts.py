"""Declarative cohort definitions: one object drives the CLI, Python API, dashboard and reports.

A :class:`Cohort` says who is in (arms, conditions, sexes, sites, age and BMI ranges, enrolment
dates, minimum adherence, and having both a baseline and a follow-up score for an instrument).
It compiles to parameterised SQL (values are always bound, never formatted into the text), can
be saved by name in the study, and round-trips through URL query parameters and JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from typing import Any

import polars as pl

from toolkit.db.source import SqlSource
from toolkit.db.views_sql import PUBLIC_VIEWS
from toolkit.errors import UsageError

_LISTS = ("arms", "conditions", "sexes", "sites")
_NUMBERS = ("age_min", "age_max", "bmi_min", "bmi_max", "min_adherence")
_DATES = ("enrolled_from", "enrolled_to")


@dataclass(frozen=True)
class Cohort:
    """Who is analysed. Empty fields do not filter; the default cohort is everyone.

    ``min_adherence`` is the participant's mean weekly adherence over the intervention weeks
    (participants without a prescription, e.g. usual care, are kept: adherence does not apply).
    ``complete_for`` keeps participants with both a baseline and a follow-up for that
    instrument (e.g. ``"nrs"``).
    """

    arms: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    age_min: float | None = None
    age_max: float | None = None
    bmi_min: float | None = None
    bmi_max: float | None = None
    enrolled_from: date | None = None
    enrolled_to: date | None = None
    min_adherence: float | None = None
    complete_for: str | None = None

    def __post_init__(self) -> None:
        for low, high in (("age_min", "age_max"), ("bmi_min", "bmi_max")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise UsageError(
                    f"The '{low}' of a cohort must not exceed '{high}'. Got {lo} > {hi}."
                )
        if self.min_adherence is not None and not 0 <= self.min_adherence <= 10:
            raise UsageError(
                f"The 'min_adherence' of a cohort must be a fraction such as 0.5. "
                f"Got {self.min_adherence} instead."
            )

    def to_sql(self) -> tuple[str, list[Any]]:
        """A query selecting the cohort's ``participant_id`` values, and its parameters."""
        where: list[str] = []
        params: list[Any] = []
        for name, column in zip(_LISTS, ("arm", "condition", "sex", "site"), strict=True):
            values = getattr(self, name)
            if values:
                where.append(f"p.{column} in ({', '.join('?' for _ in values)})")
                params.extend(values)
        for name, clause in (
            ("age_min", "p.age >= ?"),
            ("age_max", "p.age <= ?"),
            ("bmi_min", "p.bmi >= ?"),
            ("bmi_max", "p.bmi <= ?"),
            ("enrolled_from", "p.enrolled_on >= ?"),
            ("enrolled_to", "p.enrolled_on <= ?"),
        ):
            value = getattr(self, name)
            if value is not None:
                where.append(clause)
                params.append(value)
        if self.min_adherence is not None:
            where.append(
                "(p.prescribed_direction is null or p.participant_id in (select participant_id "
                "from participant_exposure where mean_adherence >= ?))"
            )
            params.append(self.min_adherence)
        if self.complete_for is not None:
            where.append(
                "p.participant_id in (select participant_id from outcomes where instrument = ? "
                "and baseline is not null and follow_up is not null)"
            )
            params.append(self.complete_for)
        clause = " and ".join(where) if where else "true"
        return f"select p.participant_id from participants p where {clause}", params

    def is_everyone(self) -> bool:
        """Whether no filter is set."""
        return self == Cohort()

    def describe(self) -> str:
        """The definition in words, for captions, reports and methods text."""
        parts = []
        for name in _LISTS:
            if getattr(self, name):
                parts.append(
                    f"{name[:-1] if name != 'sexes' else 'sex'} in {', '.join(getattr(self, name))}"
                )
        for low, high, label in (("age_min", "age_max", "age"), ("bmi_min", "bmi_max", "BMI")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None or hi is not None:
                shown_lo = "-inf" if lo is None else f"{lo:g}"
                shown_hi = "inf" if hi is None else f"{hi:g}"
                parts.append(f"{label} {shown_lo} to {shown_hi}")
        if self.enrolled_from or self.enrolled_to:
            parts.append(f"enrolled {self.enrolled_from or '...'} to {self.enrolled_to or '...'}")
        if self.min_adherence is not None:
            parts.append(f"mean weekly adherence >= {self.min_adherence:.0%} (walking arms)")
        if self.complete_for:
            parts.append(f"baseline and follow-up {self.complete_for} available")
        return "; ".join(parts) if parts else "all participants"

    def to_dict(self) -> dict[str, Any]:
        """Only the set fields, JSON-ready (dates as ISO text, lists as lists)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if value in ((), None):
                continue
            out[key] = (
                value.isoformat()
                if isinstance(value, date)
                else (list(value) if isinstance(value, tuple) else value)
            )
        return out

    def to_json(self) -> str:
        """The definition as JSON."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cohort:
        """Build from a dict such as :meth:`to_dict` returns; unknown keys are a usage error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise UsageError(
                f"Unknown cohort filter(s) {sorted(unknown)}; known: {', '.join(sorted(known))}."
            )
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if value in (None, "", [], ()):
                continue
            try:
                if key in _LISTS:
                    items = value.split(",") if isinstance(value, str) else list(value)
                    kwargs[key] = tuple(str(v).strip() for v in items if str(v).strip())
                elif key in _NUMBERS:
                    kwargs[key] = float(value)
                elif key in _DATES:
                    kwargs[key] = value if isinstance(value, date) else date.fromisoformat(value)
                else:
                    kwargs[key] = str(value)
            except (TypeError, ValueError) as exc:
                raise UsageError(f"The cohort filter '{key}' cannot be {value!r}: {exc}") from exc
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> Cohort:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def to_query_params(self) -> dict[str, str]:
        """Flat string form for URLs (``st.query_params``): lists comma-separated."""
        return {
            k: ",".join(v) if isinstance(v, list) else str(v) for k, v in self.to_dict().items()
        }

    @classmethod
    def from_query_params(cls, params: Mapping[str, str]) -> Cohort:
        """Inverse of :meth:`to_query_params`, ignoring keys that are not cohort filters."""
        known = {f.name for f in fields(cls)}
        return cls.from_dict({k: v for k, v in params.items() if k in known})


def resolve_cohort(study: SqlSource, cohort: Cohort | str | None = None, **filters: Any) -> Cohort:
    """The one way a cohort is chosen: a :class:`Cohort`, a saved cohort's name, ``None``
    (everyone), or, instead of those, filters such as ``arms=("retro",), age_min=40``."""
    if filters:
        if cohort is not None:
            raise UsageError(
                "Give a cohort or cohort filters, not both. "
                f"Got {cohort!r} and {sorted(filters)} instead."
            )
        return Cohort.from_dict(filters)
    if cohort is None:
        return Cohort()
    if isinstance(cohort, str):
        return load_cohort(study, cohort)
    if isinstance(cohort, Cohort):
        return cohort
    raise UsageError(
        f"The 'cohort' must be a Cohort, a saved cohort's name or None. Got {cohort!r} instead."
    )


def members(study: SqlSource, cohort: Cohort) -> pl.DataFrame:
    """The cohort's rows of the ``participants`` view."""
    sql, params = cohort.to_sql()
    return study.sql(f"select * from participants where participant_id in ({sql})", params)


def select_view(study: SqlSource, view: str, cohort: Cohort) -> pl.DataFrame:
    """All rows of public view ``view`` that belong to the cohort's participants."""
    if view not in PUBLIC_VIEWS or view == "ingest_log":
        raise UsageError(f"The 'view' must be one of the participant views. Got {view!r} instead.")
    sql, params = cohort.to_sql()
    return study.sql(f"select v.* from {view} v where v.participant_id in ({sql})", params)


def save_cohort(study: SqlSource, name: str, cohort: Cohort) -> None:
    """Store ``cohort`` in the study under ``name`` (replacing one of that name)."""
    if not name.strip():
        raise UsageError("A saved cohort needs a non-empty name.")
    study.sql(
        "insert or replace into saved_cohorts values (?, ?, ?)",
        [name.strip(), cohort.to_json(), datetime.now(UTC)],
    )


def load_cohort(study: SqlSource, name: str) -> Cohort:
    """The cohort saved under ``name``."""
    found = study.sql("select definition_json from saved_cohorts where name = ?", [name])
    if found.height == 0:
        names = saved_cohort_names(study)
        raise UsageError(f"No saved cohort named {name!r}; saved: {', '.join(names) or 'none'}.")
    return Cohort.from_json(found.item())


def saved_cohort_names(study: SqlSource) -> list[str]:
    """Names of the study's saved cohorts, sorted."""
    return study.sql("select name from saved_cohorts order by name")["name"].to_list()
