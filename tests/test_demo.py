"""The demo generator: deterministic, realistic, and carrying the documented true effect."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import statsmodels.formula.api as smf

from retrowalk_demo import TRUE_EFFECTS
from retrowalk_demo.build import write_raw
from toolkit import open_study


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_same_seed_same_files(tmp_path: Path) -> None:
    write_raw(tmp_path / "a", participants=30, seed=11)
    write_raw(tmp_path / "b", participants=30, seed=11)
    write_raw(tmp_path / "c", participants=30, seed=12)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b") != _digest(tmp_path / "c")


def test_demo_has_the_trial_features_it_promises(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        arms = study.sql("select arm, count(*) n from participants group by arm")
        assert dict(arms.rows()) == {"retro": 30, "forward": 30, "usual_care": 30}
        directions = set(study.sql("select distinct direction from sessions")["direction"])
        assert directions == {"backward", "forward", "unknown"}
        # interval sessions alternate direction within a session
        assert (
            study.sql(
                "select count(*) from (select session_id from sessions group by 1 "
                "having count(distinct direction) > 1)"
            ).item()
            > 0
        )
        # adherence decays: the retro arm walks less in the last weeks than in the first
        early, late = study.sql(
            "select avg(adherence) filter (where study_week <= 3), "
            "avg(adherence) filter (where study_week >= 10) from weekly_exposure"
        ).row(0)
        assert late < early
        # dropouts and missed visits leave some participants without follow-up
        missing = study.sql(
            "select count(*) from outcomes where instrument = 'nrs' and follow_up is null"
        ).item()
        assert 0 < missing < 45


@pytest.mark.slow
def test_dose_response_slope_recovers_the_true_effect(tmp_path: Path) -> None:
    """OLS of NRS change on mean weekly retro minutes covers the generator's true slope."""
    from retrowalk_demo import build_demo

    path = tmp_path / "study.duckdb"
    build_demo(path, participants=300, seed=5, progress=False)
    with open_study(path, read_only=True) as study:
        frame = study.sql(
            "select o.change, o.baseline, e.retro, e.fwd from outcomes o join ("
            " select participant_id, avg(retro_minutes) retro, avg(forward_minutes) fwd"
            " from weekly_exposure group by 1) e using (participant_id)"
            " where o.instrument = 'nrs' and o.change is not null"
        ).to_pandas()
    fit = smf.ols("change ~ retro + fwd + baseline", frame).fit()
    low, high = fit.conf_int().loc["retro"]
    assert low < TRUE_EFFECTS["nrs_change_per_weekly_retro_minute"] < high
    assert high < 0
