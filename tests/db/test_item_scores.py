"""Scores are derived from the answers as exported by the definition in effect, a raw copy the
study stores (toolkit/instruments/questionnaires/*.toml as ingested): a changed option's points
or scale rule re-scores old answers; reopening the study (a toolkit upgrade) never does."""

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


PACKAGED = Path(__file__).parents[2] / "toolkit" / "instruments" / "questionnaires" / "womac.toml"


def test_an_ingested_definition_rescores_stored_answers(study: Path, tmp_path: Path) -> None:
    text = PACKAGED.read_text("utf-8")
    # the options' points doubled, and one missing stiffness item allowed
    changed = text.replace("values = [0, 1, 2, 3, 4]", "values = [0, 2, 4, 6, 8]").replace(
        'instrument = "womac_stiffness"\nmethod = "sum"\nmax_missing = 0',
        'instrument = "womac_stiffness"\nmethod = "sum"\nmax_missing = 1',
    )
    assert changed.count("0, 2, 4, 6, 8") == 1 and 'max_missing = 1\nitems = ["S1"' in changed
    definition = write(tmp_path / "definitions" / "womac_doubled.toml", changed)
    with open_study(study) as s:
        report = s.ingest([definition], progress=False)
        assert [f.format for f in report.files] == ["questionnaire_definition"]
        rescored = scores_of(s)
        in_effect = s.sql(
            "select from_definition_file from int_questionnaire_definitions "
            "where questionnaire = 'womac'"
        ).item()
    assert in_effect is True
    assert rescored["womac_pain"] == 2 * 9.0  # answers 2,1,3,2,1 now score twice the points
    assert rescored["womac_stiffness"] == 2 * 2.0  # 1 answered (2 points) + 1 imputed
    assert rescored["womac_function"] == 2 * (2 * 14 + 3 * 2)
    assert rescored["nrs"] == 7.0  # another questionnaire's definition is untouched
    # removing the definition file restores the definition the answers were read by
    with open_study(study) as s:
        s.remove([definition])
    again = scores(study)
    assert "womac_stiffness" not in again and again["womac_function"] == 2 * 14 + 3 * 2


def test_reopening_the_study_never_rescores(study: Path) -> None:
    # what a toolkit upgrade does to a study: it opens it. The stored definition stays the one
    # in effect (here edited in place, as a stand-in for one that differs from the toolkit's)
    with open_study(study) as s:
        s.sql("update raw_questionnaire_scales set max_missing = 1 "
              "where instrument = 'womac_stiffness'")  # fmt: skip
        assert scores_of(s)["womac_stiffness"] == 2.0
    with open_study(study):
        pass
    assert scores(study)["womac_stiffness"] == 2.0


def scores_of(s: object) -> dict[str, float]:
    return dict(s.sql("select instrument, score from pain_scores").rows())  # type: ignore[attr-defined]


def test_answers_are_stored_as_exported(study: Path) -> None:
    with open_study(study, read_only=True) as s:
        rows = s.sql(
            "select item, answer, definition_sha256 is not null as has_definition "
            "from raw_questionnaire_items where instrument = 'womac_pain' order by item"
        ).rows()
    assert rows == [(f"P{i}", str(v), True) for i, v in enumerate(WOMAC[:5], start=1)]


def test_view_scores_equal_the_python_rules_on_the_demo(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as s:
        answers = s.sql(
            "select participant_id, measured_at, instrument, item, points "
            "from int_item_points order by all"
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


def test_answers_stored_before_0011_keep_their_scores(tmp_path: Path) -> None:
    # a study written by the toolkit before answers were kept as exported: item points, and the
    # scoring rules in the reference tables its last open synced
    import duckdb

    from toolkit.db.migrate import migrate
    from toolkit.instruments.definition_rows import packaged_definition

    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    assert migrate(conn, target=10) == 10
    conn.execute(
        "insert into raw_participants values ('P1', 'retro', 'knee_oa', 'female', 60, 28, "
        "'2025-03-05', 'leeds', 'Europe/London', 'backward', 45, 'roster')"
    )
    sha, womac, _ = packaged_definition("womac")
    for scale in womac.scales:
        item_max = max(womac.items[i].max_points for i in scale.items)
        conn.execute(
            "insert into ref_scales values (?, 'womac', ?, ?, ?, ?, ?, ?)",
            [scale.instrument, scale.method, len(scale.items), scale.max_missing,
             scale.min_answered, item_max, sha],
        )  # fmt: skip
        for item in scale.items:
            conn.execute("insert into ref_scale_items values (?, ?)", [scale.instrument, item])
    for item, points in zip(["P1", "P2", "P3", "P4", "P5"], WOMAC[:5], strict=True):
        conn.execute(
            "insert into raw_questionnaire_items values "
            "('P1', '2025-03-04 09:00:00+00', 'womac_pain', ?, ?, 'baseline', 'items')",
            [item, points],
        )
    conn.close()
    with open_study(path) as s:
        assert scores_of(s) == {"womac_pain": 9.0}
        in_effect = s.sql("select source_sha256 from int_questionnaire_definitions").rows()
        tables = set(s.sql("select table_name from information_schema.tables")["table_name"])
    assert in_effect == [("migration-0011-scoring-rules",)]
    assert "ref_scales" not in tables


def test_an_answer_given_by_its_wording_takes_the_points_in_effect(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    columns = [f"koos_p{i}" for i in range(2, 10)]  # 8 of 9 pain items, all "Mild"
    write(
        raw / "koos.csv",
        "participant_id,measured_at," + ",".join(columns) + "\n"
        "P1,2025-03-04T09:00:00+00:00," + ",".join(["Mild"] * len(columns)) + "\n",
    )
    path = tmp_path / "s.duckdb"
    with open_study(path) as s:
        assert s.ingest([raw], progress=False).exit_code == 0
        assert scores_of(s)["koos_pain"] == 75.0  # Mild = 1 point: 100 - 1 x 25
        stored = s.sql("select distinct answer, value from raw_questionnaire_items").rows()
    assert stored == [("Mild", None)]  # the wording as exported, no points
    koos = PACKAGED.with_name("koos.toml").read_text("utf-8")
    reversed_points = koos.replace("values = [0, 1, 2, 3, 4]", "values = [4, 3, 2, 1, 0]")
    assert reversed_points != koos
    definition = write(tmp_path / "defs" / "koos_reversed.toml", reversed_points)
    with open_study(path) as s:
        assert s.ingest([definition], progress=False).exit_code == 0
        assert scores_of(s)["koos_pain"] == 25.0  # Mild = 3 points now: 100 - 3 x 25
