"""ancova against the anorexia analysis of Venables & Ripley (MASS)."""

from __future__ import annotations

import polars as pl
import pytest

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats import RESULT_COLUMNS, ancova


def row(result: pl.DataFrame, term: str) -> dict[str, object]:
    return result.filter(pl.col("term") == term).to_dicts()[0]


def test_ancova_matches_mass_anorexia(anorexia: pl.DataFrame) -> None:
    # R (Venables & Ripley 2002, MASS 4th ed., p. 189; the same numbers in GLM.jl's tests):
    #   summary(glm(Postwt ~ Prewt + Treat + offset(Prewt), family = gaussian, data = anorexia))
    #   (Intercept) 49.7711 SE 13.3910; Prewt -0.5655 SE 0.1612
    #   TreatCont   -4.0971 SE  1.8935; TreatFT 4.5631 SE 2.1333; dispersion 48.695 on 68 df
    # The offset makes the response the weight change, i.e. ANCOVA of change on baseline.
    result = ancova(anorexia, outcome="change", baseline="Prewt", group="Treat", reference="CBT")
    assert list(result.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    cont, ft = row(result, "Cont - CBT"), row(result, "FT - CBT")
    assert cont["estimate"] == pytest.approx(-4.0970655, abs=1e-6)
    assert cont["std_error"] == pytest.approx(1.8934926, abs=1e-6)
    assert ft["estimate"] == pytest.approx(4.5630627, abs=1e-6)
    assert ft["std_error"] == pytest.approx(2.1333359, abs=1e-6)
    assert row(result, "(Intercept)")["estimate"] == pytest.approx(49.7711090, abs=1e-6)
    assert row(result, "Prewt")["std_error"] == pytest.approx(0.1611824, abs=1e-6)
    assert cont["df"] == 68 and cont["n"] == 72
    # t = estimate / SE on 68 df; R prints p = 0.0340 (Cont) and 0.0360 (FT).
    assert cont["p_value"] == pytest.approx(0.0340, abs=5e-5)
    assert ft["p_value"] == pytest.approx(0.0360, abs=5e-5)


def test_differences_do_not_depend_on_analysing_change_or_follow_up(
    anorexia: pl.DataFrame,
) -> None:
    on_change = ancova(anorexia, outcome="change", baseline="Prewt", group="Treat")
    on_post = ancova(anorexia, outcome="Postwt", baseline="Prewt", group="Treat")
    diffs = pl.col("role") == "difference"
    assert on_change.filter(diffs)["estimate"].to_list() == pytest.approx(
        on_post.filter(diffs)["estimate"].to_list(), abs=1e-9
    )
    # Follow-up ~ baseline slope is 1 + the change ~ baseline slope (0.4345 in MASS).
    assert row(on_post, "Prewt")["estimate"] == pytest.approx(1 - 0.5655388, abs=1e-6)


def test_adjusted_means_average_to_the_prediction_at_the_covariate_mean(
    anorexia: pl.DataFrame,
) -> None:
    result = ancova(anorexia, outcome="Postwt", baseline="Prewt", group="Treat", reference="CBT")
    means = result.filter(pl.col("role") == "adjusted_mean")
    assert means["term"].to_list() == ["CBT", "Cont", "FT"]
    assert row(result, "FT")["estimate"] - row(result, "CBT")["estimate"] == pytest.approx(
        4.5630627, abs=1e-6
    )


def test_multiple_imputation_pools_and_reports(anorexia: pl.DataFrame) -> None:
    holed = anorexia.with_columns(
        pl.when(pl.col("id") % 9 == 0).then(None).otherwise(pl.col("Postwt")).alias("Postwt")
    )
    with pytest.warns(StatsWarning, match="8 of 72"):
        complete = ancova(holed, outcome="Postwt", baseline="Prewt", group="Treat")
    imputed = ancova(
        holed, outcome="Postwt", baseline="Prewt", group="Treat", missing="mice", n_imputations=10
    )
    assert row(complete, "Cont - CBT")["n"] == 64
    mi = row(imputed, "Cont - CBT")
    assert mi["n"] == 72 and mi["n_imputed"] == 8
    assert "10 imputations" in str(mi["method"]) and "Rubin" in str(mi["method"])
    # Imputation adds between-imputation variance: wider than the complete-data SE, same sign.
    assert mi["std_error"] > 1.8934926
    assert mi["estimate"] < 0
    assert 0 < mi["df"] <= 68
    again = ancova(
        holed, outcome="Postwt", baseline="Prewt", group="Treat", missing="mice", n_imputations=10
    )
    assert again["estimate"].to_list() == imputed["estimate"].to_list()  # seeded


def test_ancova_validates_inputs(anorexia: pl.DataFrame) -> None:
    with pytest.raises(
        UsageError,
        match=r"The 'alpha' parameter of ancova must be a float in \(0, 1\)\. Got 1\.5 instead\.",
    ):
        ancova(anorexia, outcome="change", baseline="Prewt", group="Treat", alpha=1.5)
    with pytest.raises(UsageError, match="'reference' parameter of ancova must be a level"):
        ancova(anorexia, outcome="change", baseline="Prewt", group="Treat", reference="X")
    with pytest.raises(UsageError, match="'missing' parameter of ancova must be one of"):
        ancova(anorexia, outcome="change", baseline="Prewt", group="Treat", missing="drop")
    with pytest.raises(UsageError, match="must be numeric"):
        ancova(anorexia, outcome="Treat", baseline="Prewt", group="id")
    with pytest.raises(UsageError, match="rank"):
        ancova(
            anorexia.with_columns(pl.lit(1.0).alias("k")),
            outcome="change",
            baseline="Prewt",
            group="Treat",
            covariates=("k",),
        )
