"""``retrowalk query --param``: values bound to the SQL's ``?`` (in order) or ``$name`` markers.

``--param knee_oa`` binds the next ``?``; ``--param cond=knee_oa`` binds ``$cond``. Values are
passed to DuckDB as parameters (never formatted into the SQL text), as text that DuckDB casts
where the SQL compares them with numbers or dates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from toolkit.errors import UsageError

_MARKER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAMED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


def bind_params(sql: str, values: Sequence[str]) -> list[str] | dict[str, str] | None:
    """The parameters for ``sql``: a dict when it uses ``$name`` markers, else a list.

    Raises :class:`~toolkit.errors.UsageError` naming the markers when a ``$name`` has no
    value, a value names no marker, or a value is not ``NAME=VALUE`` where names are needed.
    """
    names = list(dict.fromkeys(_MARKER.findall(sql)))
    if not names:
        return list(values) if values else None
    markers = ", ".join(f"${n}" for n in names)
    bound: dict[str, str] = {}
    for value in values:
        match = _NAMED.fullmatch(value)
        if match is None:
            raise UsageError(
                f"the SQL uses named parameters ({markers}): give --param NAME=VALUE, "
                f"e.g. --param {names[0]}=..., not {value!r}."
            )
        name, text = match.groups()
        if name not in names:
            raise UsageError(f"--param {name}=...: the SQL has no ${name}; it uses {markers}.")
        bound[name] = text
    missing = [n for n in names if n not in bound]
    if missing:
        raise UsageError(
            "no value for " + ", ".join(f"${n}" for n in missing) + ": add "
            + " ".join(f"--param {n}=VALUE" for n in missing) + "."
        )  # fmt: skip
    return bound
