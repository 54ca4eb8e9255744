"""consort_flow: randomised, received, discontinued/lost with reasons, analysed per analysis."""

from __future__ import annotations

import polars as pl

from toolkit.summaries import consort_flow


def test_consort_flow_counts_every_stage_per_arm() -> None:
    participants = pl.DataFrame(
        {"participant_id": ["a", "b", "c", "d", "e"], "arm": ["r", "r", "r", "u", "u"]}
    )
    exposure = pl.DataFrame({"participant_id": ["a", "b", "d"], "retro_minutes": [30.0, 0.0, 5.0]})
    events = pl.DataFrame(
        {
            "participant_id": ["b", "c", "e", "a"],
            "event": ["discontinued", "lost_to_follow_up", "discontinued", "rescue_medication"],
            "reason": ["adverse event", None, "moved away", "NSAID"],
        }
    )
    ancova_frame = pl.DataFrame(
        {
            "participant_id": ["a", "b", "c", "d", "e"],
            "baseline": [1.0] * 5,
            "follow_up": [1.0, None, None, 2.0, None],
        }
    )
    mmrm_frame = pl.DataFrame(
        {"participant_id": ["a", "b", "d", "e"], "score": [1.0, 2.0, 3.0, 4.0]}
    )
    flow = consort_flow(
        participants,
        exposure=exposure,
        events=events,
        analyses={
            "ANCOVA (complete cases)": (ancova_frame, ["baseline", "follow_up"]),
            "MMRM": (mmrm_frame, ["score"]),
        },
    )

    def n(stage: str, arm: str, reason: str | None = None) -> int:
        chosen = flow.filter((pl.col("stage") == stage) & (pl.col("arm") == arm))
        chosen = chosen.filter(
            pl.col("reason").is_null() if reason is None else pl.col("reason") == reason
        )
        return int(chosen["participants"][0])

    assert n("randomised", "r") == 3 and n("randomised", "all") == 5
    assert n("received allocated intervention", "r") == 1  # b had 0 minutes, c none
    assert n("discontinued", "r") == 1 and n("discontinued", "r", "adverse event") == 1
    assert n("discontinued", "u", "moved away") == 1
    assert n("lost to follow up", "r", "not given") == 1
    assert n("rescue medication", "r", "NSAID") == 1
    assert n("analysed: ANCOVA (complete cases)", "all") == 2
    assert n("analysed: MMRM", "all") == 4  # the MMRM keeps more participants
    assert flow["step"].min() == 1
