"""The statistical analysis plan: a TOML file, validated on load, describing what is analysed.

A plan names its analysis populations (ITT: everyone randomised; per-protocol: an adherence
rule), and a list of ``[[analysis]]`` tables, each one model on one outcome with its role
(primary, secondary, exploratory, sensitivity), its estimand in words, its population and
covariates. Top-level keys set the reference arm, alpha, multiplicity, the missing-data approach
and the intervention length. :func:`load_plan` checks every value and names the file, the line
and the allowed values of the first one that is wrong. See ``analyses/demo_plan.toml``.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from toolkit.analyses.estimands import STRATEGIES, VISIT_MODELS
from toolkit.analyses.toml_lines import key_line
from toolkit.cohorts import Cohort
from toolkit.errors import PlanError, UsageError
from toolkit.instruments import gait_measures, instruments

MODELS = (
    "ancova",
    "change",
    "mmrm",
    "mixed_model",
    "responders",
    "dose_response",
    "responders_logistic",
    "tipping_point",
    "reference_based",
    "cace",
)
#: What counts as a responder: the instrument's MCID, or the IMMPACT relative tiers.
RESPONDER_RULES = ("mcid", "reduction_30", "reduction_50")
#: Reference-based multiple imputation (reference_based model).
IMPUTATIONS = ("J2R", "CR", "MAR")
#: How reference-based imputation carries parameter uncertainty (toolkit.stats.reference_based).
REFERENCE_DRAWS = ("bayes", "conditional_mean")
ROLES = ("primary", "secondary", "exploratory", "sensitivity")
MULTIPLICITY = ("none", "holm", "fdr_bh", "bonferroni", "fixed_sequence")
#: Which comparisons are adjusted together (toolkit.analyses.families).
MULTIPLICITY_FAMILIES = ("all", "comparison", "outcome")
MISSING = ("complete_case", "mice", "non_responder")
RANDOM_SLOPE = ("auto", "yes", "no")
COLLINEAR = ("drop", "refuse")
#: Degrees of freedom of mixed models and MMRMs (toolkit.stats: Satterthwaite by default).
DF_METHODS = ("satterthwaite", "kenward-roger")
#: MMRM covariance structures; the others are tried in this order when one fails to fit.
COVARIANCES = ("unstructured", "toeplitz", "ar1", "cs")
EXPOSURES = ("retro_minutes", "forward_minutes")
#: Columns of the outcome frame a plan may adjust for.
COVARIATES = ("baseline", "condition", "sex", "site", "age", "bmi", *EXPOSURES)
_POPULATION_KEYS = ("description", *(f.name for f in fields(Cohort)))
_TOP_KEYS = (
    "title",
    "plan_version",
    "reference_arm",
    "alpha",
    "intervention_weeks",
    "multiplicity",
    "multiplicity_roles",
    "multiplicity_family",
    "missing_data",
    "populations",
    "analysis",
)
_ANALYSIS_KEYS = (
    "id",
    "outcome",
    "model",
    "role",
    "estimand",
    "population",
    "covariates",
    "stratification",
    "exposure",
    "spline_df",
    "random_slope",
    "missing",
    "collinear",
    "reference_arm",
    "sensitivity_of",
    "observational",
    "df_method",
    "covariance",
    "responder",
    "deltas",
    "imputation",
    "contrast",
    "intercurrent_strategy",
    "reference_draws",
)


@dataclass(frozen=True)
class Population:
    """An analysis population: a name, its definition in words and its cohort filters."""

    name: str
    description: str
    filters: Cohort = field(default_factory=Cohort)


@dataclass(frozen=True)
class AnalysisSpec:
    """One planned analysis: ``model`` on ``outcome`` in ``population``.

    ``covariates`` is ``None`` when the plan left them to the model's default (then a
    collinear one is dropped with a note); given explicitly, a collinear covariate is refused
    unless ``collinear = "drop"``. ``stratification`` factors are always adjusted for.
    """

    id: str
    outcome: str
    model: str
    role: str
    estimand: str = ""
    population: str = "itt"
    covariates: tuple[str, ...] | None = None
    stratification: tuple[str, ...] = ()
    exposure: str = "retro_minutes"
    spline_df: int | None = None
    random_slope: str = "auto"
    missing: str = "complete_case"
    collinear: str | None = None
    reference_arm: str | None = None
    sensitivity_of: str | None = None
    observational: bool = False
    df_method: str = "satterthwaite"
    covariance: str = "unstructured"
    responder: str = "mcid"
    deltas: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
    imputation: str = "J2R"
    contrast: str | None = None
    #: ``treatment_policy`` or ``hypothetical`` (toolkit.analyses.estimands)
    intercurrent_strategy: str = "treatment_policy"
    #: reference_based: ``bayes`` (multiple imputation) or ``conditional_mean`` (jackknife SE)
    reference_draws: str = "bayes"

    @property
    def is_gait(self) -> bool:
        """Whether the outcome is a wearable gait measure (else a questionnaire instrument)."""
        return self.outcome in gait_measures()


@dataclass(frozen=True)
class Plan:
    """A validated statistical analysis plan (see the module docstring)."""

    title: str
    analyses: tuple[AnalysisSpec, ...]
    populations: dict[str, Population]
    reference_arm: str = "auto"
    alpha: float = 0.05
    intervention_weeks: int | None = None
    multiplicity: str = "holm"
    multiplicity_roles: tuple[str, ...] = ("primary", "secondary")
    missing_data: str = ""
    #: ``all`` (one family), ``comparison`` or ``outcome`` (toolkit.analyses.families)
    multiplicity_family: str = "all"
    text: str = ""
    source: str = "<built-in default plan>"

    @property
    def sha256(self) -> str:
        """SHA-256 of the plan file's bytes (UTF-8 text): what ``analyse --lock`` records."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def analysis(self, analysis_id: str) -> AnalysisSpec:
        """The analysis with ``analysis_id``."""
        for spec in self.analyses:
            if spec.id == analysis_id:
                return spec
        known = ", ".join(s.id for s in self.analyses)
        raise UsageError(f"The plan has no analysis {analysis_id!r}; it has {known}.")


class _Checker:
    """Validates parsed TOML, raising :class:`PlanError` with the key's line."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source

    def fail(
        self, message: str, table: str | None, key: str | None, index: int | None = None
    ) -> PlanError:
        line = key_line(self.text, table, key, index)
        return PlanError(f"{self.source}, line {line}: {message}")

    def choice(
        self, value: Any, allowed: tuple[str, ...], what: str, where: tuple[Any, ...]
    ) -> str:
        if value not in allowed:
            raise self.fail(
                f"{what} must be one of {', '.join(allowed)}. Got {value!r} instead.", *where
            )
        return str(value)

    def text_value(self, value: Any, what: str, where: tuple[Any, ...]) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{what} must be a string. Got {value!r} instead.", *where)
        return value

    def names(
        self, value: Any, allowed: tuple[str, ...] | None, what: str, where: tuple[Any, ...]
    ) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{what} must be a list of strings. Got {value!r} instead.", *where)
        for item in value:
            if allowed is not None and item not in allowed:
                raise self.fail(
                    f"{what} may hold only {', '.join(allowed)}. Got {item!r} instead.", *where
                )
        return tuple(value)

    def unknown_keys(self, data: dict[str, Any], allowed: tuple[str, ...], where: Any) -> None:
        for key in data:
            if key not in allowed:
                table, index = where
                raise self.fail(
                    f"unknown key {key!r}; allowed keys are {', '.join(allowed)}.",
                    table,
                    key,
                    index,
                )


def _population(check: _Checker, name: str, data: Any) -> Population:
    table = f"populations.{name}"
    if not isinstance(data, dict):
        raise check.fail(f"[{table}] must be a table.", None, "populations")
    check.unknown_keys(data, _POPULATION_KEYS, (table, None))
    description = check.text_value(data.get("description", ""), "'description'", (table, None))
    filters = {k: v for k, v in data.items() if k != "description"}
    try:
        cohort = Cohort.from_dict(filters)
    except UsageError as exc:
        raise check.fail(str(exc), table, next(iter(filters), None)) from exc
    return Population(name, description, cohort)


def _analysis(
    check: _Checker, index: int, data: Any, populations: dict[str, Population]
) -> AnalysisSpec:
    table = "analysis"
    at = (table, index)

    def where(key: str) -> tuple[Any, ...]:
        return (table, key, index)

    if not isinstance(data, dict):
        raise check.fail("each [[analysis]] must be a table.", table, None, index)
    check.unknown_keys(data, _ANALYSIS_KEYS, at)
    for required in ("id", "outcome", "model", "role"):
        if required not in data:
            raise check.fail(
                f"[[analysis]] number {index + 1} has no {required!r}.", table, None, index
            )
    ident = check.text_value(data["id"], "'id'", where("id"))
    what = f"analysis {ident!r}"
    outcomes = (*sorted(instruments()), *gait_measures())
    outcome = check.choice(data["outcome"], outcomes, f"'outcome' of {what}", where("outcome"))
    model = check.choice(data["model"], MODELS, f"'model' of {what}", where("model"))
    role = check.choice(data["role"], ROLES, f"'role' of {what}", where("role"))
    estimand = check.text_value(
        data.get("estimand", ""), f"'estimand' of {what}", where("estimand")
    )
    if role in ("primary", "secondary") and not estimand.strip():
        raise check.fail(
            f"{what} is {role}: it needs an 'estimand' in words (population, variable, "
            "intercurrent events, summary measure).",
            table,
            "role",
            index,
        )
    population = check.choice(
        data.get("population", "itt"),
        tuple(populations),
        f"'population' of {what}",
        where("population"),
    )
    covariates = (
        check.names(data["covariates"], COVARIATES, f"'covariates' of {what}", where("covariates"))
        if "covariates" in data
        else None
    )
    stratification = check.names(
        data.get("stratification", []),
        COVARIATES,
        f"'stratification' of {what}",
        where("stratification"),
    )
    exposure = check.choice(
        data.get("exposure", "retro_minutes"), EXPOSURES, f"'exposure' of {what}", where("exposure")
    )
    spline_df = data.get("spline_df")
    if spline_df is not None and (
        isinstance(spline_df, bool) or not isinstance(spline_df, int) or not 2 <= spline_df <= 6
    ):
        raise check.fail(
            f"'spline_df' of {what} must be an integer from 2 to 6. Got {spline_df!r} instead.",
            *where("spline_df"),
        )
    random_slope = data.get("random_slope", "auto")
    if isinstance(random_slope, bool):
        random_slope = "yes" if random_slope else "no"
    random_slope = check.choice(
        random_slope, RANDOM_SLOPE, f"'random_slope' of {what}", where("random_slope")
    )
    missing = check.choice(
        data.get("missing", "complete_case"), MISSING, f"'missing' of {what}", where("missing")
    )
    collinear = data.get("collinear")
    if collinear is not None:
        collinear = check.choice(collinear, COLLINEAR, f"'collinear' of {what}", where("collinear"))
    reference = data.get("reference_arm")
    if reference is not None:
        reference = check.text_value(
            reference, f"'reference_arm' of {what}", where("reference_arm")
        )
    observational = data.get("observational", model == "dose_response")
    if not isinstance(observational, bool):
        raise check.fail(
            f"'observational' of {what} must be true or false. Got {observational!r} instead.",
            *where("observational"),
        )
    if model == "dose_response" and (not observational or role in ("primary", "secondary")):
        raise check.fail(
            f"{what} is a dose-response: exposure is not randomised, so it is observational and "
            "its role must be exploratory or sensitivity (not primary or secondary).",
            table,
            "role" if role in ("primary", "secondary") else "observational",
            index,
        )

    def option(key: str, default: str, allowed: tuple[str, ...]) -> str:
        """The analysis's ``key``, one of ``allowed`` (``default`` when absent)."""
        return check.choice(data.get(key, default), allowed, f"'{key}' of {what}", where(key))

    df_method = option("df_method", "satterthwaite", DF_METHODS)
    covariance = option("covariance", "unstructured", COVARIANCES)
    responder = option("responder", "mcid", RESPONDER_RULES)
    imputation = option("imputation", "J2R", IMPUTATIONS)
    reference_draws = option("reference_draws", "bayes", REFERENCE_DRAWS)
    strategy = option("intercurrent_strategy", "treatment_policy", STRATEGIES)
    if strategy != "treatment_policy" and model not in VISIT_MODELS:
        raise check.fail(
            f"the {strategy} strategy of {what} needs a model with repeated visits "
            f"({', '.join(VISIT_MODELS)}); {model} has one follow-up value.",
            *where("intercurrent_strategy"),
        )
    deltas = data.get("deltas", [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    if (
        not isinstance(deltas, list)
        or not deltas
        or not all(isinstance(d, int | float) and not isinstance(d, bool) for d in deltas)
    ):
        raise check.fail(
            f"'deltas' of {what} must be a non-empty list of numbers. Got {deltas!r} instead.",
            *where("deltas"),
        )
    if missing == "non_responder" and model not in ("responders", "responders_logistic"):
        raise check.fail(
            f"'missing' of {what}: non_responder imputation applies to responder models only.",
            *where("missing"),
        )
    contrast = data.get("contrast")
    if contrast is not None:
        contrast = check.text_value(contrast, f"'contrast' of {what}", where("contrast"))
    sensitivity_of = data.get("sensitivity_of")
    if sensitivity_of is not None:
        sensitivity_of = check.text_value(
            sensitivity_of, f"'sensitivity_of' of {what}", where("sensitivity_of")
        )
    return AnalysisSpec(
        id=ident,
        outcome=outcome,
        model=model,
        role=role,
        estimand=estimand,
        population=population,
        covariates=covariates,
        stratification=stratification,
        exposure=exposure,
        spline_df=spline_df,
        random_slope=random_slope,
        missing=missing,
        collinear=collinear,
        reference_arm=reference,
        sensitivity_of=sensitivity_of,
        observational=observational,
        df_method=df_method,
        covariance=covariance,
        responder=responder,
        deltas=tuple(float(d) for d in deltas),
        imputation=imputation,
        contrast=contrast,
        intercurrent_strategy=strategy,
        reference_draws=reference_draws,
    )


def parse_plan(text: str, source: str = "<plan>") -> Plan:
    """Parse and validate a plan from its TOML ``text`` (``source`` names it in errors)."""
    check = _Checker(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source}: not valid TOML: {exc}") from exc
    check.unknown_keys(data, _TOP_KEYS, (None, None))
    title = check.text_value(data.get("title", Path(source).stem), "'title'", (None, "title"))
    raw_populations = data.get("populations", {})
    if not isinstance(raw_populations, dict):
        raise check.fail("'populations' must be a table of tables.", None, "populations")
    populations = {"itt": Population("itt", "all randomised participants (intention to treat)")}
    for name, body in raw_populations.items():
        populations[name] = _population(check, name, body)
    raw_analyses = data.get("analysis", [])
    if not isinstance(raw_analyses, list) or not raw_analyses:
        raise check.fail("a plan needs at least one [[analysis]] table.", None, "analysis")
    analyses = tuple(_analysis(check, i, a, populations) for i, a in enumerate(raw_analyses))
    seen: set[str] = set()
    for index, spec in enumerate(analyses):
        if spec.id in seen:
            raise check.fail(f"analysis id {spec.id!r} is used twice.", "analysis", "id", index)
        seen.add(spec.id)
    for index, spec in enumerate(analyses):
        if spec.sensitivity_of is not None and spec.sensitivity_of not in seen:
            raise check.fail(
                f"'sensitivity_of' must name an analysis of this plan ({', '.join(sorted(seen))}). "
                f"Got {spec.sensitivity_of!r} instead.",
                "analysis",
                "sensitivity_of",
                index,
            )
    if sum(spec.role == "primary" for spec in analyses) == 0:
        raise check.fail('a plan needs one analysis with role = "primary".', None, "analysis")
    alpha = data.get("alpha", 0.05)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise check.fail(
            f"'alpha' must be a number in (0, 1). Got {alpha!r} instead.", None, "alpha"
        )
    weeks = data.get("intervention_weeks")
    if weeks is not None and (isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1):
        raise check.fail(
            f"'intervention_weeks' must be a whole number of weeks >= 1. Got {weeks!r} instead.",
            None,
            "intervention_weeks",
        )
    reference = check.text_value(
        data.get("reference_arm", "auto"), "'reference_arm'", (None, "reference_arm")
    )
    return Plan(
        title=title,
        analyses=analyses,
        populations=populations,
        reference_arm=reference,
        alpha=float(alpha),
        intervention_weeks=weeks,
        multiplicity=check.choice(
            data.get("multiplicity", "holm"), MULTIPLICITY, "'multiplicity'", (None, "multiplicity")
        ),
        multiplicity_roles=check.names(
            data.get("multiplicity_roles", ["primary", "secondary"]),
            ROLES,
            "'multiplicity_roles'",
            (None, "multiplicity_roles"),
        ),
        missing_data=check.text_value(
            data.get("missing_data", ""), "'missing_data'", (None, "missing_data")
        ),
        multiplicity_family=check.choice(
            data.get("multiplicity_family", "all"),
            MULTIPLICITY_FAMILIES,
            "'multiplicity_family'",
            (None, "multiplicity_family"),
        ),
        text=text,
        source=source,
    )


def load_plan(path: Path | str) -> Plan:
    """Read and validate the plan file at ``path``; :class:`PlanError` names line and values."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PlanError(f"no analysis plan at {target}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"cannot read the analysis plan {target}: {exc}") from exc
    return parse_plan(text, str(target))


def default_plan() -> Plan:
    """The built-in plan used when none is given (``toolkit/analyses/default_plan.toml``)."""
    text = resources.files(__package__).joinpath("default_plan.toml").read_text("utf-8")
    return parse_plan(text, "<built-in default plan>")
