"""Statistics for cohort analyses: pure functions, tidy polars frame in, tidy polars frame out.

Every result starts with the columns ``term, estimate, ci_low, ci_high, statistic, df, p_value,
n, method`` (extra columns follow). Inputs are checked up front and raise
:class:`toolkit.errors.UsageError`; statistical caveats are :class:`toolkit.errors.StatsWarning`.
Each method is tested against a published reference (see ``tests/stats``).
"""

from toolkit.stats._common import RESULT_COLUMNS
from toolkit.stats.ancova import ancova
from toolkit.stats.causal_dose import complier_average_effect
from toolkit.stats.change import change_from_baseline
from toolkit.stats.descriptives import exposure_summary, missing_summary, table1
from toolkit.stats.dose_response import dose_response, dose_response_curve
from toolkit.stats.mixed import mixed_model
from toolkit.stats.mixed_curve import mixed_model_curve
from toolkit.stats.mmrm import mmrm
from toolkit.stats.multiplicity import adjust_pvalues, fixed_sequence
from toolkit.stats.reference_based import reference_based
from toolkit.stats.responder_models import responder_tiers, responders_logistic
from toolkit.stats.responders import responders
from toolkit.stats.sensitivity import tipping_point

__all__ = [
    "RESULT_COLUMNS",
    "adjust_pvalues",
    "ancova",
    "change_from_baseline",
    "complier_average_effect",
    "dose_response",
    "dose_response_curve",
    "exposure_summary",
    "fixed_sequence",
    "missing_summary",
    "mixed_model",
    "mixed_model_curve",
    "mmrm",
    "reference_based",
    "responder_tiers",
    "responders",
    "responders_logistic",
    "table1",
    "tipping_point",
]
