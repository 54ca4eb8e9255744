"""Complementary suppression across a whole report: no hidden count follows from shown ones.

Why: each table hid its own small cells, but the report publishes the same people in many
places. The CONSORT flow said 30 enrolled and 28 analysed in the retro arm while the change
table showed that arm's ``n_excluded`` as ``<5``; a responders row for "retro - usual care"
counted 24 while the retro row showed 18, so a hidden usual-care count was 24 - 18.

The model: every count the report shows is the size of a set of participants (cohort members,
plus anonymous stand-ins for study participants outside the cohort). A reader who knows what
each number means knows the linear relations between them (margins, differences, sums over
arms). A hidden count ``|S|`` can be worked out exactly from the shown counts ``|T_i|`` when
the indicator vector of ``S`` is a linear combination of those of the ``T_i`` (then
``|S| = sum a_i |T_i|``). :func:`determined` tests exactly that (a rank test over all shown
counts: the brute-force check); :func:`complement` hides further shown counts, smallest first,
until no hidden count, and no small *implied* set (people without a baseline, non-responders,
people left out of an analysis), is determined.

Bounds are not covered: a hidden count known to lie between two values is not "determined"
here (e.g. a cell of a table whose other cells are all zero).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

Key = Hashable


@dataclass(frozen=True)
class Count:
    """One count in the report: who it counts, whether it is shown, and whether it is only
    implied (a difference no table shows but that must stay hidden when small)."""

    members: frozenset[str]
    shown: bool
    implied: bool = False


def _matrix(sets: Iterable[frozenset[str]], index: Mapping[str, int]) -> np.ndarray:
    rows: list[np.ndarray] = []
    for members in sets:
        row = np.zeros(len(index))
        for m in members:
            row[index[m]] = 1.0
        rows.append(row)
    return np.array(rows).reshape(len(rows), len(index))


def _rank(matrix: np.ndarray) -> int:
    return int(np.linalg.matrix_rank(matrix)) if matrix.size else 0


def determined(
    hidden: frozenset[str], shown: Iterable[frozenset[str]], universe: Iterable[str]
) -> bool:
    """Whether ``|hidden|`` is a linear combination of the shown counts' sizes."""
    index = {m: i for i, m in enumerate(sorted(set(universe)))}
    base = _matrix(list(shown), index)
    target = _matrix([hidden], index)
    return _rank(np.vstack([base, target])) == _rank(base)


def exposed(counts: Mapping[Key, Count], min_cell: int) -> list[Key]:
    """Hidden (or implied small) counts that the shown counts determine."""
    universe = {m for c in counts.values() for m in c.members}
    index = {m: i for i, m in enumerate(sorted(universe))}
    shown = list({c.members for c in counts.values() if c.shown})
    base = _matrix(shown, index)
    rank = _rank(base)
    out = []
    for key, count in counts.items():
        size = len(count.members)
        secret = (not count.shown and not count.implied and size > 0) or (
            count.implied and 0 < size < min_cell
        )
        if secret and _rank(np.vstack([base, _matrix([count.members], index)])) == rank:
            out.append(key)
    return out


def _most_used(
    secret: frozenset[str], shown: list[frozenset[str]], universe: Iterable[str]
) -> frozenset[str] | None:
    """The smallest shown set that the exact combination giving ``secret`` uses."""
    index = {m: i for i, m in enumerate(sorted(set(universe)))}
    if not shown:
        return None
    base = _matrix(shown, index)
    coefficients, *_ = np.linalg.lstsq(base.T, _matrix([secret], index)[0], rcond=None)
    used = [s for s, a in zip(shown, coefficients, strict=True) if abs(a) > 1e-9]
    return min(used, key=lambda s: (len(s), sorted(s))) if used else shown[0]


def complement(counts: Mapping[Key, Count], min_cell: int) -> set[Key]:
    """Shown counts to hide as well, so that :func:`exposed` finds nothing.

    Greedy: while a secret is determined, hide the smallest shown set (every cell showing it)
    whose hiding makes that secret undetermined; when no single set does, the smallest set the
    combination giving the secret uses is hidden and the search goes on. Terminates: each step
    hides at least one set.
    """
    state = dict(counts)
    hidden: set[Key] = set()
    while True:
        found = exposed(state, min_cell)
        if not found:
            return hidden
        secret = state[found[0]].members
        universe = {m for c in state.values() for m in c.members}
        shown_sets = sorted(
            {c.members for c in state.values() if c.shown and c.members},
            key=lambda s: (len(s), sorted(s)),
        )
        choice = next(
            (
                s
                for s in shown_sets
                if not determined(secret, [t for t in shown_sets if t != s], universe)
            ),
            None,
        ) or _most_used(secret, shown_sets, universe)
        if choice is None:  # nothing shown at all: nothing can be determined either
            return hidden
        for key, c in state.items():
            if c.shown and c.members == choice:
                state[key] = Count(c.members, shown=False, implied=c.implied)
                hidden.add(key)
