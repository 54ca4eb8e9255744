"""Which participants each count of a report counts: tables, notes, methods text and figures.

Used by :mod:`toolkit.report.published_counts`. Every function here reads what a section
published (already privatised: pseudonyms) and records, for each count it shows, the set of
participants behind it in a :class:`Ledger`. Sets are recomputed from the frames the section
was built from (an analysis's own data, the cohort, the exposure summary); a number that does
not match its set is not modelled but hidden (:attr:`Ledger.unmatched`), so a wrong guess
about a count's meaning can only hide more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from toolkit.report.model import Figure, Section, Table
from toolkit.report.suppression import Count, Key

Members = frozenset[str]


@dataclass
class Ledger:
    """Every modelled count (by key) and the keys whose number did not match their set."""

    min_cell: int
    counts: dict[Key, Count] = field(default_factory=dict)
    unmatched: list[Key] = field(default_factory=list)

    def cell(
        self,
        key: Key,
        text: object,
        members: Members,
        weights: Mapping[str, int] | None = None,
        *,
        fixed: bool = False,
    ) -> None:
        """A count shown as ``text`` (a number, ``<m``, ``*``; blank: nothing shown)."""
        value = str(text).strip() if text is not None else ""
        if value in ("", "None"):
            return
        size = len(members) if weights is None else sum(weights.values())
        if value.isdigit():
            if int(value) == size:
                self.counts[key] = Count(members, True, weights=weights, fixed=fixed)
            else:
                self.unmatched.append(key)
        else:
            label = "small" if value.startswith("<") else "any"
            if label == "small" and not 0 < size < self.min_cell:
                self.unmatched.append(key)
                return
            self.counts[key] = Count(members, False, weights=weights, label=label)

    def implied(self, key: Key, members: Members) -> None:
        """A set no cell shows, that must not be recovered when small."""
        self.counts[key] = Count(members, shown=False, implied=True)


def ids(frame: pl.DataFrame) -> Members:
    return frozenset(str(v) for v in frame["participant_id"].to_list())


def rows_per(frame: pl.DataFrame) -> dict[str, int]:
    counted = frame.group_by("participant_id").len()
    return {str(p): int(n) for p, n in counted.iter_rows()}


# -- analyses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Analysed:
    """An analysis's population, who it analysed, and its responders."""

    population: Members
    analysed: Members
    rows: pl.DataFrame
    responders: Members
    arm_of: Mapping[str, str]
    exposure: str | None = None
    #: Complete cases (differs from ``analysed`` when missing values were imputed).
    complete: Members | None = None
    #: Unknown responses (counted as failures under non-responder imputation).
    unknown: Members = frozenset()

    def arm(self, names: Iterable[str], of: Members) -> Members:
        wanted = set(names)
        return frozenset(p for p in of if self.arm_of.get(p) in wanted)


def analysed(result: Any, private: Callable[[pl.DataFrame], pl.DataFrame]) -> Analysed:
    """The sets behind an analysis's ``n``/``n_excluded``/``count`` (from its own data)."""
    data = private(result.data)
    model, table = result.spec.model, result.table
    arm_of = {str(p): str(a) for p, a in zip(data["participant_id"], data["arm"], strict=True)}
    population = ids(data)
    if model in ("mixed_model", "mmrm"):
        need = ["score"] if model == "mixed_model" else ["change", *result.covariates]
        rows = data.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in need))
        return Analysed(population, ids(rows), rows, frozenset(), arm_of)
    need = ["baseline", "follow_up", *result.covariates]
    if model == "dose_response" and result.spec.exposure:
        need.append(result.spec.exposure)
    need = [c for c in dict.fromkeys(need) if c in data.columns]
    unknown: Members = frozenset()
    if model == "responders":  # who has a known response, as the analysis counted them
        rule = getattr(result.spec, "responder", "mcid")
        if rule != "mcid":  # an IMMPACT tier
            from toolkit.instruments import gait_measures, instruments
            from toolkit.stats.responder_models import responder_tiers

            outcome = result.spec.outcome
            measure = gait_measures().get(outcome) or instruments()[outcome]
            tiers = responder_tiers(data, higher_is_better=measure.higher_is_better)
            data = tiers.with_columns(pl.col(rule).alias("responder"))
        unknown = ids(data.filter(pl.col("responder").is_null()))
        if getattr(result.spec, "missing", None) == "non_responder":
            data = data.with_columns(pl.col("responder").fill_null(False))
        need = ["responder"]
    rows = data.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in need))
    if "n_imputed" in table.columns:
        return Analysed(population, population, data, frozenset(), arm_of, complete=ids(rows))
    responders = (
        ids(rows.filter(pl.col("responder").fill_null(False)))
        if "responder" in rows.columns
        else frozenset()
    )
    return Analysed(
        population, ids(rows), rows, responders, arm_of, result.spec.exposure, unknown=unknown
    )


def result_cells(ledger: Ledger, table: Table, sets: Analysed, model: str) -> None:
    """``n``, ``n_excluded``, ``count`` and ``n_subjects`` of an analysis's table.

    Within-arm analyses (change, responders) count the arms their term names; the others
    (ANCOVA, dose-response, mixed models) give the model's n on every row.
    """
    arms = sorted(set(sets.arm_of.values()))
    weights = rows_per(sets.rows)
    for r, row in enumerate(table.frame.iter_rows(named=True)):
        term = re.sub(r" at \S+$", "", str(row.get("term", "")))
        named = [g for g in re.split(r" [-/] ", term) if g in arms]
        groups = named if model in ("change", "responders") and named else arms
        who, everyone = sets.arm(groups, sets.analysed), sets.arm(groups, sets.population)
        if "n" in row and "n_subjects" in row:  # models of repeated rows: n counts rows
            ledger.cell((table.key, r, "n"), row["n"], who, {p: weights[p] for p in who})
            ledger.cell((table.key, r, "n_subjects"), row["n_subjects"], who)
            continue
        if "n" in row:
            ledger.cell((table.key, r, "n"), row["n"], who)
        if "n_excluded" in row:
            ledger.cell((table.key, r, "n_excluded"), row["n_excluded"], everyone - who)
        if "count" in row:
            ledger.cell((table.key, r, "count"), row["count"], who & sets.responders)


def analysis_implied(ledger: Ledger, name: str, sets: Analysed) -> None:
    """Small sets an analysis implies per arm: left out, non-responders."""
    for arm in [*sorted(set(sets.arm_of.values())), "all"]:
        groups = sorted(set(sets.arm_of.values())) if arm == "all" else [arm]
        who, everyone = sets.arm(groups, sets.analysed), sets.arm(groups, sets.population)
        ledger.implied(("implied", name, arm, "left out"), everyone - who)
        if sets.responders:
            ledger.implied(("implied", name, arm, "non-responders"), who - sets.responders)


#: A count as shown: a number, ``<m`` or ``*`` (so a hidden one keeps its place).
TOKEN = r"(\d+|<\d+|\*)"
METHODS_PATTERNS = {
    "n": r"; n = " + TOKEN,
    "excluded": r"\(" + TOKEN + r"(?: participant\(s\) without both measurements| with unknown "
    r"response)? excluded\)",
    "participants": TOKEN + r" participants, [\d*]+ scores",
    "scores": r"[\d*<]+ participants, " + TOKEN + r" scores",
    "imputed": TOKEN + r" participant\(s\) with imputed values",
    "unknown": TOKEN + r" unknown response\(s\) counted as failures",
}


def token_spans(text: str, kind: str) -> list[tuple[int, int]]:
    """Where the counts of one kind of methods phrase sit in ``text``, in order."""
    return [m.span(1) for m in re.finditer(METHODS_PATTERNS[kind], text)]


def methods_cells(ledger: Ledger, section: Section, by_id: Mapping[str, Analysed]) -> None:
    """Counts in the methods sentences of the analyses (``n = 76``, ``(14 excluded)``).

    Keys are ``("para", section, paragraph, kind, occurrence)``: the same place in the
    rendered text whether the count is shown or hidden.
    """
    for i, text in enumerate(section.paragraphs):
        found = re.match(r"\[([^:\]]+):", text)
        if text.startswith("Baseline characteristics") and "all" in by_id:
            for j, m in enumerate(re.finditer(METHODS_PATTERNS["n"], text)):
                ledger.cell(("para", section.key, i, "n", j), m[1], by_id["all"].population)
        if not found or found[1] not in by_id:
            continue
        sets = by_id[found[1]]
        for kind, pattern in METHODS_PATTERNS.items():
            for j, m in enumerate(re.finditer(pattern, text)):
                key = ("para", section.key, i, kind, j)
                if kind == "excluded":
                    ledger.cell(key, m[1], sets.population - sets.analysed)
                elif kind == "unknown":
                    ledger.cell(key, m[1], sets.unknown)
                elif kind == "imputed":
                    ledger.cell(key, m[1], sets.population - (sets.complete or sets.population))
                elif kind == "scores":
                    ledger.cell(key, m[1], sets.analysed, rows_per(sets.rows))
                else:
                    ledger.cell(key, m[1], sets.analysed)


# -- descriptive tables --------------------------------------------------------------------


def summary_cells(ledger: Ledger, table: Table, frame: pl.DataFrame) -> None:
    """``n`` and ``missing`` of a by-arm summary (Table 1a, adherence) of ``frame``."""
    for r, row in enumerate(table.frame.iter_rows(named=True)):
        group = frame if row["group"] == "all" else frame.filter(pl.col("arm") == row["group"])
        known = group.filter(pl.col(row["variable"]).is_not_null())
        ledger.cell((table.key, r, "n"), row["n"], ids(known))
        ledger.cell((table.key, r, "missing"), row["missing"], ids(group) - ids(known))


def categorical_cells(ledger: Ledger, table: Table, people: pl.DataFrame, arms: list[str]) -> None:
    """Counts of Table 1b, the denominators its percentages give away, and its group sizes."""
    for r, row in enumerate(table.frame.iter_rows(named=True)):
        variable, level = row["variable"], row["level"]
        for g in table.count_columns:
            group = people if g == "all" else people.filter(pl.col("arm") == g)
            cell = str(row[g] or "")
            number = cell.split(" ")[0]
            ledger.cell((table.key, r, g), number, ids(group.filter(pl.col(variable) == level)))
            if "%" in cell and number.isdigit() and int(number) > 0:
                known = ids(group.filter(pl.col(variable).is_not_null()))
                ledger.cell(("pct", table.key, variable, g), len(known), known)
    for m in re.finditer(NOTE_SIZE, table.note):
        if m[1] in (*arms, "all"):
            group = people if m[1] == "all" else people.filter(pl.col("arm") == m[1])
            ledger.cell(("note", table.key, m[1]), m[2], ids(group))


#: A group size in a table note (``retro n = 30``).
NOTE_SIZE = r"(\w+) n = " + TOKEN


# -- figures -------------------------------------------------------------------------------


def figure_cells(
    ledger: Ledger, figure: Figure, tables: Mapping[str, Table], sets: Analysed | None
) -> None:
    """Counts a figure prints: n in hover text, bar labels, legends; markers per participant."""
    fig = figure.figure
    if figure.key.startswith("change") and sets is not None:
        for t, trace in enumerate(fig.data):
            m = re.search(r"n=(\d+)", trace.hovertemplate or "")
            arm = next((a for a in set(sets.arm_of.values()) if _label(a) == trace.name), None)
            if m and arm:
                ledger.cell(("fig", figure.key, t, "n"), m[1], sets.arm([arm], sets.analysed))
    elif figure.key.startswith("responders") and sets is not None:
        for t, trace in enumerate(fig.data):
            for i, (x, text) in enumerate(zip(trace.x or (), trace.text or (), strict=False)):
                arm = next((a for a in set(sets.arm_of.values()) if _label(a) == x), None)
                m = re.search(r"n=(\d+)", str(text))
                if arm and m:
                    who = sets.arm([arm], sets.analysed)
                    ledger.cell(("fig", figure.key, t, i, "n"), m[1], who)
                    ledger.cell(
                        ("fig", figure.key, t, i, "count"),
                        len(who & sets.responders),
                        who & sets.responders,
                    )
    elif figure.key.startswith("dose_response") and sets is not None:
        for t, trace in enumerate(fig.data):
            m = re.search(r"\(n=(\d+)(?:, (\d+) at 0 min)?\)", trace.name or "")
            arm = next(
                (
                    a
                    for a in set(sets.arm_of.values())
                    if (trace.name or "").startswith(_label(a) + " (")
                ),
                None,
            )
            if not (m and arm):
                continue
            who = sets.arm([arm], sets.analysed)
            ledger.cell(("fig", figure.key, t, "n"), m[1], who)
            if m[2]:
                exposure = sets.rows.filter(pl.col("participant_id").is_in(list(who)))
                zero = ids(exposure.filter(pl.col(sets.exposure or "retro_minutes") == 0))
                ledger.cell(("fig", figure.key, t, "zero"), m[2], zero)


def _label(arm: str) -> str:
    from toolkit.figures.style import label

    return label(arm)
