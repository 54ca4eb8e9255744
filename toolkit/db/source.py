"""What the read side needs from a study: parameterised SQL in, a polars frame out.

:class:`toolkit.study.Study` is one such source; a Spark- or snapshot-backed object with the
same ``sql`` method is another. Modules that only read (cohorts, analysis frames, summaries)
type their argument with :class:`SqlSource`, so they need not import :mod:`toolkit.study`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import polars as pl


class SqlSource(Protocol):
    """Anything with ``sql(query, params) -> polars.DataFrame`` (``?`` or ``$name`` params)."""

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run ``query`` with ``params`` bound; return the result as a polars frame."""
        ...
