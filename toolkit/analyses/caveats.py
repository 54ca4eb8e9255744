"""Caveats as data for the analysis layer: :func:`collect_notes` (thread-safe, no lock).

The mechanism lives with the statistics functions (:mod:`toolkit.stats._caveats`), which use
it for their ``notes`` column; the layer uses the same collector around each analysis.
"""

from toolkit.stats._caveats import collect_notes

__all__ = ["collect_notes"]
