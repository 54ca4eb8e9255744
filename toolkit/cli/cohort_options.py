"""The cohort options shared by every command that analyses a cohort (``stats``, ``report``).

``--cohort NAME`` picks a saved cohort; otherwise the filter options build a
:class:`~toolkit.cohorts.Cohort` (repeatable list options, ranges, dates, and ``--filter
KEY=VALUE`` for any other ``Cohort`` field). Giving both is a usage error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from toolkit.cohorts import Cohort

F = TypeVar("F", bound=Callable[..., Any])

#: Parameter names the options add to a command; :func:`cohort_from_options` consumes them.
COHORT_PARAMS = (
    "cohort_name",
    "arms",
    "conditions",
    "sexes",
    "sites",
    "age_min",
    "age_max",
    "bmi_min",
    "bmi_max",
    "min_adherence",
    "enrolled_from",
    "enrolled_to",
    "complete_for",
    "filters",
)

_OPTIONS = (
    click.option("--cohort", "cohort_name", default=None, help="a saved cohort's name"),
    click.option("--arm", "arms", multiple=True, help="keep this arm (repeatable)"),
    click.option(
        "--condition", "conditions", multiple=True, help="keep this condition (repeatable)"
    ),
    click.option("--sex", "sexes", multiple=True, help="keep this sex (repeatable)"),
    click.option("--site", "sites", multiple=True, help="keep this site (repeatable)"),
    click.option("--age-min", type=float, default=None),
    click.option("--age-max", type=float, default=None),
    click.option("--bmi-min", type=float, default=None),
    click.option("--bmi-max", type=float, default=None),
    click.option(
        "--min-adherence", type=float, default=None, help="mean weekly adherence, e.g. 0.5"
    ),
    click.option("--enrolled-from", default=None, help="first enrolment date (YYYY-MM-DD)"),
    click.option("--enrolled-to", default=None, help="last enrolment date (YYYY-MM-DD)"),
    click.option(
        "--complete-for",
        default=None,
        help="keep participants with a baseline and a follow-up of this instrument, e.g. nrs",
    ),
    click.option(
        "--filter",
        "filters",
        multiple=True,
        metavar="KEY=VALUE",
        help="any cohort filter by its toolkit.cohorts.Cohort name, e.g. "
        "enrolled_from=2025-03-01 (repeatable)",
    ),
)


def cohort_options(command: F) -> F:
    """Add the cohort options to a click command (in the order they show in ``--help``)."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def cohort_from_options(params: dict[str, Any]) -> Cohort | str | None:
    """Pop the cohort options from ``params``: a saved cohort's name, a Cohort, or None (all)."""
    values = {name: params.pop(name) for name in COHORT_PARAMS}
    name = values.pop("cohort_name")
    pairs: dict[str, Any] = {}
    for item in values.pop("filters"):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(
                f"--filter takes KEY=VALUE (e.g. arms=retro,forward); got {item!r}"
            )
        pairs[key.strip()] = value.strip()
    pairs.update({k: v for k, v in values.items() if v not in (None, ())})
    if name is not None:
        if pairs:
            raise click.UsageError("give either --cohort NAME or filter options, not both")
        return str(name)
    return Cohort.from_dict(pairs) if pairs else None


#: Cohort fields naming category levels, with the ``participants`` column that holds them.
_LEVEL_FIELDS = (("arms", "arm"), ("conditions", "condition"), ("sexes", "sex"), ("sites", "site"))


def check_cohort_levels(
    study: Any, cohort: Cohort | str | None, outcomes: tuple[str, ...] = ()
) -> None:
    """Fail with the levels that exist when the cohort names an arm, condition, sex or site (or
    ``outcomes`` an instrument) the study does not have: a typo would otherwise select nobody
    and surface as a statistics error about empty groups."""
    from toolkit.errors import UsageError

    wanted: list[tuple[str, str, tuple[str, ...]]] = []
    if isinstance(cohort, Cohort):
        for field, column in _LEVEL_FIELDS:
            values = tuple(getattr(cohort, field))
            if values:
                wanted.append((column, f"select distinct {column} from participants", values))
        if cohort.complete_for:
            outcomes = (*outcomes, cohort.complete_for)
    if outcomes:
        wanted.append(("instrument", "select distinct instrument from pain_scores", outcomes))
    for what, sql, values in wanted:
        known = sorted(str(v) for v in study.sql(sql).to_series().to_list() if v is not None)
        unknown = [v for v in dict.fromkeys(values) if v not in known]
        if unknown:
            raise UsageError(
                f"unknown {what} {', '.join(repr(v) for v in unknown)}: this study has "
                f"{', '.join(known) if known else f'no {what} values'}."
            )
