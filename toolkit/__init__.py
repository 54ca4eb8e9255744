"""retrowalk: a research toolkit for knee-rehabilitation studies of retro treadmill walking.

Start with :func:`open_study`; see the README for the SQL views and the command line.
"""

from toolkit.study import Study, open_study

__all__ = ["Study", "open_study"]
