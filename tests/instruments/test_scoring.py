"""Questionnaire scoring against the instruments' published rules.

No official worked example (a filled-in form with its published score) could be found for any
instrument in the sources available here: the KOOS Scoring 2012 note, the WOMAC 3.1 user guide
(licensed) and Kujala et al. 1993 state rules, not examples. Every example below is therefore
constructed by hand from the cited rule, with the arithmetic written out, so that a wrong
rule (a silent zero, the superseded KOOS 1998 missing-item rule, clipping) fails.
"""

from __future__ import annotations

import pytest

from toolkit.instruments import instruments
from toolkit.instruments.scoring import (
    item_columns,
    questionnaires,
    score,
)

KOOS_PAIN_ITEMS = [f"P{i}" for i in range(1, 10)]


def answers(prefix: str, values: list[float | None]) -> dict[str, float | None]:
    return {f"{prefix}{i}": v for i, v in enumerate(values, start=1)}


# --- KOOS (KOOS Scoring 2012, koos.nu: 100 - mean x 100/4; >= 50% of items answered) -------


def test_koos_pain_complete_hand_example() -> None:
    """Pain items 2,1,1,2,1,3,0,1,1: sum 12, mean 12/9, score 100 - (12/9) x 25 = 66.67."""
    result = score("koos_pain", answers("P", [2, 1, 1, 2, 1, 3, 0, 1, 1]))
    assert result.score == pytest.approx(100 - 12 / 9 * 25)
    assert result.score == pytest.approx(66.6667, abs=1e-4)
    assert (result.answered, result.missing) == (9, 0)


def test_koos_extremes_are_0_and_100() -> None:
    assert score("koos_qol", answers("Q", [0, 0, 0, 0])).score == 100.0
    assert score("koos_qol", answers("Q", [4, 4, 4, 4])).score == 0.0


def test_koos_2012_rule_scores_pain_with_four_missing_items() -> None:
    """KOOS Scoring 2012: Pain needs 5 of 9 items. Answered 2,1,1,2,1 (mean 7/5 = 1.4):
    100 - 1.4 x 25 = 65. The superseded 1998 rule (at most 2 missing) would give no score."""
    result = score("koos_pain", answers("P", [2, 1, 1, 2, 1, None, None, None, None]))
    assert result.score == pytest.approx(65.0)
    assert (result.answered, result.missing) == (5, 4)


@pytest.mark.parametrize(
    ("instrument", "prefix", "n_items", "needed"),
    [
        ("koos_pain", "P", 9, 5),
        ("koos_symptoms", "S", 7, 4),
        ("koos_adl", "A", 17, 9),
        ("koos_sport_rec", "SP", 5, 3),
        ("koos_qol", "Q", 4, 2),
    ],
)
def test_koos_minimum_items_per_subscale(
    instrument: str, prefix: str, n_items: int, needed: int
) -> None:
    """The 2012 table: Pain 5, Symptoms 4, ADL 9, Sport/Rec 3, QOL 2 items needed."""
    enough = [2.0] * needed + [None] * (n_items - needed)
    too_few = [2.0] * (needed - 1) + [None] * (n_items - needed + 1)
    assert score(instrument, answers(prefix, enough)).score == pytest.approx(50.0)
    result = score(instrument, answers(prefix, too_few))
    assert result.score is None
    assert f"at least {needed} needed" in (result.reason or "")


def test_koos_rejects_an_answer_outside_0_to_4() -> None:
    with pytest.raises(ValueError, match=r"koos_p3 is 5; allowed: one of 0, 1, 2, 3, 4"):
        score("koos_pain", answers("P", [0, 0, 5, 0, 0, 0, 0, 0, 0]))


# --- WOMAC Likert 3.1 (sum of 0-4 items; mean substitution within the missing-item limit) ---


def test_womac_pain_complete_and_with_one_missing_item() -> None:
    """Pain 2,1,3,2,1 sums to 9. With item 2 missing the mean of the other four (8/4 = 2)
    replaces it: 2 + 2 + 3 + 2 + 1 = 10."""
    assert score("womac_pain", answers("P", [2, 1, 3, 2, 1])).score == 9.0
    assert score("womac_pain", answers("P", [2, None, 3, 2, 1])).score == pytest.approx(10.0)


def test_womac_pain_with_two_missing_items_is_invalid() -> None:
    result = score("womac_pain", answers("P", [2, None, None, 2, 1]))
    assert result.score is None
    assert "2 of 5 items missing; at most 1 allowed" in (result.reason or "")


def test_womac_stiffness_needs_both_items() -> None:
    assert score("womac_stiffness", answers("S", [3, 2])).score == 5.0
    assert score("womac_stiffness", answers("S", [3, None])).score is None


def test_womac_function_three_missing_substituted_four_invalid() -> None:
    """14 answered function items summing to 28 (mean 2): with 3 missing the score is
    28 + 3 x 2 = 34 (Whitehouse et al. 2004: 1-3 missing items substituted by the mean,
    4 or more invalid)."""
    answered = [1, 3, 2, 2, 1, 3, 2, 2, 2, 2, 3, 1, 2, 2]
    assert sum(answered) == 28
    three_missing = [*answered, None, None, None]
    assert score("womac_function", answers("F", three_missing)).score == pytest.approx(34.0)
    four_missing = [*answered[:13], None, None, None, None]
    assert score("womac_function", answers("F", four_missing)).score is None


def test_womac_function_range_is_0_to_68() -> None:
    assert score("womac_function", answers("F", [4] * 17)).score == 68.0
    assert score("womac_function", answers("F", [0] * 17)).score == 0.0


# --- Kujala AKPS (Kujala et al. 1993: sum of the points of the chosen options) -------------


KUJALA_TYPICAL = {
    "1": 5,  # limp: none
    "2": 5,  # support: full support without pain
    "3": 5,  # walking: unlimited
    "4": 8,  # stairs: slight pain when descending
    "5": 3,  # squatting: painful each time
    "6": 6,  # running: slight pain from start
    "7": 7,  # jumping: slight difficulty
    "8": 8,  # prolonged sitting: pain after exercise
    "9": 8,  # pain: slight and occasional
    "10": 10,  # swelling: none
    "11": 10,  # abnormal patellar movements: none
    "12": 5,  # atrophy of thigh: none
    "13": 5,  # flexion deficiency: none
}


def test_kujala_hand_example_sums_option_points() -> None:
    """5+5+5+8+3+6+7+8+8+10+10+5+5 = 85."""
    assert score("kujala", KUJALA_TYPICAL).score == 85.0


def test_kujala_best_answers_total_100_and_worst_0() -> None:
    kujala = questionnaires()["kujala"]
    best = {i: max(o.points for o in item.options) for i, item in kujala.items.items()}
    worst = {i: min(o.points for o in item.options) for i, item in kujala.items.items()}
    assert score("kujala", best).score == 100.0
    assert score("kujala", worst).score == 0.0


def test_kujala_missing_item_gives_no_total() -> None:
    """No missing-item rule is published: any missing answer leaves the total uncomputed."""
    partial = {**KUJALA_TYPICAL, "7": None}
    result = score("kujala", partial)
    assert result.score is None
    assert result.missing == 1


def test_kujala_rejects_points_no_option_gives() -> None:
    """Limp offers 5, 3 or 0 points: 4 is impossible (and 2, from altered copies, too)."""
    with pytest.raises(ValueError, match=r"kujala_1 is 4; allowed: one of 5, 3, 0"):
        score("kujala", {**KUJALA_TYPICAL, "1": 4})
    with pytest.raises(ValueError, match="kujala_1 is 2"):
        score("kujala", {**KUJALA_TYPICAL, "1": 2})


def test_kujala_option_labels_map_to_points() -> None:
    stairs = questionnaires()["kujala"].items["4"]
    assert stairs.points_for_label("Pain both when descending and ascending") == 5.0
    assert stairs.points_for_label("  slight PAIN when descending ") == 8.0
    assert stairs.points_for_label("sometimes") is None


# --- NRS and VAS (single items) ------------------------------------------------------------


def test_nrs_variants_score_as_answered_and_reject_out_of_range() -> None:
    assert score("nrs", {"nrs": 7}).score == 7.0
    assert score("nrs_worst_week", {"nrs_worst_week": 9}).score == 9.0
    assert score("nrs_average_week", {"nrs_average_week": 0}).score == 0.0
    assert score("nrs", {"nrs": None}).score is None
    with pytest.raises(ValueError, match="allowed: one of 0, 1, 2"):
        score("nrs", {"nrs": 11})
    with pytest.raises(ValueError, match=r"nrs is 6\.5"):
        score("nrs", {"nrs": 6.5})


def test_vas_accepts_millimetres_and_rejects_beyond_100() -> None:
    assert score("vas", {"vas": 43.5}).score == 43.5
    with pytest.raises(ValueError, match="allowed: a number from 0 to 100"):
        score("vas", {"vas": 100.5})


# --- definitions agree with the scoring rules ----------------------------------------------


def test_every_scale_has_a_summary_whose_range_and_direction_match_its_scoring() -> None:
    """For every scale, best and worst answers land on the summary's range ends, the right
    way round for its direction."""
    summaries = instruments()
    for q in questionnaires().values():
        for scale in q.scales:
            summary = summaries[scale.instrument]
            items = [q.items[i] for i in scale.items]
            lows = {i.id: (min(o.points for o in i.options) if i.options else i.low) for i in items}
            highs = {
                i.id: (max(o.points for o in i.options) if i.options else i.high) for i in items
            }
            at_low = score(scale.instrument, lows).score
            at_high = score(scale.instrument, highs).score
            assert {at_low, at_high} == {summary.scale_min, summary.scale_max}, scale.instrument
            assert assert_direction(q.name, at_low, at_high, summary.higher_is_better)


def assert_direction(name: str, at_low: float | None, at_high: float | None, better: bool) -> bool:
    """KOOS and Kujala: item points high = better for Kujala, worse for KOOS (reversed score)."""
    assert at_low is not None and at_high is not None
    if name == "koos":  # high item values are more problems, the score is reversed
        return at_low > at_high and better
    if name == "kujala":  # item points are credit: more points better
        return at_high > at_low and better
    return at_high > at_low and not better  # nrs, vas, womac: more is worse


def test_item_columns_are_unique_and_named_after_their_questionnaire() -> None:
    columns = item_columns()
    assert len(columns) == 42 + 24 + 13 + 3 + 1
    assert columns["koos_sp5"].id == "SP5"
    assert columns["womac_f17"].questionnaire == "womac"
    assert columns["kujala_13"].label == "Flexion deficiency"
    assert columns["nrs_worst_week"].id == "nrs_worst_week"


def test_sums_are_exact_not_mean_times_count() -> None:
    """63 points must score exactly 63 (63/13 x 13 is 62.99999999999999 in floating point),
    or equal totals from two sources would not compare equal."""
    answers = {**KUJALA_TYPICAL, "9": 3, "10": 0, "4": 5, "6": 0, "5": 5}
    assert sum(answers.values()) == 63
    assert score("kujala", answers).score == 63.0
