"""Privacy rules: pseudonyms, study days, primary and complementary suppression."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from toolkit.errors import UsageError
from toolkit.report.privacy import PrivacyPolicy, Privatiser, complementary_suppression

ENROLMENT = pl.DataFrame(
    {
        "participant_id": [f"RW{i:04d}" for i in range(1, 41)],
        "enrolled_on": [date(2025, 1, 6 + i % 20) for i in range(40)],
    }
)


def test_pseudonyms_are_random_per_report_and_not_the_id() -> None:
    first = Privatiser(PrivacyPolicy(), ENROLMENT).pseudonyms
    second = Privatiser(PrivacyPolicy(), ENROLMENT).pseudonyms
    assert sorted(first) == sorted(ENROLMENT["participant_id"].to_list())
    assert sorted(first.values()) == [f"P{i:03d}" for i in range(1, 41)]
    assert first != second  # 40! orderings: equal only by a 1 in 8e47 chance
    # not the roster order either (would let a reader line pseudonyms up with IDs)
    ordered = [first[pid] for pid in sorted(first)]
    assert ordered != sorted(ordered) or second != first


def test_participant_frame_turns_dates_into_study_days_and_sorts_by_pseudonym() -> None:
    privatiser = Privatiser(PrivacyPolicy(), ENROLMENT)
    frame = pl.DataFrame(
        {
            "participant_id": ["RW0001", "RW0001", "RW0002"],
            "measured_at": [
                datetime(2025, 1, 6, 9, tzinfo=UTC),
                datetime(2025, 2, 5, 9, tzinfo=UTC),
                datetime(2025, 1, 10, 9, tzinfo=UTC),
            ],
            "enrolled_on": [date(2025, 1, 6), date(2025, 1, 6), date(2025, 1, 7)],
            "score": [5.0, 3.0, 4.0],
        }
    )
    out = privatiser.participant_frame(frame)
    assert out.columns == ["participant_id", "score", "measured_at_study_day"]
    assert not any(dtype.is_temporal() for dtype in out.dtypes)
    by_id = {pid: privatiser.pseudonym(pid) for pid in ("RW0001", "RW0002")}
    rows = {(r["participant_id"], r["score"]): r["measured_at_study_day"] for r in out.to_dicts()}
    assert rows == {
        (by_id["RW0001"], 5.0): 0,
        (by_id["RW0001"], 3.0): 30,
        (by_id["RW0002"], 4.0): 3,
    }
    assert out["participant_id"].to_list() == sorted(out["participant_id"].to_list())
    # each participant's rows keep their order (stable sort)
    assert out.filter(pl.col("participant_id") == by_id["RW0001"])["score"].to_list() == [5.0, 3.0]


def test_identifiable_keeps_ids_and_dates() -> None:
    privatiser = Privatiser(PrivacyPolicy(identifiable=True), ENROLMENT)
    frame = ENROLMENT.head(3)
    assert privatiser.participant_frame(frame).equals(frame)


def test_rows_of_participants_outside_the_cohort_are_refused() -> None:
    privatiser = Privatiser(PrivacyPolicy(), ENROLMENT)
    with pytest.raises(UsageError, match="outside this report's cohort"):
        privatiser.participant_frame(pl.DataFrame({"participant_id": ["RW9999"]}))


def test_min_cell_must_be_a_positive_int() -> None:
    with pytest.raises(UsageError, match=r"'min_cell' parameter of a report must be an int >= 1"):
        PrivacyPolicy(min_cell=0)


def test_suppress_counts_hides_small_counts_and_their_statistics() -> None:
    privatiser = Privatiser(PrivacyPolicy(min_cell=5), ENROLMENT)
    frame = pl.DataFrame({"arm": ["a", "b", "c"], "n": [3, 12, 0], "mean": [1.5, 2.5, None]})
    out = privatiser.suppress_counts(frame, ["n"], dependent=["mean"], size="n")
    assert out["n"].to_list() == ["<5", "12", "0"]
    assert out["mean"].to_list() == [None, 2.5, None]


def test_large_groups_drops_groups_below_the_threshold() -> None:
    privatiser = Privatiser(PrivacyPolicy(min_cell=3), ENROLMENT)
    frame = pl.DataFrame(
        {"participant_id": ["x1", "x1", "x2", "y1", "y2", "y3"], "arm": ["x"] * 3 + ["y"] * 3}
    )
    kept, dropped = privatiser.large_groups(frame, ["arm"])
    assert kept["arm"].unique().to_list() == ["y"]
    assert dropped == ["x"]


def test_complementary_suppression_protects_a_lone_small_cell_in_a_published_total() -> None:
    # rows: conditions; columns: arm a, arm b, total. Column totals (arm sizes) are public.
    counts = [[16, 12, 28], [11, 10, 21], [3, 8, 11]]
    hidden = complementary_suppression(counts, 5, total_column=2, blocks=[0, 0, 0])
    assert (2, 0) in hidden  # the small cell
    # its row and its column each hide at least one more cell, so it cannot be subtracted out
    assert sum((2, c) in hidden for c in range(3)) >= 2
    assert sum((r, 0) in hidden for r in range(3)) >= 2
    for r in range(3):
        assert sum((r, c) in hidden for c in range(3)) != 1
    for c in range(3):
        assert sum((r, c) in hidden for r in range(3)) != 1


def test_complementary_suppression_leaves_tables_without_small_cells_alone() -> None:
    assert complementary_suppression([[10, 20, 30], [5, 6, 11]], 5, total_column=2) == set()


def test_suppress_text_hides_small_counts_of_people_only() -> None:
    privatiser = Privatiser(PrivacyPolicy(min_cell=5), ENROLMENT)
    text = (
        "ancova: 2 of 30 row(s) in week6 excluded; 0 rows left; complete pairs (3 excluded), "
        "(12 excluded); 4 participants; over 2 visit(s); 4% of 3.5 points; 1 subject; "
        "(3 with unknown response excluded)"
    )
    assert privatiser.suppress_text(text) == (
        "ancova: <5 of 30 row(s) in week6 excluded; 0 rows left; complete pairs (<5 excluded), "
        "(12 excluded); <5 participants; over 2 visit(s); 4% of 3.5 points; <5 subject; "
        "(<5 with unknown response excluded)"
    )
