"""Suppression is complementary across the whole report (issue 15 item 4).

Before: retro-vs-usual-care responders 9 minus retro 8 gave the hidden usual-care count; a
change table's ``n_excluded`` of ``<5`` equalled the CONSORT enrolled minus analysed; CONSORT
68 enrolled -> 67 with baseline revealed one participant without a baseline. The attacks are
replayed on sets of participants, and the demo report's published counts are checked by brute
force: no hidden count is a linear combination of shown ones.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit.report import build_content
from toolkit.report.suppression import (
    Count,
    complement,
    determined,
    exposed,
    final_state,
    narrowed,
)
from toolkit.study import open_study


def people(prefix: str, n: int) -> frozenset[str]:
    return frozenset(f"{prefix}{i}" for i in range(n))


def test_responder_difference_attack() -> None:
    retro = people("r", 8)
    usual = people("u", 1)
    counts = {
        "retro": Count(retro, shown=True),
        "usual": Count(usual, shown=False),  # <5
        "retro+usual": Count(retro | usual, shown=True),
    }
    assert exposed(counts, 5) == ["usual"]  # 9 - 8 = 1
    extra = complement(counts, 5)
    assert (
        extra
        and exposed({k: Count(c.members, k not in extra and c.shown) for k, c in counts.items()}, 5)
        == []
    )


def test_n_excluded_equals_enrolled_minus_analysed_attack() -> None:
    analysed = people("a", 28)
    excluded = people("x", 2)
    counts = {
        "consort enrolled": Count(analysed | excluded, shown=True),
        "consort analysed": Count(analysed, shown=True),
        "change n": Count(analysed, shown=True),
        "change n_excluded": Count(excluded, shown=False),
    }
    assert exposed(counts, 5) == ["change n_excluded"]
    extra = complement(counts, 5)
    # every cell showing the analysed set goes, or the enrolled one: one of the two sides
    assert {"consort analysed", "change n"} <= extra or "consort enrolled" in extra
    final = {k: Count(c.members, k not in extra and c.shown) for k, c in counts.items()}
    assert exposed(final, 5) == []


def test_consort_step_reveals_one_without_baseline_attack() -> None:
    with_baseline = people("b", 67)
    missing = people("m", 1)
    counts = {
        "retro enrolled": Count(with_baseline | missing, shown=True),
        "retro with baseline": Count(with_baseline, shown=True),
        "retro without baseline": Count(missing, shown=False, implied=True),
    }
    assert exposed(counts, 5) == ["retro without baseline"]
    assert exposed({**counts, "retro with baseline": Count(with_baseline, shown=False)}, 5) == []
    assert complement(counts, 5)


def test_two_small_cells_under_a_small_total_are_narrowed_attack() -> None:
    """x "<5" + y "<5" = total "<5": each is 1..3, not 1..4 (x = total - y, y >= 1)."""
    x, y = people("x", 1), people("y", 2)
    counts = {"x": Count(x, False), "y": Count(y, False), "total": Count(x | y, False)}
    assert exposed(counts, 5) == []  # nothing is determined exactly ...
    assert narrowed(counts, 5)["x"] == (1.0, 3.0)  # ... but the range is narrowed
    relabelled: set[object] = set()
    hidden = complement(counts, 5, relabelled=relabelled)
    assert relabelled  # shown as "*" instead of "<5"
    assert narrowed(final_state(counts, hidden, relabelled), 5) == {}


def test_a_lower_bound_from_another_margin_is_a_narrowing_attack() -> None:
    """b "<5" (4) + c "*" (26) = 30 shown; c + e "*" = 28 shown, so c <= 28 and b >= 2."""
    b, c, e = people("b", 4), people("c", 26), people("e", 2)
    counts = {
        "b": Count(b, False),
        "c": Count(c, False, label="any"),
        "row": Count(b | c, True),
        "e": Count(e, False, label="any"),
        "column": Count(c | e, True),
    }
    assert exposed(counts, 5) == []
    assert narrowed(counts, 5) == {"b": (2.0, 4.0), "e": (0.0, 2.0)}
    relabelled: set[object] = set()
    hidden = complement(counts, 5, relabelled=relabelled)
    assert hidden & {"row", "column"}
    assert narrowed(final_state(counts, hidden, relabelled), 5) == {}


def test_percentages_give_their_denominator_away() -> None:
    """'16 (53.3%)' shows 16 and a denominator of 30: hiding the arm size elsewhere is not
    enough while a percentage of that arm is shown."""
    arm, female = people("a", 30), people("a", 16)
    without_baseline = people("a", 2)
    counts = {
        "female": Count(female, True),
        "denominator (from 53.3%)": Count(arm, True),
        "with baseline": Count(arm - without_baseline, True),
        "without baseline": Count(without_baseline, False, implied=True),
    }
    assert exposed(counts, 5) == ["without baseline"]
    hidden = complement(counts, 5)
    assert hidden & {"denominator (from 53.3%)", "with baseline"}


def test_determined_is_a_rank_test() -> None:
    a, b = people("a", 3), people("b", 4)
    assert determined(a, [a | b, b], a | b)
    assert not determined(a, [a | b], a | b)


@pytest.fixture(scope="module")
def content(demo_study: Path):  # type: ignore[no-untyped-def]
    with open_study(demo_study, read_only=True) as opened:
        return build_content(opened, None)


def test_no_hidden_count_of_the_report_is_determined(content) -> None:  # type: ignore[no-untyped-def]
    protection = content.suppression
    # every table and figure count is tied to its participants; only free-text counts no
    # rule describes (per-arm exclusions in a method sentence) are hidden unmodelled
    assert [k for k in protection.unmatched if k[0] != "para"] == []
    assert len(protection.counts) > 150
    # brute force, over every modelled count of the final report: neither recovered exactly
    # nor narrowed below "<5" (linear programming)
    assert exposed(protection.counts, 5) == []
    assert narrowed(protection.counts, 5) == {}
    # the model is what the tables show: shown counts are digits, hidden ones are not
    tables = {t.key: t.frame for t in content.tables()}
    for key, count in protection.counts.items():
        if key[0] in tables:
            cell = tables[key[0]].row(key[1], named=True)[key[2]]
            assert str(cell).split(" ")[0].isdigit() == count.shown, (key, cell)


def test_the_issue_attacks_fail_on_the_demo_report(content) -> None:  # type: ignore[no-untyped-def]
    tables = {t.key: t.frame for t in content.tables()}
    consort = tables["consort_flow"]
    change = tables["change_from_baseline"]
    for arm in change["term"].to_list():
        excluded = change.filter(pl.col("term") == arm)["n_excluded"].item()
        if excluded is not None and not str(excluded).isdigit():
            cells = {r["stage"]: r[arm] for r in consort.iter_rows(named=True)}
            assert not (str(cells["enrolled"]).isdigit() and str(cells["analysed"]).isdigit())
    # the CONSORT figure draws only what the table shows
    shown = {
        str(v) for row in consort.drop("step", "stage").rows() for v in row if str(v).isdigit()
    }
    figure = next(f.figure for s in content.sections for f in s.figures if f.key == "consort_flow")
    drawn = {
        str(int(v))
        for trace in figure.data
        for axis in ("x", "y")
        for v in (getattr(trace, axis, None) or [])
        if isinstance(v, (int, float))
    }
    assert drawn <= shown | {"0"}
