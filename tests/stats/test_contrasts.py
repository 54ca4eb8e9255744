"""Contrasts on demand, adjustment within a declared family, fixed-sequence testing (item 9).

References: a contrast a - b equals (a - ref) - (b - ref) with variance from the full
covariance (emmeans ``pairs``; R in tests/stats/test_vs_r_contrasts.py); Holm within a family
is R's ``p.adjust(p, "holm")`` applied to that family only; fixed-sequence adjusted p-values
are the running maximum (Maurer, Hothorn & Lehmacher 1995), here on hand-made p-values.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from toolkit.errors import UsageError
from toolkit.stats import adjust_pvalues, ancova, fixed_sequence, mmrm


def three_arms(n: int = 40, seed: int = 4) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.repeat(["forward", "retro", "usual_care"], n)
    base = rng.normal(6, 1.5, arm.size)
    effect = np.select([arm == "retro", arm == "forward"], [-1.5, -0.5], 0.0)
    rows = []
    for i in range(arm.size):
        person = rng.normal()
        for w, week in enumerate((6, 12)):
            y = -0.3 * (w + 1) + effect[i] * (w + 1) / 2 - 0.4 * (base[i] - 6) + person
            rows.append((f"P{i:03d}", f"week{week}", arm[i], base[i], y + rng.normal(0, 0.8)))
    return pl.DataFrame(
        rows, schema=["participant_id", "visit", "arm", "baseline", "change"], orient="row"
    )


def get(result: pl.DataFrame, term: str) -> dict[str, object]:
    return result.filter(pl.col("term") == term).to_dicts()[0]


def test_mmrm_pairwise_contrast_equals_difference_of_differences() -> None:
    data = three_arms()
    result = mmrm(
        data,
        outcome="change",
        visit="visit",
        group="arm",
        baseline="baseline",
        reference="usual_care",
        pairs=[("retro", "forward")],
        average_visits=True,
        adjust="holm",
    )
    at12 = get(result, "retro - forward at week12")
    retro, forward = (
        get(result, "retro - usual_care at week12"),
        get(result, "forward - usual_care at week12"),
    )
    assert at12["estimate"] == pytest.approx(retro["estimate"] - forward["estimate"], abs=1e-10)
    avg = get(result, "retro - forward averaged over week6, week12")
    at6 = get(result, "retro - forward at week6")
    assert avg["estimate"] == pytest.approx((at6["estimate"] + at12["estimate"]) / 2, abs=1e-10)
    family = result.filter(pl.col("role") == "contrast")
    assert family.height == 3 and set(family["family"]) == {"contrasts"}
    raw = family["p_value"].to_numpy()
    order = np.argsort(raw)
    holm = np.minimum(1, np.maximum.accumulate(raw[order] * (3 - np.arange(3))))
    assert family["p_adjusted"].to_numpy()[order] == pytest.approx(holm, rel=1e-12)
    # Rows outside the family are not adjusted.
    assert result.filter(pl.col("role") != "contrast")["p_adjusted"].null_count() == (
        result.filter(pl.col("role") != "contrast").height
    )


def test_ancova_pairs_between_non_reference_arms() -> None:
    wide = three_arms().filter(pl.col("visit") == "week12")
    result = ancova(wide, outcome="change", reference="usual_care", pairs=[("retro", "forward")])
    contrast = get(result, "retro - forward")
    assert contrast["estimate"] == pytest.approx(
        get(result, "retro - usual_care")["estimate"]
        - get(result, "forward - usual_care")["estimate"],
        abs=1e-10,
    )
    other_ref = ancova(wide, outcome="change", reference="forward")
    assert contrast["std_error"] == pytest.approx(
        get(other_ref, "retro - forward")["std_error"], rel=1e-10
    )
    with pytest.raises(UsageError, match="'pairs' parameter of ancova"):
        ancova(wide, outcome="change", pairs=[("retro", "nope")])


def test_adjust_pvalues_within_declared_families_only() -> None:
    frame = pl.DataFrame(
        {
            "p_value": [0.01, 0.04, 0.03, 0.2, 0.5],
            "family": ["primary", "primary", "secondary", "secondary", None],
        }
    )
    got = adjust_pvalues(frame, method="holm", family="family")["p_adjusted"].to_list()
    # R: p.adjust(c(.01, .04), "holm") -> 0.02 0.04; p.adjust(c(.03, .2), "holm") -> 0.06 0.2
    assert got[:4] == pytest.approx([0.02, 0.04, 0.06, 0.2])
    assert got[4] is None


def test_fixed_sequence_stops_at_the_first_non_rejection() -> None:
    frame = pl.DataFrame(
        {"term": ["key2", "primary", "key1", "key3"], "p_value": [0.2, 0.01, 0.03, 0.001]}
    )
    result = fixed_sequence(frame, order=["primary", "key1", "key2", "key3"])
    assert result["term"].to_list() == ["primary", "key1", "key2", "key3"]
    assert result["p_adjusted"].to_list() == pytest.approx([0.01, 0.03, 0.2, 0.2])
    assert result["rejected"].to_list() == [True, True, False, False]
    assert "stopped at key2" in result["notes"][3]
    with pytest.raises(UsageError, match="names term"):
        fixed_sequence(frame, order=["primary", "missing"])
