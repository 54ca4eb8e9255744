"""Dose-response (observational, exploratory): pain change against weekly minutes, fitted curve."""

from __future__ import annotations

import streamlit as st

from dashboard import context, data, downloads
from dashboard.text import plain
from toolkit.figures import figure_dose_response

EXPOSURES = {
    "retro_minutes": "retro (backward) minutes per week",
    "forward_minutes": "forward minutes per week",
}
SHAPES: dict[str, int | None] = {"linear": None, "spline, 3 df": 3, "spline, 4 df": 4}

ctx = context.current()
options = data.filter_options(ctx.source, ctx.version)
st.title("Dose-response")
st.caption(f"Cohort: {plain(ctx.cohort.describe())}")
choices = options["instruments"] or ["nrs"]
cols = st.columns(4)
instrument = cols[0].selectbox(
    "Outcome",
    choices,
    index=choices.index("nrs") if "nrs" in choices else 0,
    key="dose_instrument",
)
exposure = cols[1].selectbox(
    "Exposure", list(EXPOSURES), format_func=EXPOSURES.__getitem__, key="dose_exposure"
)
shape = cols[2].selectbox("Curve", list(SHAPES), key="dose_shape")
colour_by = cols[3].radio("Colour by", ["arm", "condition"], horizontal=True, key="dose_colour")
other = "forward_minutes" if exposure == "retro_minutes" else "retro_minutes"
adjust_other = st.checkbox(
    f"Also adjust for {EXPOSURES[other]}",
    value=True,
    key="dose_adjust_other",
)
results = data.dose_response_results(
    ctx.source,
    ctx.version,
    ctx.cohort_json,
    instrument,
    exposure,
    adjust_other,
    SHAPES[shape],
    data.plan_text(),
)
covariates = results["covariates"]
curve = results["curve"]
dose_figure = figure_dose_response(
    results["frame"],
    curve if curve is not None else results["frame"].clear(),
    exposure=exposure,
    colour_by=colour_by,
    instrument=instrument,
)
downloads.figure(dose_figure, f"{instrument}_dose_response", key="dose_figure")
jitter_note = (dose_figure.layout.meta or {}).get("jitter_note", "")
st.caption(
    "Observational and exploratory: minutes walked are not randomised (participants who "
    "respond may walk more), so the curve is an association, not the effect of walking more. "
    "One point per participant (hover for who and the exact values; the legend counts them). "
    f"{jitter_note} The curve is the regression's fitted change with covariates "
    f"({', '.join(covariates) or 'none'}) held at their cohort means, drawn only inside the "
    "outcome's range; band: 95% CI."
)
coefficients = results["coefficients"]
if coefficients is not None:
    st.subheader("Regression")
    downloads.table(
        coefficients.drop("method"), f"{instrument}_dose_response", key="dose_coefficients"
    )
    st.caption(f"Method: {plain(coefficients['method'][0])}")
for note in results["notes"]:
    st.caption(f"Note: {plain(note)}")
