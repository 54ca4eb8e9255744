"""The report-wide suppression pass: which participants each shown count counts, and hiding more.

Applied by :func:`toolkit.report.build.build_content` to what the sections publish, after
they are built: the cohort and CONSORT paragraphs, the enrolment and CONSORT tables (and the
CONSORT figure, redrawn from what stays shown), and the ``n``/``n_excluded``/``count`` cells of
the primary outcome's change, ANCOVA and responder tables. Each count is tied to the set of
participants it counts (recomputed from the report's own frames; a cell whose number does not
match its set is left out of the model and listed in :attr:`Protection.unmatched`), and
:func:`toolkit.report.suppression.complement` decides what else to hide. A hidden cell shows
``*``; where a hidden ``n`` or ``count`` could be worked back from a row's statistics, those
are withheld too (degrees of freedom; a proportion and its CI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from toolkit.figures.overview import figure_participant_flow
from toolkit.report.model import Section, Table
from toolkit.report.suppression import Count, Key, complement, exposed

#: How a cell hidden by this pass is shown (as in per-table secondary suppression).
HIDDEN = "*"
#: Statistics that give back a hidden n (degrees of freedom are n minus a constant) ...
FROM_N = ("df",)
#: ... and, in a row of proportions, the count (proportion x n, and its CI's width gives n).
FROM_PROPORTION = ("estimate", "ci_low", "ci_high")
_PARAGRAPHS = {
    "assessed": r"(Assessed \(enrolled in the study\): )(\d+)",
    "excluded": r"(excluded by the cohort definition: )(\d+)",
    "in cohort": r"(in the cohort: )(\d+)",
    "holds": r"(The cohort holds )(\d+)",
    "of study": r"( of the study's )(\d+)",
}


@dataclass
class Protection:
    """What the pass did: cells hidden, and cells it could not tie to a set of participants."""

    hidden: set[Key] = field(default_factory=set)
    unmatched: list[Key] = field(default_factory=list)
    counts: dict[Key, Count] = field(default_factory=dict)


def _shown(text: object) -> int | None:
    value = str(text) if text is not None else ""
    return int(value) if value.isdigit() else None


class _Ledger:
    def __init__(self, protection: Protection) -> None:
        self.p = protection

    def cell(self, key: Key, text: object, members: frozenset[str]) -> None:
        number = _shown(text)
        if number is None:
            if str(text or "").strip() in ("", "None"):
                return
            self.p.counts[key] = Count(members, shown=False)
        elif number == len(members):
            self.p.counts[key] = Count(members, shown=True)
        else:
            self.p.unmatched.append(key)

    def implied(self, key: Key, members: frozenset[str]) -> None:
        self.p.counts[key] = Count(members, shown=False, implied=True)


def protect_report(
    sections: list[Section],
    people: pl.DataFrame,
    outcomes: pl.DataFrame,
    outcome_rows: pl.DataFrame,
    instrument: str,
    study_total: int,
    min_cell: int,
    *,
    events: pl.DataFrame | None = None,
) -> Protection:
    """Hide, across ``sections``, every shown count that would give back a hidden one.

    ``events`` (rows of ``intercurrent_events``) ties the CONSORT table's intercurrent-event
    stages and the reasons table's rows to the participants they count."""
    protection = Protection()
    ledger = _Ledger(protection)
    cohort = frozenset(people["participant_id"].cast(pl.String).to_list())
    outside = frozenset(f"~{i}" for i in range(max(study_total - len(cohort), 0)))
    arm_of = dict(zip(people["participant_id"], people["arm"].cast(pl.String), strict=True))
    cond_of = dict(zip(people["participant_id"], people["condition"].cast(pl.String), strict=True))
    scores = outcomes.filter(pl.col("instrument") == instrument)
    base = frozenset(scores.filter(pl.col("baseline").is_not_null())["participant_id"])
    follow = frozenset(scores.filter(pl.col("follow_up").is_not_null())["participant_id"])
    analysed = base & follow & cohort
    responders = frozenset(
        outcome_rows.filter(pl.col("responder").fill_null(False))["participant_id"]
        if "responder" in outcome_rows.columns
        else []
    )

    def arm(name: str) -> frozenset[str]:
        return cohort if name == "all" else frozenset(p for p in cohort if arm_of[p] == name)

    stages = {
        "enrolled": lambda a: arm(a),
        "with baseline": lambda a: arm(a) & base,
        "with follow-up": lambda a: arm(a) & follow,
        "analysed": lambda a: arm(a) & analysed,
    }
    for label, who in _event_members(events, cohort).items():
        stages[label] = lambda a, who=who: arm(a) & who  # type: ignore[misc]
    tables = {t.key: t for s in sections for t in s.tables}
    arms = sorted(set(arm_of.values()))
    for name in [*arms, "all"]:
        e = arm(name)
        for label, members in (
            ("without baseline", e - base),
            ("without follow-up", e - follow),
            ("not analysed", e - analysed),
            ("non-responders", (e & analysed) - responders),
        ):
            ledger.implied(("implied", name, label), members)
    texts = {
        "assessed": cohort | outside,
        "excluded": outside,
        "in cohort": cohort,
        "holds": cohort,
        "of study": cohort | outside,
    }
    for s in sections:
        for i, paragraph in enumerate(s.paragraphs):
            for label, pattern in _PARAGRAPHS.items():
                found = re.search(pattern, paragraph)
                if found:
                    ledger.cell(("text", s.key, i, label), found[2], texts[label])
    for flow_table in ("consort_flow", "consort_reasons"):
        if flow_table not in tables:
            continue
        frame = tables[flow_table].frame
        for r, row in enumerate(frame.iter_rows(named=True)):
            for column in frame.columns:
                if column in (*arms, "all") and row["stage"] in stages:
                    members = stages[row["stage"]](column)
                    ledger.cell((flow_table, r, column), row[column], members)
    if "enrolment_by_arm_condition" in tables:
        frame = tables["enrolment_by_arm_condition"].frame
        for r, row in enumerate(frame.iter_rows(named=True)):
            of = frozenset(p for p in cohort if cond_of[p] == row["condition"])
            for column in frame.columns:
                if column in (*arms, "all"):
                    ledger.cell(
                        ("enrolment_by_arm_condition", r, column), row[column], of & arm(column)
                    )
    for key in ("change_from_baseline", "ancova", "responders"):
        if key not in tables:
            continue
        frame = tables[key].frame
        for r, row in enumerate(frame.iter_rows(named=True)):
            term = str(row.get("term", ""))
            groups = [g for g in re.split(r" [-/] ", term) if g in arm_of.values()]
            if key == "ancova":
                who = cohort
            elif groups:
                who = frozenset().union(*(arm(g) for g in groups))
            else:
                continue
            if "n" in row:
                ledger.cell((key, r, "n"), row["n"], who & analysed)
            if "n_excluded" in row:
                ledger.cell((key, r, "n_excluded"), row["n_excluded"], who - analysed)
            if key == "responders" and "count" in row:
                ledger.cell((key, r, "count"), row["count"], who & analysed & responders)
    protection.hidden = complement(protection.counts, min_cell)
    for extra in protection.hidden:
        before = protection.counts[extra]
        protection.counts[extra] = Count(before.members, shown=False, implied=before.implied)
    _apply(sections, tables, protection.hidden, instrument)
    return protection


def _event_members(
    events: pl.DataFrame | None, cohort: frozenset[str]
) -> dict[str, frozenset[str]]:
    """CONSORT stage label (an event, or an event and its reason) -> the cohort members with it,
    labelled as :func:`toolkit.report.cohort_sections.event_stage` labels them."""
    found: dict[str, set[str]] = {}
    if events is None:
        return {}
    for who, event, reason in events.select("participant_id", "event", "reason").iter_rows():
        if who not in cohort:
            continue
        label = str(event).replace("_", " ")
        found.setdefault(label, set()).add(who)
        found.setdefault(f"{label}: {reason or 'not given'}", set()).add(who)
    return {label: frozenset(who) for label, who in found.items()}


def _apply(
    sections: list[Section], tables: dict[str, Table], hidden: set[Key], instrument: str
) -> None:
    by_table: dict[str, list[tuple[int, str]]] = {}
    for key in hidden:
        if not isinstance(key, tuple):
            continue
        if key[0] == "text":
            _, section_key, index, label = key
            for s in sections:
                if s.key == section_key:
                    s.paragraphs[index] = re.sub(
                        _PARAGRAPHS[label], rf"\g<1>{HIDDEN}", s.paragraphs[index]
                    )
        elif key[0] in tables:
            by_table.setdefault(key[0], []).append((key[1], key[2]))
    for name, cells in by_table.items():
        table = tables[name]
        frame = table.frame.with_columns(pl.col(c).cast(pl.String) for c in {c for _, c in cells})
        rows = frame.to_dicts()
        for r, column in cells:
            rows[r][column] = HIDDEN
            withheld = list(FROM_N) if column == "n" else []
            if column in ("n", "count") and rows[r].get("role") == "proportion":
                withheld += FROM_PROPORTION
            for dependent in withheld:
                if dependent in rows[r]:
                    rows[r][dependent] = None
        table.frame = pl.DataFrame(rows, schema=frame.schema)
    if "consort_flow" in by_table:
        _redraw_consort(sections, tables["consort_flow"].frame, instrument)


def _redraw_consort(sections: list[Section], table: pl.DataFrame, instrument: str) -> None:
    """The CONSORT figure from the cells the table still shows (it draws every number)."""
    arms = [c for c in table.columns if c not in ("step", "stage")]
    shown = table.unpivot(index=["step", "stage"], on=arms, variable_name="arm", value_name="cell")
    shown = shown.filter(pl.col("cell").str.contains(r"^\d+$")).with_columns(
        pl.col("cell").cast(pl.Int64).alias("participants")
    )
    enrolled = shown.filter(pl.col("stage") == "enrolled").select(
        "arm", pl.col("participants").alias("_enrolled")
    )
    flow = shown.join(enrolled, on="arm", how="left").with_columns(
        (100.0 * pl.col("participants") / pl.col("_enrolled")).alias("percent_of_enrolled")
    )
    flow = flow.select("step", "stage", "arm", "participants", "percent_of_enrolled")
    for s in sections:
        for figure in s.figures:
            if figure.key == "consort_flow":
                figure.figure = figure_participant_flow(flow, instrument=instrument)


__all__ = ["HIDDEN", "Protection", "exposed", "protect_report"]
