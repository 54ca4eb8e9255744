"""Shareable static reports: self-contained HTML, PDF and data extracts, private by default.

``build_report(study, cohort, out_html, pdf=None, identifiable=False, min_cell=5)`` writes the
files (``retrowalk report`` on the command line); ``report_html(study, cohort)`` returns the
HTML bytes for a download button. See :mod:`toolkit.report.privacy` for what "private" means.
"""

from toolkit.report.build import SECTION_KEYS, build_content, build_report, report_html
from toolkit.report.model import ReportResult
from toolkit.report.privacy import PrivacyPolicy

__all__ = [
    "SECTION_KEYS",
    "PrivacyPolicy",
    "ReportResult",
    "build_content",
    "build_report",
    "report_html",
]
