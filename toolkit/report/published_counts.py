"""The report-wide suppression pass: which participants each shown count counts, and hiding more.

Applied by :func:`toolkit.report.build.build_content` to everything the sections publish, after
they are built (methods included): the cohort and CONSORT paragraphs, tables and figure; Table 1
(n and missing per arm, category counts, the denominators their percentages give away, group
sizes in the note); the exposure summary; the ``n``/``n_excluded``/``count``/``n_subjects``
cells of every analysis table (primary, secondary, sensitivity, mixed model, MMRM,
dose-response, responders); the counts in the methods sentences; and the figures' counts
(change and responder hover/bar labels, dose-response legends, the trajectory title) together
with their participant-level markers (one per pseudonym: fixed, linked across figures).

Each count is tied to the set of participants it counts (:mod:`toolkit.report.count_sources`);
:func:`toolkit.report.suppression.complement` decides what else to hide so that no small count
is recovered exactly or narrowed below ``<min_cell``. When only participant-level markers still
give a small count away, those markers are left out and the pass runs again. Per-week ``n`` in
figure hover text (weekly minutes, progression, trajectory means) is removed from shared
reports rather than modelled. A hidden cell shows ``*``; where a hidden ``n`` or ``count``
could be worked back from a row's statistics, those are withheld too (degrees of freedom; a
proportion and its CI).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import polars as pl

from toolkit.figures.overview import figure_participant_flow
from toolkit.figures.style import empty_figure
from toolkit.report import count_sources as src
from toolkit.report.model import Figure, Section, Table
from toolkit.report.privacy import COUNTED
from toolkit.report.suppression import Count, Key, complement, exposed, final_state, narrowed

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
#: Per-week n in hover text: removed from shared reports (not modelled).
_WEEKLY_N = (r"; n=%\{customdata\[2\]\}", r" \(n=%\{customdata\}\)")


@dataclass
class Protection:
    """What the pass did: the model, cells hidden, and cells not tied to a set (hidden too)."""

    hidden: set[Key] = field(default_factory=set)
    unmatched: list[Key] = field(default_factory=list)
    counts: dict[Key, Count] = field(default_factory=dict)
    relabelled: set[Key] = field(default_factory=set)
    #: Figures whose participant-level markers were left out (they gave a small count away).
    markers_removed: list[str] = field(default_factory=list)
    min_cell: int = 5


def protect_report(
    sections: list[Section],
    people: pl.DataFrame,
    outcomes: pl.DataFrame,
    outcome_rows: pl.DataFrame,
    instrument: str,
    study_total: int,
    min_cell: int,
    private: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    *,
    events: pl.DataFrame | None = None,
) -> Protection:
    """Hide, across ``sections``, every shown count that would give back a hidden one.

    ``events`` (rows of ``intercurrent_events``) ties the CONSORT table's intercurrent-event
    stages and the reasons table's rows to the participants they count."""
    private = private or (lambda frame: frame)
    if min_cell <= 1:  # suppression switched off: nothing is small
        return Protection(min_cell=min_cell)
    _scrub_weekly_n(sections)
    removed: list[str] = []
    while True:
        protection = _model(
            sections,
            people,
            outcomes,
            outcome_rows,
            instrument,
            study_total,
            min_cell,
            private,
            events,
        )
        marked = [f for s in sections for f in s.figures if _markers(f)]
        if not marked or not _markers_disclose(protection.counts, min_cell):
            break
        for figure in marked:  # markers alone give a small count away: leave them out
            _drop_markers(figure)
            removed.append(figure.key)
    protection.markers_removed = removed
    protection.hidden = complement(protection.counts, min_cell, relabelled=protection.relabelled)
    protection.counts = final_state(protection.counts, protection.hidden, protection.relabelled)
    tables = {t.key: t for s in sections for t in s.tables}
    _apply(sections, tables, protection.hidden | protection.relabelled | set(protection.unmatched))
    if any(
        isinstance(k, tuple) and k[0] == "consort_flow"
        for k in protection.hidden | protection.relabelled
    ):
        _redraw_consort(sections, tables["consort_flow"].frame, instrument)
    return protection


def _model(
    sections: list[Section],
    people: pl.DataFrame,
    outcomes: pl.DataFrame,
    outcome_rows: pl.DataFrame,
    instrument: str,
    study_total: int,
    min_cell: int,
    private: Callable[[pl.DataFrame], pl.DataFrame],
    events: pl.DataFrame | None,
) -> Protection:
    ledger = src.Ledger(min_cell)
    cohort = src.ids(people)
    outside = frozenset(f"~{i}" for i in range(max(study_total - len(cohort), 0)))
    arm_of = {str(p): str(a) for p, a in zip(people["participant_id"], people["arm"], strict=True)}
    cond_of = dict(zip(people["participant_id"], people["condition"].cast(pl.String), strict=True))
    scores = outcomes.filter(pl.col("instrument") == instrument)
    base = frozenset(scores.filter(pl.col("baseline").is_not_null())["participant_id"])
    follow = frozenset(scores.filter(pl.col("follow_up").is_not_null())["participant_id"])
    analysed = base & follow & cohort
    arms = sorted(set(arm_of.values()))

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
    for name in [*arms, "all"]:
        e = arm(name)
        for label, members in (
            ("without baseline", e - base),
            ("without follow-up", e - follow),
            ("not analysed", e - analysed),
        ):
            ledger.implied(("implied", name, label), members)
    texts = {
        "assessed": cohort | outside,
        "excluded": outside,
        "in cohort": cohort,
        "holds": cohort,
        "of study": cohort | outside,
    }
    by_id: dict[str, src.Analysed] = {
        "all": src.Analysed(cohort, cohort, people, frozenset(), arm_of)
    }
    for s in sections:
        for i, paragraph in enumerate(s.paragraphs):
            for label, pattern in _PARAGRAPHS.items():
                found = re.search(pattern, paragraph)
                if found:
                    ledger.cell(("text", s.key, i, label), found[2], texts[label])
        for table in s.tables:
            if table.key in ("consort_flow", "consort_reasons"):
                for r, row in enumerate(table.frame.iter_rows(named=True)):
                    for column in table.frame.columns:
                        if column in (*arms, "all") and row["stage"] in stages:
                            members = stages[row["stage"]](column)
                            ledger.cell((table.key, r, column), row[column], members)
            elif table.key == "enrolment_by_arm_condition":
                for r, row in enumerate(table.frame.iter_rows(named=True)):
                    of = frozenset(p for p in cohort if cond_of[p] == row["condition"])
                    for column in table.frame.columns:
                        if column in (*arms, "all"):
                            ledger.cell((table.key, r, column), row[column], of & arm(column))
            elif table.key == "table1_categorical":
                src.categorical_cells(ledger, table, people, arms)
            elif isinstance(table.source, pl.DataFrame):
                src.summary_cells(ledger, table, table.source)
            elif table.source is not None:
                sets = by_id.setdefault(table.source.spec.id, src.analysed(table.source, private))
                src.result_cells(ledger, table, sets, table.source.spec.model)
                src.analysis_implied(ledger, table.source.spec.id, sets)
        for figure in s.figures:
            result = figure.source
            drawn: src.Analysed | None = None
            if result is not None:
                drawn = by_id.setdefault(result.spec.id, src.analysed(result, private))
            src.figure_cells(ledger, figure, {}, drawn)
            if figure.key.startswith("trajectories") and drawn is not None:
                _title_cell(ledger, figure, drawn)
    for s in sections:
        if s.key == "methods":
            src.methods_cells(ledger, s, by_id)
    _marker_counts(ledger, sections, base, follow, cond_of)
    _unmodelled_text(ledger, sections)
    return Protection(counts=ledger.counts, unmatched=ledger.unmatched, min_cell=min_cell)


def _unmodelled_text(ledger: src.Ledger, sections: list[Section]) -> None:
    """A count of people in free text that no rule above ties to a set is hidden, not left."""
    modelled = [k for k in ledger.counts if isinstance(k, tuple) and k[0] == "para"]
    for s in sections:
        for i, text in enumerate(s.paragraphs):
            spans = [src.token_spans(text, k[3])[k[4]] for k in modelled if k[1:3] == (s.key, i)]
            for m in COUNTED.finditer(text):
                inside = any(a <= m.start() < b for a, b in spans)
                label = (m.start() > 0 and text[m.start() - 1] == "<") or _threshold(text, m)
                if (
                    not inside
                    and not label
                    and m[0] != "0"
                    and not any(
                        isinstance(k, tuple) and k[:3] == ("text", s.key, i) for k in ledger.counts
                    )
                ):
                    ledger.unmatched.append(("para", s.key, i, "at", m.start(), m.end()))


def _threshold(text: str, m: re.Match[str]) -> bool:
    """A number that is a rule ("fewer than 5 participants"), not a count of people."""
    return text[: m.start()].endswith(("fewer than ", "at least ", "below ", "under "))


def hide_counts_in_text(text: str) -> str:
    """``text`` with every count of people (other than 0) shown as ``*`` (for warnings)."""
    counted = re.compile(rf"{COUNTED.pattern}|\d+(?= unknown response)", COUNTED.flags)
    return counted.sub(
        lambda m: (
            m[0]
            if m[0] == "0" or text[max(m.start() - 1, 0)] == "<" or _threshold(text, m)
            else HIDDEN
        ),
        text,
    )


def _markers_disclose(counts: dict[Key, Count], min_cell: int) -> bool:
    """Whether the fixed counts (markers) give a small count away even with all else hidden."""
    worst = {
        k: c if c.fixed or c.implied else replace(c, shown=False, label="any")
        for k, c in counts.items()
    }
    return bool(exposed(worst, min_cell) or narrowed(worst, min_cell))


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


def _title_cell(ledger: src.Ledger, figure: Figure, sets: src.Analysed) -> None:
    title = figure.figure.layout.title.text or ""
    m = re.search(TITLE_SIZE, title)
    if m:
        ledger.cell(("fig", figure.key, "title"), m[1], sets.population)


#: The participants a trajectory figure draws, in its title.
TITLE_SIZE = r"\((?:\d+ of )?" + src.TOKEN + " participants"


def _markers(figure: Figure) -> bool:
    return bool(_marker_people(figure))


def _marker_people(figure: Figure) -> dict[str, str]:
    """Pseudonym -> trace name, for traces drawing one marker or line per participant."""
    out: dict[str, str] = {}
    for trace in figure.figure.data:
        data = trace.customdata
        if data is None or not len(data):
            continue
        first = next((d for d in data if d is not None), None)
        pid = first[0] if isinstance(first, (tuple, list)) else first
        if isinstance(pid, str) and re.fullmatch(r"[A-Za-z]+\d+", pid):
            for d in data:
                if d is not None:
                    out[str(d[0] if isinstance(d, (tuple, list)) else d)] = str(trace.name)
    return out


def _marker_counts(
    ledger: src.Ledger,
    sections: list[Section],
    base: frozenset[str],
    follow: frozenset[str],
    cond_of: dict[str, str],
) -> None:
    """Participant-level markers, linked across figures by pseudonym: fixed counts.

    A reader can count the markers of every trace, read each one's hover (arm, condition)
    and see in which figures the same pseudonym appears; an individual line also shows when
    its scores were taken (so whether it has a baseline and a follow-up).
    """
    figures = [f for s in sections for f in s.figures if _markers(f)]
    if not figures:
        return
    drawn = [_marker_people(f) for f in figures]
    signature: dict[Any, set[str]] = {}
    for pid in set().union(*drawn):
        lines = any(
            f.key.startswith("trajectories") and pid in d
            for f, d in zip(figures, drawn, strict=True)
        )
        sig = (
            tuple(d.get(pid) for d in drawn),
            cond_of.get(pid)
            if any(
                f.key.startswith("dose_response") and pid in d
                for f, d in zip(figures, drawn, strict=True)
            )
            else None,
            (pid in base, pid in follow) if lines else None,
        )
        signature.setdefault(sig, set()).add(pid)
    for sig, members in signature.items():
        ledger.counts[("markers", sig)] = Count(frozenset(members), shown=True, fixed=True)


def _drop_markers(figure: Figure) -> None:
    keep = [t for t in figure.figure.data if not _markers(Figure("", "", _one(t)))]
    figure.figure.data = keep
    title = figure.figure.layout.title.text
    if title:  # "87 of 90 participants' lines shown": no line is shown now
        figure.figure.layout.title.text = re.sub(
            r"\(\d+ of (\d+) participants' lines shown\)", r"(\1 participants)", title
        )
    figure.caption = (
        figure.caption + " Participant-level markers are left out: with the counts shown "
        "elsewhere they would give away a suppressed count."
    ).strip()


def _one(trace: Any) -> Any:
    import plotly.graph_objects as go

    return go.Figure(data=[trace])


def _scrub_weekly_n(sections: list[Section]) -> None:
    """Per-week n in hover text is not modelled: a shared report does not print it."""
    for s in sections:
        for figure in s.figures:
            for trace in figure.figure.data:
                template = trace.hovertemplate or ""
                if any(re.search(p, template) for p in _WEEKLY_N):
                    for p in _WEEKLY_N:
                        template = re.sub(p, "", template)
                    trace.hovertemplate = template
                    data = trace.customdata
                    if data is not None and len(data) and isinstance(data[0], (tuple, list)):
                        trace.customdata = [tuple(d)[:2] for d in data]
                    elif data is not None:
                        trace.customdata = None


def _apply(sections: list[Section], tables: dict[str, Table], hidden: set[Key]) -> None:
    by_table: dict[str, list[tuple[int, str]]] = {}
    spans: dict[tuple[Any, ...], list[tuple[int, int]]] = {}
    for key in hidden:
        if not isinstance(key, tuple):
            continue
        key = cast(tuple[Any, ...], key)
        if key[0] == "text":
            _, section_key, index, label = key
            for s in sections:
                if s.key == section_key:
                    s.paragraphs[index] = re.sub(
                        _PARAGRAPHS[label], rf"\g<1>{HIDDEN}", s.paragraphs[index]
                    )
        elif key[0] == "para":
            text = next(s.paragraphs[key[2]] for s in sections if s.key == key[1])
            span = (key[4], key[5]) if key[3] == "at" else src.token_spans(text, key[3])[key[4]]
            spans.setdefault(("para", key[1], key[2]), []).append(span)
        elif key[0] == "note":
            note = tables[key[1]].note
            found = next(m for m in re.finditer(src.NOTE_SIZE, note) if m[1] == key[2])
            spans.setdefault(("note", key[1]), []).append(found.span(2))
        elif key[0] == "pct":
            _strip_percent(tables[key[1]], key[2], key[3])
        elif key[0] == "fig":
            _hide_in_figure(sections, key)
        elif key[0] in tables:
            by_table.setdefault(key[0], []).append((key[1], key[2]))
    for where, places in spans.items():
        for s in sections:
            if where[0] == "para" and s.key == where[1]:
                s.paragraphs[where[2]] = _replace(s.paragraphs[where[2]], places)
            for t in s.tables:
                if where[0] == "note" and t.key == where[1]:
                    t.note = _replace(t.note, places)
    for name, cells in by_table.items():
        _hide_cells(tables[name], cells)


def _replace(text: str, places: list[tuple[int, int]]) -> str:
    for start, end in sorted(set(places), reverse=True):
        text = text[:start] + HIDDEN + text[end:]
    return text


def _hide_cells(table: Table, cells: list[tuple[int, str]]) -> None:
    frame = table.frame.with_columns(pl.col(c).cast(pl.String) for c in {c for _, c in cells})
    rows = frame.to_dicts()
    for r, column in cells:
        rows[r][column] = HIDDEN
        withheld = list(FROM_N) if column in ("n", "n_subjects") else []
        if column in ("n", "count") and rows[r].get("role") == "proportion":
            withheld += FROM_PROPORTION
        for dependent in withheld:
            if dependent in rows[r]:
                rows[r][dependent] = None
    table.frame = pl.DataFrame(rows, schema=frame.schema)


def _strip_percent(table: Table, variable: str, column: str) -> None:
    table.frame = table.frame.with_columns(
        pl.when(pl.col("variable") == variable)
        .then(pl.col(column).str.replace(r" \([\d.]+%\)$", ""))
        .otherwise(pl.col(column))
        .alias(column)
    )


def _hide_in_figure(sections: list[Section], key: tuple[Any, ...]) -> None:
    figure = next((f for s in sections for f in s.figures if f.key == key[1]), None)
    if figure is None:
        return
    data = figure.figure.data
    if key[2] == "title":
        title = figure.figure.layout.title.text or ""
        found = re.search(TITLE_SIZE, title)
        if found:
            start, end = found.span(1)
            figure.figure.layout.title.text = title[:start] + HIDDEN + title[end:]
    elif figure.key.startswith("change"):
        data[key[2]].hovertemplate = re.sub(r"n=\d+", f"n={HIDDEN}", data[key[2]].hovertemplate)
    elif figure.key.startswith("responders"):
        trace, i = data[key[2]], key[3]
        trace.y = [None if j == i else y for j, y in enumerate(trace.y)]
        trace.text = ["withheld" if j == i else t for j, t in enumerate(trace.text)]
    elif figure.key.startswith("dose_response"):
        pattern = r"(?<=\(n=)\d+" if key[3] == "n" else r"\d+(?= at 0 min)"
        data[key[2]].name = re.sub(pattern, HIDDEN, data[key[2]].name)


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
    drawn = (
        figure_participant_flow(flow, instrument=instrument)
        if flow.filter(pl.col("arm") != "all").height
        else empty_figure("Every per-arm count of the flow is suppressed (see the table)")
    )
    for s in sections:
        for figure in s.figures:
            if figure.key == "consort_flow":
                figure.figure = drawn


__all__ = [
    "HIDDEN",
    "Protection",
    "exposed",
    "hide_counts_in_text",
    "narrowed",
    "protect_report",
]
