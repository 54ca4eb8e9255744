"""The demo's REDCap project: it ingests, follows the simulated pain, and keeps Kujala intact."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from retrowalk_demo.model import DemoModel
from retrowalk_demo.simulate import simulate
from tests.ingest.redcap_project import to_labels, write_csv
from toolkit import open_study


def test_redcap_files_load_and_carry_the_conditions_questionnaires(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        log = dict(
            study.sql(
                "select regexp_extract(path, '[^/]+$'), status from ingest_log "
                "where format = 'redcap'"
            ).rows()
        )
        by_condition = dict(
            study.sql(
                "select condition, list(distinct instrument order by instrument) "
                "from pain_scores join participants using (participant_id) "
                "where instrument not in ('nrs', 'vas') group by 1"
            ).rows()
        )
    assert log == {
        "RetroWalk_DATA.csv": "loaded",
        "RetroWalk_DataDictionary.csv": "loaded",
        "RetroWalk_events.csv": "loaded",
    }
    koos = ["koos_adl", "koos_pain", "koos_qol", "koos_sport_rec", "koos_symptoms"]
    womac = ["womac_function", "womac_pain", "womac_stiffness"]
    assert by_condition == {
        "knee_oa": sorted(koos + womac),
        "post_acl_reconstruction": koos,
        "patellofemoral_pain": ["kujala"],
    }


def test_kujala_totals_are_the_simulated_ones_and_come_only_from_redcap(demo_study: Path) -> None:
    """The REDCap items add up to the simulated Kujala totals (same visits, same times)."""
    people = simulate(90, 7, DemoModel())
    simulated = sorted(
        (p.participant_id, s.visit, s.score)
        for p in people
        for s in p.scores
        if s.instrument == "kujala"
    )
    with open_study(demo_study, read_only=True) as study:
        stored = sorted(
            study.sql(
                "select participant_id, visit, score from pain_scores where instrument = 'kujala'"
            ).rows()
        )
        sources = study.sql(
            "select distinct l.format from raw_questionnaire_items r join ingest_log l "
            "on l.sha256 = r.source_sha256 where r.instrument = 'kujala'"
        )["format"].to_list()
        item_sums = study.sql(
            "select count(*) from (select participant_id, measured_at, sum(points) total "
            "from int_item_points where instrument = 'kujala' group by all) i "
            "join pain_scores s using (participant_id, measured_at) "
            "where s.instrument = 'kujala' and s.score <> i.total"
        ).item()
    assert stored == simulated
    assert sources == ["redcap"]
    assert item_sums == 0


def test_questionnaire_scores_follow_the_simulated_pain(demo_study: Path) -> None:
    """Worse pain (NRS) at a visit goes with worse KOOS and WOMAC at that visit."""
    with open_study(demo_study, read_only=True) as study:
        corr = dict(
            study.sql(
                "select q.instrument, corr(q.score, n.score) from pain_scores q "
                "join pain_scores n using (participant_id, visit) "
                "where n.instrument = 'nrs' and q.instrument in ('koos_pain', 'womac_pain') "
                "group by 1"
            ).rows()
        )
        blank = study.sql(
            "select count(*) filter (where answer is null), count(*) from raw_questionnaire_items "
            "where instrument like 'koos%' or instrument like 'womac%'"
        ).row(0)
    assert corr["koos_pain"] < -0.6  # KOOS: higher is better
    assert corr["womac_pain"] > 0.6  # WOMAC: higher is worse
    assert 0 < blank[0] < 0.05 * blank[1]  # some items left blank, never stored as zero


def test_the_demo_export_in_label_form_ingests_to_the_same_rows(
    demo_study: Path, tmp_path: Path
) -> None:
    """REDCap's label export of the demo project (KOOS and WOMAC share item wordings such as
    "Difficulty: Standing", so label headers repeat) stores exactly what the raw export did."""
    raw = demo_study.parent / "raw"
    read = lambda path: list(csv.reader(path.open(encoding="utf-8")))  # noqa: E731
    dictionary = read(raw / "redcap" / "RetroWalk_DataDictionary.csv")
    events = {row[0]: row[1] for row in read(raw / "redcap" / "RetroWalk_events.csv")[1:]}
    labelled = to_labels(read(raw / "redcap" / "RetroWalk_DATA.csv"), dictionary[1:], events)
    folder = tmp_path / "data"
    (folder / "redcap").mkdir(parents=True)
    shutil.copy(raw / "roster.csv", folder / "roster.csv")
    for name in ("RetroWalk_DataDictionary.csv", "RetroWalk_events.csv"):
        shutil.copy(raw / "redcap" / name, folder / "redcap" / name)
    write_csv(folder / "redcap" / "RetroWalk_DATA_labels.csv", labelled)
    study = tmp_path / "labels.duckdb"
    with open_study(study) as s:
        report = s.ingest([folder])
    assert report.exit_code == 0, report.to_json()
    query = (
        "select participant_id, measured_at, instrument, item, answer, visit "
        "from raw_questionnaire_items order by all"
    )
    with open_study(study, read_only=True) as s:
        labels = s.sql(query).rows()
    with open_study(demo_study, read_only=True) as s:
        raw_rows = s.sql(query).rows()
    assert labels == raw_rows
    assert len(labels) > 1000
