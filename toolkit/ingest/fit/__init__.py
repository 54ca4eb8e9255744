"""FIT activity files: a vectorised decoder (``scan``, ``decode``, ``frames``, ``read``) checked
against Garmin's SDK profile (``profile``), and the format module mapping an activity onto the
canonical tables (``activity``).

``from toolkit.ingest.fit import read_fit`` reads a file into one polars frame per message type.
"""

from toolkit.ingest.fit.read import read_fit

__all__ = ["read_fit"]
