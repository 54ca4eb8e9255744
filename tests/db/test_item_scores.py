"""Scores are derived from stored item answers by the study's scoring rules: one definition
(toolkit/instruments/questionnaires/*.toml, synced into ref_scales), re-scored when it changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from tests.ingest.test_questionnaire_items import WOMAC, WOMAC_COLUMNS, cell
from toolkit import open_study
from toolkit.instruments.scoring import score


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """P2's WOMAC (one stiffness item and three function items blank) and an NRS."""
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    header = ["participant_id", "measured_at", "visit", *WOMAC_COLUMNS, "nrs"]
    row = ["P2", "2025-03-04T09:00:00-05:00", "baseline", *WOMAC, 7]
    write(raw / "items.csv", ",".join(header) + "\n" + ",".join(cell(v) for v in row) + "\n")
    path = tmp_path / "s.duckdb"
    with open_study(path) as s:
        assert s.ingest([raw], progress=False).exit_code == 0
    return path


def scores(path: Path) -> dict[str, float]:
    with open_study(path, read_only=True) as s:
        return dict(s.sql("select instrument, score from pain_scores").rows())


def test_item_scores_follow_the_instrument_rules(study: Path) -> None:
    expected = {
        "womac_pain": score("womac_pain", dict(zip(["P1", "P2", "P3", "P4", "P5"], WOMAC[:5],
                                                strict=True))).score,
        "womac_function": 2 * 14 + 3 * 2,  # three blanks, each the mean of the answered (2)
        "nrs": 7.0,
    }  # fmt: skip
    # stiffness: one of its 2 items blank, none allowed (no score, never a zero)
    assert scores(study) == pytest.approx(expected)


def test_a_changed_definition_rescores_stored_answers(study: Path) -> None:
    with open_study(study) as s:
        # a definition allowing one missing stiffness item, as if the toolkit's changed
        s.sql("update ref_scales set max_missing = 1 where instrument = 'womac_stiffness'")
        assert scores_of(s)["womac_stiffness"] == 2.0  # 1 answered + 1 imputed as its mean
        s.sql("update ref_scales set max_missing = 2 where instrument = 'womac_function'")
        assert "womac_function" not in scores_of(s)  # 3 blanks, now at most 2 allowed
    # reopening read-write syncs the packaged definitions back: the study re-scores again
    with open_study(study):
        pass
    again = scores(study)
    assert "womac_stiffness" not in again and again["womac_function"] == 2 * 14 + 3 * 2


def scores_of(s: object) -> dict[str, float]:
    return dict(s.sql("select instrument, score from pain_scores").rows())  # type: ignore[attr-defined]


def test_view_scores_equal_the_python_rules_on_the_demo(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as s:
        answers = s.sql(
            "select participant_id, measured_at, instrument, item, value "
            "from raw_questionnaire_items order by all"
        ).rows()
        derived = {
            (r[0], r[1], r[2]): r[3]
            for r in s.sql(
                "select participant_id, measured_at, instrument, score from int_item_scores"
            ).rows()
        }
    grouped: dict[tuple[object, object, str], dict[str, float | None]] = {}
    for pid, at, instrument, item, value in answers:
        grouped.setdefault((pid, at, instrument), {})[item] = value
    by_python = {}
    for key, items in grouped.items():
        result = score(key[2], items)
        if result.score is not None:
            by_python[key] = result.score
    assert len(derived) > 100
    assert derived.keys() == by_python.keys()
    assert all(derived[k] == pytest.approx(by_python[k], abs=1e-9) for k in derived)
