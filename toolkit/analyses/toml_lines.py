"""Where a key of a TOML document is written: the line number for a plan's error messages.

``tomllib`` reports line numbers for syntax errors only, not for a value that parses but is
not allowed. :func:`key_line` finds the line from the text: the table header (``[name]``, or
the n-th ``[[name]]``), then the key's assignment inside that table.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _key_pattern(key: str) -> re.Pattern[str]:
    quoted = re.escape(key)
    return re.compile(rf"^\s*(?:{quoted}|\"{quoted}\"|'{quoted}')\s*=")


def key_line(text: str, table: str | None, key: str | None, index: int | None = None) -> int:
    """1-based line of ``key`` in ``table`` (``None``: the top level) of ``text``.

    ``index`` picks the n-th (0-based) ``[[table]]`` of an array of tables. With ``key``
    ``None``, or when the key is not written (a required key is missing), the line of the
    table's header is returned (line 1 for the top level).
    """
    lines = text.splitlines()
    start, seen = 0, -1
    if table is not None:
        for number, line in enumerate(lines):
            match = _HEADER.match(line)
            if match and match.group(2) == table:
                seen += 1
                if index is None or seen == index:
                    start = number
                    break
        else:
            return 1
    if key is None:
        return start + 1
    pattern = _key_pattern(key)
    first = start + 1 if table is not None else 0
    for number in range(first, len(lines)):
        if _HEADER.match(lines[number]):
            break
        if pattern.match(lines[number]):
            return number + 1
    return start + 1
