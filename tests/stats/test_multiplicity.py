"""adjust_pvalues against hand-computed Holm and Benjamini-Hochberg adjustments."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.errors import UsageError
from toolkit.stats import adjust_pvalues


def test_holm_and_bh_match_hand_computation() -> None:
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
    #    p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH")   -> 0.02 0.04 0.04 0.02
    # Holm: sorted 0.005*4, 0.01*3, 0.03*2, 0.04*1, then running max.
    # BH: sorted p*4/rank, then running min from the largest.
    frame = pl.DataFrame({"term": list("abcd"), "p_value": [0.01, 0.04, 0.03, 0.005]})
    holm = adjust_pvalues(frame, method="holm")
    assert holm["p_adjusted"].to_list() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    bh = adjust_pvalues(frame, method="fdr_bh")
    assert bh["p_adjusted"].to_list() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert holm["term"].to_list() == list("abcd")


def test_missing_p_values_are_not_counted_as_tests() -> None:
    frame = pl.DataFrame({"p_value": [0.01, None, 0.02]})
    adjusted = adjust_pvalues(frame, method="holm")["p_adjusted"].to_list()
    assert adjusted[1] is None
    assert adjusted[0] == pytest.approx(0.02) and adjusted[2] == pytest.approx(0.02)


def test_adjust_pvalues_validates_method() -> None:
    with pytest.raises(UsageError, match="'method' parameter of adjust_pvalues must be one of"):
        adjust_pvalues(pl.DataFrame({"p_value": [0.1]}), method="hochberg")
