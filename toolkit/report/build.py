"""Build a report: read the cohort's frames, privatise them, run the analyses, render, write.

``build_report`` writes the HTML (and optionally the PDF and the data extracts);
``report_html`` returns the HTML bytes for the dashboard's download button. Both go through
:func:`build_content`, which reads each frame once and privatises it before any statistics or
figure sees it, so no later step can leak an ID or a date.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from toolkit.analyses import Plan, default_plan, execute_plan
from toolkit.analyses.caveats import collect_notes
from toolkit.analyses.run import retarget
from toolkit.analysis_frames import outcome_frame, trajectory_frame, visit_frame
from toolkit.cohorts import Cohort, members, resolve_cohort, select_view
from toolkit.errors import UsageError
from toolkit.report.cohort_sections import cohort_section, cohort_text, consort_section
from toolkit.report.exposure_sections import exposure_section, table1_section
from toolkit.report.extracts import write_extracts
from toolkit.report.methods import MethodsLog, methods_paragraphs
from toolkit.report.model import Dataset, ReportContent, ReportResult, Section
from toolkit.report.outcome_sections import outcomes_section
from toolkit.report.pdf import print_pdf
from toolkit.report.plan_section import plan_section
from toolkit.report.privacy import PrivacyPolicy, Privatiser
from toolkit.report.provenance import collect_provenance
from toolkit.report.published_counts import hide_counts_in_text, protect_report
from toolkit.report.render import render_html
from toolkit.report.response_sections import dose_response_section, responders_section
from toolkit.study import Study, open_study
from toolkit.summaries import weekly_speed_incline

#: Section keys, in the order a report shows them (provenance closes every report).
SECTION_KEYS = (
    "cohort",
    "consort",
    "table1",
    "exposure",
    "outcomes",
    "dose-response",
    "responders",
    "plan",
    "methods",
    "provenance",
)


@contextmanager
def _timer(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start


def _windows(study: Study) -> str:
    settings = dict(study.sql("select key, value from study_settings").iter_rows())
    try:
        visits = (
            "score (scheduled visits and diary entries)"
            if settings["outcomes_include_diary"]
            else "scheduled-visit score"
        )
        return (
            f"baseline is the latest {visits} from {settings['baseline_days_before']:g} days "
            f"before to {settings['baseline_days_after']:g} days after enrolment; follow-up is "
            f"the {visits} closest to study day {settings['follow_up_day']:g} within "
            f"\u00b1{settings['follow_up_window_days']:g} days. Exposure (weekly minutes and "
            f"adherence) is averaged over the {settings['intervention_weeks']:g} intervention "
            "weeks from the enrolment week."
        )
    except KeyError:
        return "baseline and follow-up windows as set in the study."


def _check_outcome(study: Study, outcome: str) -> tuple[str, str]:
    """The instrument's label and its MCID in words; a usage error for an unknown one."""
    found = study.sql(
        "select label, mcid_points, mcid_percent from ref_instruments where instrument = ?",
        [outcome],
    )
    if found.height == 0:
        known = study.sql("select instrument from ref_instruments order by 1")["instrument"]
        raise UsageError(
            f"The 'outcome' of a report must be one of {', '.join(known)}. Got {outcome!r} instead."
        )
    label, points, percent = found.row(0)
    rules = [f"{points:g} points" for p in [points] if p is not None]
    rules += [f"{percent:g}% of baseline" for p in [percent] if p is not None]
    return f"{outcome} ({label})", "improvement of at least " + (" or ".join(rules) or "the MCID")


def build_content(
    study: Study,
    cohort: Cohort | str | None = None,
    *,
    outcome: str = "nrs",
    policy: PrivacyPolicy | None = None,
    seconds: dict[str, float] | None = None,
    plan: Plan | None = None,
) -> ReportContent:
    """Everything the report shows for ``cohort`` of ``study``, privatised under ``policy``.

    The analyses are ``plan``'s (default: the built-in plan with its NRS analyses run on
    ``outcome``), run by :func:`toolkit.analyses.execute_plan` on the study's views, the same
    run as ``retrowalk analyse``; their results are privatised before they are shown.
    """
    policy = policy or PrivacyPolicy()
    outcome_label, _ = _check_outcome(study, outcome)
    plan = plan if plan is not None else retarget(default_plan(), outcome)
    seconds = seconds if seconds is not None else {}
    chosen = resolve_cohort(study, cohort)
    with _timer(seconds, "collect"):
        people_raw = members(study, chosen)
        if people_raw.height == 0:
            raise UsageError(f"The cohort ({chosen.describe()}) has no participants.")
        study_total = study.sql("select participant_id from participants").height
        privatiser = Privatiser(policy, people_raw.select("participant_id", "enrolled_on"))
        private = privatiser.participant_frame
        people = private(people_raw)
        outcome_rows = private(outcome_frame(study, chosen, outcome))
        outcomes_view = private(select_view(study, "outcomes", chosen))
        weekly = private(select_view(study, "weekly_exposure", chosen))
        exposure = private(select_view(study, "participant_exposure", chosen))
        person_weeks = private(weekly_speed_incline(study, chosen))
        trajectory = private(trajectory_frame(study, chosen, outcome))
        visits = private(visit_frame(study, chosen, outcome))
        events = private(select_view(study, "intercurrent_events", chosen))
    text = cohort_text(chosen, identifiable=policy.identifiable)
    log = MethodsLog()
    with _timer(seconds, "analyse"):
        run = execute_plan(study, plan, chosen)
        used: set[str] = set()
        sections, described = collect_notes(
            lambda: [
                cohort_section(chosen, people, study_total, privatiser, text),
                consort_section(
                    people, outcomes_view, outcome, study_total, privatiser, events=events
                ),
                table1_section(people, privatiser, log),
                exposure_section(weekly, exposure, person_weeks, people, privatiser, log),
                outcomes_section(run.results, outcome, privatiser, log, used),
                dose_response_section(run.results, privatiser, log, used),
                responders_section(run.results, privatiser, log, used),
                plan_section(study, plan),
            ]
        )
    notes = [*described, *(f"{r.spec.id}: {note}" for r in run.results for note in r.notes)]
    caught = list(dict.fromkeys(privatiser.suppress_text(n) for n in notes))
    if policy.min_cell > 1:  # counts in caveats are not modelled: none is shown exactly
        caught = list(dict.fromkeys(hide_counts_in_text(n) for n in caught))
    sections.append(
        Section(
            "methods",
            "Methods",
            methods_paragraphs(
                log,
                cohort_text=text,
                outcome=outcome_label,
                windows=_windows(study),
                privatiser=privatiser,
            ),
        )
    )
    # Complementary suppression across every section (not only within one table), methods
    # sentences and figures included.
    protection = protect_report(
        sections,
        people,
        outcomes_view,
        outcome_rows,
        outcome,
        study_total,
        policy.min_cell,
        private=private,
        events=events,
    )
    parameters = {
        "cohort": text if not policy.identifiable else chosen.to_dict(),
        "outcome": outcome,
        "plan": plan.source,
        "plan_sha256": plan.sha256,
        "identifiable": policy.identifiable,
        "min_cell": policy.min_cell,
    }
    provenance = collect_provenance(study, parameters, identifiable=policy.identifiable)
    datasets = [
        Dataset(
            "analysis_outcomes",
            f"One row per participant: {outcome} outcome and exposure",
            outcome_rows,
        ),
        Dataset("analysis_scores", f"One row per {outcome} score", trajectory),
        Dataset(
            "analysis_visits", f"One row per participant and scheduled {outcome} visit", visits
        ),
        Dataset("analysis_weekly_exposure", "One row per participant and study week", weekly),
    ]
    return ReportContent(
        title=f"retrowalk report: {Path(study.path).stem}",
        policy=policy,
        cohort_text=text,
        sections=sections,
        datasets=datasets,
        provenance=provenance,
        warnings=caught,
        suppression=protection,
    )


@contextmanager
def _opened(study: Study | Path | str) -> Iterator[Study]:
    # an open study: a DuckDB Study, or any object with its `.sql` (a Spark-backed study)
    if not isinstance(study, (Path, str)):
        yield study
        return
    with open_study(study, read_only=True) as opened:
        yield opened


def report_html(
    study: Study | Path | str,
    cohort: Cohort | str | None = None,
    *,
    outcome: str = "nrs",
    identifiable: bool = False,
    min_cell: int = 5,
    plan: Plan | None = None,
) -> bytes:
    """The report as UTF-8 HTML bytes, e.g. for a dashboard download button."""
    policy = PrivacyPolicy(identifiable=identifiable, min_cell=min_cell)
    with _opened(study) as opened:
        content = build_content(opened, cohort, outcome=outcome, policy=policy, plan=plan)
    return render_html(content).encode("utf-8")


def build_report(
    study: Study | Path | str,
    cohort: Cohort | str | None,
    out_html: Path | str,
    pdf: Path | str | None = None,
    identifiable: bool = False,
    min_cell: int = 5,
    *,
    outcome: str = "nrs",
    extracts: bool = True,
    plan: Plan | None = None,
) -> ReportResult:
    """Write the report for ``cohort`` of ``study``.

    Parameters
    ----------
    study
        An open study, or the path of a study file (opened read-only).
    cohort
        A :class:`~toolkit.cohorts.Cohort`, a saved cohort's name, or None for everyone.
    out_html
        The HTML file to write (self-contained; opens offline).
    pdf
        Also print the report to this PDF (needs Chromium).
    identifiable
        Include raw participant IDs and calendar dates (off by default).
    min_cell
        Counts of fewer participants are suppressed.
    outcome
        The primary outcome instrument (``nrs`` by default).
    extracts
        Also write the tables and analysed datasets as CSV and Parquet with a data dictionary
        into ``<out_html stem>_data/`` beside the HTML.
    plan
        The statistical analysis plan to run (:func:`toolkit.analyses.load_plan`); default:
        the built-in plan, its NRS analyses run on ``outcome``.
    """
    policy = PrivacyPolicy(identifiable=identifiable, min_cell=min_cell)
    seconds: dict[str, float] = {}
    html_path = Path(out_html)
    with _opened(study) as opened:
        content = build_content(
            opened, cohort, outcome=outcome, policy=policy, seconds=seconds, plan=plan
        )
    with _timer(seconds, "render"):
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(render_html(content), encoding="utf-8")
    written: tuple[Path, ...] = ()
    if extracts:
        with _timer(seconds, "extracts"):
            folder = html_path.with_name(f"{html_path.stem}_data")
            written = write_extracts(content, folder)
    pdf_path = None
    if pdf is not None:
        with _timer(seconds, "pdf"), tempfile.TemporaryDirectory(prefix="retrowalk-") as tmp:
            printable = Path(tmp) / html_path.name
            printable.write_text(render_html(content, static=True), encoding="utf-8")
            pdf_path = print_pdf(printable, Path(pdf))
    return ReportResult(
        html=html_path,
        pdf=pdf_path,
        extracts=written,
        sections=(*(s.key for s in content.sections), "provenance"),
        seconds=seconds,
        generated_on=content.provenance.generated_at.date(),
    )
