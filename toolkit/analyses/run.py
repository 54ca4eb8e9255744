"""Run a plan on a cohort: the one analysis layer behind the CLI, the report and the dashboard.

Input frames come only from ``study.sql`` over public views (through
:mod:`toolkit.analysis_frames`), so any object with the same ``sql(query, params)`` method (a
Spark-backed study, say) can be analysed. The result is tidy: one row per term of every
analysis, with the analysis's id, role, outcome, model, population, status and reference arm in
front of the statistics vocabulary, ``p_adjusted`` within the plan's multiplicity families
(named in ``adjustment_family``, see :mod:`toolkit.analyses.families`), and the caveats in a
``notes`` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import polars as pl

from toolkit import analysis_frames as frames
from toolkit.analyses.estimands import STRATEGIES, apply_strategy, first_events
from toolkit.analyses.families import family_labels
from toolkit.analyses.models import RUNNERS, AnalysisResult, Inputs
from toolkit.analyses.plan import AnalysisSpec, Plan, default_plan
from toolkit.cohorts import _LISTS, Cohort, resolve_cohort
from toolkit.errors import UsageError
from toolkit.instruments import gait_measures, instruments

#: The comparator used when the plan says ``reference_arm = "auto"`` and the cohort has it.
DEFAULT_REFERENCE = "usual_care"

#: Columns every result row starts with, before the statistics vocabulary.
FRONT = ("analysis", "analysis_role", "outcome", "model", "population", "status", "reference_arm")


def resolve_reference(requested: str | None, arms: list[str]) -> tuple[str | None, str | None]:
    """The reference arm for a cohort with ``arms``, and a note when the request was not met.

    ``requested`` is an arm name or ``"auto"``/None: then usual care when the cohort has it,
    else the first arm alphabetically (e.g. forward when comparing retro with forward). The
    same rule everywhere (CLI, report, dashboard), so they compare the same arms.
    """
    present = sorted(set(arms))
    if not present:
        return None, None
    if requested not in (None, "auto") and requested in present:
        return requested, None
    chosen = DEFAULT_REFERENCE if DEFAULT_REFERENCE in present else present[0]
    if requested not in (None, "auto"):
        return chosen, f"reference arm {requested!r} is not in this cohort; {chosen} used"
    return chosen, None


def narrow(cohort: Cohort, population: Cohort) -> Cohort:
    """The cohort restricted by a population's filters (lists intersect, limits tighten)."""
    changes: dict[str, Any] = {}
    for name, value in population.__dict__.items():
        if value in (None, ()):
            continue
        mine = getattr(cohort, name)
        if name in _LISTS:
            changes[name] = tuple(v for v in value if not mine or v in mine) or ("\x00none",)
        elif mine is None:
            changes[name] = value
        elif name.endswith("_max") or name == "enrolled_to":
            changes[name] = min(mine, value)
        elif name.endswith("_min") or name in ("enrolled_from", "min_adherence"):
            changes[name] = max(mine, value)
        else:
            changes[name] = value
    return replace(cohort, **changes)


def _range_and_mcid(outcome: str) -> tuple[tuple[float, float], str | None, tuple[str, ...]]:
    gait = gait_measures().get(outcome)
    if gait is not None:
        mid = f"{gait.mid:g} {gait.unit} ({gait.mid_reference})" if gait.mid is not None else None
        return (gait.scale_min, gait.scale_max), mid, ()
    known = instruments()[outcome]
    parts = [f"{known.mcid_points:g} points"] if known.mcid_points is not None else []
    parts += [f"{known.mcid_percent:g}% of baseline"] if known.mcid_percent is not None else []
    mcid = " or ".join(parts) + f" ({known.mcid_source})" if parts else None
    return (known.scale_min, known.scale_max), mcid, known.conditions


def mcid_words(outcome: str) -> str:
    """What counts as a response on ``outcome``, with the source (or that none is defined)."""
    return _range_and_mcid(outcome)[1] or "no published MCID defined"


def retarget(plan: Plan, outcome: str, *, source: str = "nrs") -> Plan:
    """``plan`` with every analysis of ``source`` (NRS pain) run on ``outcome`` instead: how a
    report's ``--outcome`` or the dashboard's outcome box applies the default plan."""
    if outcome == source:
        return plan
    if outcome not in (*instruments(), *gait_measures()):
        known = ", ".join(sorted((*instruments(), *gait_measures())))
        raise UsageError(f"The 'outcome' must be one of {known}. Got {outcome!r} instead.")
    analyses = tuple(
        replace(spec, outcome=outcome) if spec.outcome == source else spec for spec in plan.analyses
    )
    return replace(plan, analyses=analyses)


@dataclass
class PlanRun:
    """A plan run on a cohort: every analysis's :class:`AnalysisResult`, and the tidy table."""

    plan: Plan
    cohort: Cohort
    results: list[AnalysisResult] = field(default_factory=list)

    def result(self, analysis_id: str) -> AnalysisResult:
        """The result of the analysis with ``analysis_id``."""
        for item in self.results:
            if item.spec.id == analysis_id:
                return item
        raise UsageError(f"No analysis {analysis_id!r} in this run.")

    @property
    def table(self) -> pl.DataFrame:
        """Every result row, tidy (see the module docstring)."""
        parts = []
        for item in self.results:
            spec = item.spec
            front = {
                "analysis": spec.id,
                "analysis_role": spec.role,
                "outcome": spec.outcome,
                "model": spec.model,
                "population": spec.population,
                "status": item.status,
                "reference_arm": item.reference,
            }
            body = item.table if item.table.height else pl.DataFrame({"term": [spec.outcome]})
            body = body.drop([c for c in FRONT if c in body.columns])
            body = body.with_columns(
                [pl.lit(v, dtype=pl.String).alias(k) for k, v in front.items()]
            )
            own = body["notes"].to_list() if "notes" in body.columns else [None] * body.height
            body = body.with_columns(
                pl.Series("notes", [_notes(row, item.notes) for row in own], dtype=pl.String)
            )
            parts.append(body.select(*FRONT, pl.exclude(*FRONT)))
        if not parts:
            return pl.DataFrame(schema={c: pl.String for c in FRONT})
        table = pl.concat(parts, how="diagonal_relaxed")
        from toolkit.stats._common import _RESULT_SCHEMA

        missing = [c for c in _RESULT_SCHEMA if c not in table.columns]
        table = table.with_columns(pl.lit(None, dtype=_RESULT_SCHEMA[c]).alias(c) for c in missing)
        return _adjust(table, self.plan)


def _notes(row: str | None, analysis: list[str]) -> str | None:
    """A row's notes: the statistics function's own (``" | "``-separated) and the analysis's,
    each once, joined with ``"; "``."""
    parts = [p.strip() for p in (row or "").split(" | ") if p.strip()]
    parts += [n for n in analysis if n not in parts]
    return "; ".join(dict.fromkeys(parts)) or None


def comparison_rows(frame: pl.DataFrame) -> pl.Expr:
    """Rows holding each model's comparisons of interest (what multiplicity adjusts)."""
    role = pl.col("role") if "role" in frame.columns else pl.lit(None, dtype=pl.String)
    model = pl.col("model")
    return (
        ((model == "change") & pl.col("p_value").is_not_null())
        | (model.is_in(["ancova", "mmrm"]) & (role == "difference"))
        | ((model == "responders") & (role == "risk_difference"))
        | ((model == "responders_logistic") & (role == "odds_ratio"))
        | ((model == "cace") & (role == "causal_dose"))
        | (
            (model == "mixed_model")
            & (role == "fixed")
            & pl.col("term").str.contains(":", literal=True)
        )
        | (
            (model == "dose_response")
            & (
                (
                    (role == "coefficient")
                    & pl.col("term").is_in(["retro_minutes", "forward_minutes"])
                )
                | ((role == "test") & pl.col("term").str.ends_with("overall"))
            )
        )
    )


def _adjust(table: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """``p_adjusted`` for the comparison rows of the analyses in the multiplicity family."""
    from toolkit.stats import adjust_pvalues

    if plan.multiplicity == "none" or "p_value" not in table.columns:
        return table.with_columns(pl.lit(None, dtype=pl.Float64).alias("p_adjusted"))
    indexed = table.with_row_index("_row")
    family = indexed.filter(
        comparison_rows(table)
        & pl.col("analysis_role").is_in(list(plan.multiplicity_roles))
        & pl.col("p_value").is_not_null()
    )
    if family.height == 0:
        return table.with_columns(pl.lit(None, dtype=pl.Float64).alias("p_adjusted"))
    if plan.multiplicity == "fixed_sequence":
        from toolkit.stats import fixed_sequence

        # hypotheses in the plan's order (primary first), each once: "analysis: term"
        named = family.with_columns(
            pl.concat_str([pl.col("analysis"), pl.col("term")], separator=": ").alias("term")
        ).unique(subset="term", keep="first", maintain_order=True)
        tested = fixed_sequence(named, alpha=plan.alpha).select("_row", "p_adjusted")
        return indexed.join(tested, on="_row", how="left").sort("_row").drop("_row")
    family = family.with_columns(family_labels(family, plan.multiplicity_family))
    adjusted = adjust_pvalues(family, method=plan.multiplicity, family="adjustment_family")
    adjusted = adjusted.select("_row", "p_adjusted", "adjustment_family")
    return indexed.join(adjusted, on="_row", how="left").sort("_row").drop("_row")


class _Frames:
    """The run's frames, each read once (by population, outcome and kind)."""

    def __init__(self, study: Any) -> None:
        self.study = study

    @cache  # noqa: B019
    def intervention_weeks(self) -> int | None:
        """The study's intervention length setting (None when the study has none)."""
        found = self.study.sql(
            "select value from study_settings where key in ('intervention_weeks', 'study_weeks') "
            "order by key"
        )
        return int(found["value"][0]) if found.height else None

    @cache  # noqa: B019 - one instance per run, dropped with it
    def wide(self, cohort: Cohort, outcome: str) -> pl.DataFrame:
        if outcome in gait_measures():
            measure = gait_measures()[outcome]
            better = 1.0 if measure.higher_is_better else -1.0
            # responder at the published MID (none where no MID is published)
            responder = (
                (pl.col("change") * better >= measure.mid)
                if measure.mid is not None
                else pl.lit(None, pl.Boolean)
            )
            gait = frames.gait_frame(self.study, cohort, outcome)
            return gait.with_columns(responder.alias("responder"))
        return frames.outcome_frame(self.study, cohort, outcome)

    @cache  # noqa: B019
    def long(self, cohort: Cohort, outcome: str, kind: str) -> pl.DataFrame:
        if outcome in gait_measures():
            raise UsageError(
                f"{outcome} is summarised per visit window only: use ancova or change."
            )
        if kind in ("mmrm", "reference_based"):
            return frames.visit_frame(self.study, cohort, outcome)
        return frames.trajectory_frame(self.study, cohort, outcome)


def _arms(study: Any, cohort: Cohort) -> list[str]:
    sql, params = cohort.to_sql()
    found = study.sql(
        f"select distinct arm from participants where participant_id in ({sql}) order by arm",
        params,
    )
    return [str(a) for a in found["arm"].drop_nulls().to_list()]


def run_analysis(
    study: Any,
    plan: Plan,
    spec: AnalysisSpec,
    cohort: Cohort,
    reads: _Frames | None = None,
    *,
    curves: bool = True,
) -> AnalysisResult:
    """Run one analysis of ``plan`` on ``cohort`` (narrowed to the analysis's population)."""
    reads = reads or _Frames(study)
    chosen = narrow(cohort, plan.populations[spec.population].filters)
    scale, mcid, conditions = _range_and_mcid(spec.outcome)
    frame = reads.wide(chosen, spec.outcome)
    notes: list[str] = []
    if conditions:
        applicable = frame.filter(pl.col("condition").is_in(list(conditions)))
        others = frame.height - applicable.height
        if applicable.height == 0:
            notes.append(
                f"not applicable: {spec.outcome} is collected only for {', '.join(conditions)}, "
                "and this cohort has no such participant"
            )
            return AnalysisResult(spec, pl.DataFrame(), "not_applicable", notes, frame)
        if others:
            notes.append(
                f"{others} participant(s) with other conditions are not applicable (not missing): "
                f"{spec.outcome} is collected only for {', '.join(conditions)}"
            )
        frame = applicable
    arms = (
        sorted(str(a) for a in frame["arm"].drop_nulls().unique().to_list()) if frame.height else []
    )
    reference, moved = resolve_reference(
        spec.reference_arm or plan.reference_arm, _arms(study, chosen)
    )
    if reference not in arms and arms:
        reference, moved = resolve_reference(spec.reference_arm or plan.reference_arm, arms)
    if moved:
        notes.append(moved)
    uses_exposure = (
        spec.model == "dose_response"
        or plan.populations[spec.population].filters.min_adherence is not None
    )
    weeks = reads.intervention_weeks() if uses_exposure else None
    if weeks is not None:
        notes.append(
            f"exposure and adherence are weekly means over the study's {weeks} intervention weeks"
        )
        if plan.intervention_weeks is not None and plan.intervention_weeks != weeks:
            notes.append(
                f"the plan's intervention length ({plan.intervention_weeks} weeks) differs from "
                f"the study's setting ({weeks} weeks): set it with retrowalk settings STUDY "
                f"--intervention-weeks {plan.intervention_weeks}"
            )
    applicable_ids = frame["participant_id"]

    def long() -> pl.DataFrame:
        rows = reads.long(chosen, spec.outcome, spec.model)
        rows = rows.filter(pl.col("participant_id").is_in(applicable_ids.implode()))
        events = (
            first_events(study, chosen) if spec.intercurrent_strategy != STRATEGIES[0] else None
        )
        if events is None:
            return rows
        rows, note = apply_strategy(rows, events, spec.intercurrent_strategy)
        if note and note not in notes:
            notes.append(note)
        return rows

    better = (gait_measures().get(spec.outcome) or instruments()[spec.outcome]).higher_is_better
    inputs = Inputs(spec, frame, long, reference, arms, scale, mcid, plan.alpha, notes, better)
    runner = RUNNERS[spec.model]
    if spec.model in ("mixed_model", "dose_response"):
        return runner(inputs, curve=curves)
    return runner(inputs)


def execute_plan(
    study: Any,
    plan: Plan | None = None,
    cohort: Cohort | str | None = None,
    *,
    only: tuple[str, ...] | None = None,
    curves: bool = True,
) -> PlanRun:
    """Run every analysis of ``plan`` (the built-in default plan when None) on ``cohort``.

    ``only`` restricts the run to the named analyses (the dashboard runs a page's analyses).
    """
    plan = plan or default_plan()
    chosen = resolve_cohort(study, cohort)
    reads = _Frames(study)
    run = PlanRun(plan, chosen)
    for spec in plan.analyses:
        if only is None or spec.id in only:
            run.results.append(run_analysis(study, plan, spec, chosen, reads, curves=curves))
    return run


def run_plan(
    study: Any, plan: Plan | None = None, cohort: Cohort | str | None = None
) -> pl.DataFrame:
    """Tidy results of every analysis of ``plan`` on ``cohort`` (see the module docstring).

    Examples
    --------
    >>> from toolkit.analyses import run_plan, default_plan      # doctest: +SKIP
    >>> run_plan(study, default_plan()).filter(analysis="primary")  # doctest: +SKIP
    """
    return execute_plan(study, plan, cohort).table
