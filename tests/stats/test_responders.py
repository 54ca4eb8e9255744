"""responders against Newcombe's published intervals."""

from __future__ import annotations

import polars as pl
import pytest
from scipy import stats

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import RESULT_COLUMNS, responders
from toolkit.stats.responders import newcombe_difference, wilson_interval


def arms(counts: dict[str, tuple[int, int]]) -> pl.DataFrame:
    rows = []
    for arm, (x, n) in counts.items():
        rows += [(arm, True)] * x + [(arm, False)] * (n - x)
    return pl.DataFrame(rows, schema=["arm", "responder"], orient="row")


def test_wilson_interval_matches_newcombe_1998a() -> None:
    # Newcombe (1998), Stat. Med. 17:857-872, Table II, method 3 (score, no continuity
    # correction): 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605; 0/20 -> 0 to 0.1611.
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-5)
    assert wilson_interval(0, 20) == pytest.approx((0.0, 0.1611), abs=5e-5)


def test_risk_difference_matches_newcombe_1998b() -> None:
    # Newcombe (1998), Stat. Med. 17:873-890, Table II, method 10 (hybrid score):
    # 56/70 - 48/80 -> 0.2000, 0.0524 to 0.3339; 9/10 - 3/10 -> 0.1705 to 0.8090.
    assert newcombe_difference(56, 70, 48, 80) == pytest.approx((0.2, 0.0524, 0.3339), abs=5e-5)
    assert newcombe_difference(9, 10, 3, 10)[1:] == pytest.approx((0.1705, 0.8090), abs=5e-5)


def test_responders_by_arm() -> None:
    data = arms({"retro": (56, 70), "usual_care": (48, 80)})
    result = responders(data, reference="usual_care")
    assert list(result.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert result["role"].to_list() == [
        "proportion",
        "proportion",
        "risk_difference",
        "odds_ratio",
    ]
    diff = result.filter(pl.col("role") == "risk_difference").to_dicts()[0]
    assert diff["term"] == "retro - usual_care"
    assert (diff["ci_low"], diff["ci_high"]) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    chi2, p, _, _ = stats.chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert diff["statistic"] == pytest.approx(chi2, rel=1e-10)
    assert diff["p_value"] == pytest.approx(p, rel=1e-10)
    odds = result.filter(pl.col("role") == "odds_ratio").to_dicts()[0]
    assert odds["estimate"] == pytest.approx((56 * 32) / (14 * 48), rel=1e-12)


def test_zero_cells_and_unknown_responses_are_reported() -> None:
    data = pl.concat(
        [
            arms({"retro": (10, 10), "usual_care": (4, 10)}),
            pl.DataFrame(
                {"arm": ["retro"], "responder": [None]},
                schema={"arm": pl.String, "responder": pl.Boolean},
            ),
        ]
    )
    with pytest.warns(StatsWarning) as caught:
        result = responders(data, reference="usual_care")
    messages = " ".join(str(w.message) for w in caught)
    assert "1 of 21" in messages and "0.5 was added" in messages
    odds = result.filter(pl.col("role") == "odds_ratio").to_dicts()[0]
    assert odds["estimate"] == pytest.approx((10.5 * 6.5) / (0.5 * 4.5), rel=1e-12)


def test_responders_validates_inputs() -> None:
    with pytest.raises(UsageError, match="must be boolean or 0/1"):
        responders(pl.DataFrame({"arm": ["a"], "responder": [0.5]}))
    with pytest.raises(UsageError, match="'reference' parameter of responders"):
        responders(arms({"a": (1, 2), "b": (1, 2)}), reference="c")


def test_responders_needs_someone_with_a_known_response() -> None:
    empty = pl.DataFrame(schema={"arm": pl.String, "responder": pl.Boolean})
    with pytest.raises(UsageError, match="at least one participant with a known response"):
        responders(empty)
