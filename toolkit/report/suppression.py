"""Complementary suppression across a whole report: no hidden count follows from shown ones.

Why: each table hid its own small cells, but the report publishes the same people in many
places. The CONSORT flow said 30 enrolled and 28 analysed in the retro arm while the change
table showed that arm's ``n_excluded`` as ``<5``; a responders row for "retro - usual care"
counted 24 while the retro row showed 18, so a hidden usual-care count was 24 - 18.

The model: every count the report shows is the size of a set of participants (cohort members,
plus anonymous stand-ins for study participants outside the cohort), or, for counts of rows
(scores, visits), a sum of per-participant multiplicities. A reader who knows what each number
means knows every linear relation between them (margins, differences, sums over arms, totals
of visits). Participants with the same membership in every modelled count form an *atom*; the
reader's unknowns are the atom sizes (non-negative), each shown count is one linear equation
over them, and each count shown as ``<m`` bounds its atoms' sum to 1..m-1.

Two attacks are checked:

- **Exact recovery** (:func:`exposed`, a rank test): a hidden count is a linear combination of
  shown ones.
- **Range narrowing** (:func:`narrowed`, linear programming with
  :func:`scipy.optimize.linprog`): the smallest and largest value a *sensitive* count (1 to
  m-1 participants, hidden or only implied) can take given everything shown. The criterion:
  its feasible interval must contain [1, m-1], i.e. the report tells nothing about it beyond
  "fewer than m" (a count bounded to [1, 3] under ``<5``, or to [2, 4], is narrowed).

:func:`complement` hides further shown counts (and turns ``<m`` labels into ``*`` where the
label itself narrows a neighbour) until neither attack succeeds. Counts that cannot be hidden
(``fixed``: e.g. markers of a participant-level figure) are left to the caller.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.linalg
from scipy.optimize import linprog

Key = Hashable
_EPS = 1e-6


@dataclass(frozen=True)
class Count:
    """One count in the report.

    Attributes
    ----------
    members
        Who it counts.
    shown
        Whether its exact number is shown.
    implied
        A set no table shows but that must stay hidden when small (a difference of two shown
        counts: people without a baseline, non-responders).
    weights
        For counts of rows (scores, visits): rows per member; None counts each member once.
    fixed
        Shown and cannot be hidden by :func:`complement` (e.g. one marker per participant).
    label
        How a hidden count is shown: ``"small"`` (``<m``: the reader knows it is 1..m-1) or
        ``"any"`` (``*``: only that it is >= 0); None infers ``small`` for a hidden 1..m-1.
    """

    members: frozenset[str]
    shown: bool
    implied: bool = False
    weights: Mapping[str, int] | None = field(default=None, compare=False)
    fixed: bool = False
    label: str | None = None

    @property
    def ident(self) -> frozenset[object]:
        """What it counts: equal for every cell showing the same number of the same people."""
        if self.weights is None:
            return frozenset(self.members)
        return frozenset(self.weights.items())

    @property
    def value(self) -> int:
        return len(self.members) if self.weights is None else sum(self.weights.values())

    def weight(self, member: str) -> int:
        if self.weights is None:
            return 1 if member in self.members else 0
        return self.weights.get(member, 0)

    def small_label(self, min_cell: int) -> bool:
        """Whether the reader sees it as ``<min_cell`` (a bound of 1..min_cell-1)."""
        if self.shown or self.implied:
            return False
        if self.label is not None:
            return self.label == "small"
        return 0 < self.value < min_cell


def sensitive(count: Count, min_cell: int) -> bool:
    """A count that must not be disclosed: hidden or implied, of 1 to ``min_cell - 1``."""
    return not count.shown and 0 < count.value < min_cell


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


def _atoms(counts: Mapping[Key, Count]) -> dict[Key, np.ndarray]:
    """Each count as a row over atoms (participants with the same membership everywhere)."""
    keys = list(counts)
    universe = sorted({m for c in counts.values() for m in c.members})
    signatures: dict[tuple[int, ...], int] = {}
    for m in universe:
        signatures.setdefault(tuple(counts[k].weight(m) for k in keys), len(signatures))
    rows = {k: np.zeros(len(signatures)) for k in keys}
    for sig, a in signatures.items():
        for k, w in zip(keys, sig, strict=True):
            if w:
                rows[k][a] = w
    return rows


def _shown_rows(
    counts: Mapping[Key, Count], rows: Mapping[Key, np.ndarray], width: int
) -> tuple[list[frozenset[object]], np.ndarray]:
    """One row per distinct shown count (cells showing the same people are one equation)."""
    idents: dict[frozenset[object], Key] = {}
    for key, c in counts.items():
        if c.shown:
            idents.setdefault(c.ident, key)
    matrix = np.array([rows[k] for k in idents.values()]).reshape(len(idents), width)
    return list(idents), matrix


def _in_span(basis: np.ndarray, vector: np.ndarray) -> bool:
    if not basis.size:
        return not np.any(vector)
    coefficients, *_ = np.linalg.lstsq(basis.T, vector, rcond=None)
    scale = max(1.0, float(np.linalg.norm(vector)))
    return bool(float(np.linalg.norm(basis.T @ coefficients - vector)) < 1e-7 * scale)


def _secret(count: Count, min_cell: int) -> bool:
    return (not count.shown and not count.implied and count.value > 0) or (
        count.implied and 0 < count.value < min_cell
    )


class _System:
    """The reader's linear system: atoms (unknown sizes), shown equations, ``<m`` bounds."""

    def __init__(
        self, counts: Mapping[Key, Count], min_cell: int, rows: Mapping[Key, np.ndarray]
    ) -> None:
        self.counts = counts
        self.min_cell = min_cell
        self.rows = rows
        self.width = len(next(iter(rows.values()))) if rows else 0
        self.idents, self.a_eq = _shown_rows(counts, rows, self.width)
        self.b_eq = np.array(
            [
                next(c.value for c in counts.values() if c.shown and c.ident == i)
                for i in self.idents
            ],
            dtype=float,
        )
        small: dict[frozenset[object], Key] = {}
        for key, c in counts.items():
            if c.small_label(min_cell):
                small.setdefault(c.ident, key)
        self.small = list(small.values())

    def range(self, key: Key) -> tuple[float, float, set[Key]]:
        """Feasible [low, high] of ``key`` and the counts whose constraints bind it."""
        small = self.small
        a_ub = np.array([r for k in small for r in (self.rows[k], -self.rows[k])]).reshape(
            2 * len(small), self.width
        )
        b_ub = np.array([b for _ in small for b in (self.min_cell - 1.0, -1.0)])
        target = self.rows[key]
        binding: set[Key] = set()
        ends = []
        first_key = {c.ident: k for k, c in reversed(list(self.counts.items())) if c.shown}
        for sign in (1.0, -1.0):
            res = linprog(
                sign * target,
                A_ub=a_ub if len(small) else None,
                b_ub=b_ub if len(small) else None,
                A_eq=self.a_eq if len(self.idents) else None,
                b_eq=self.b_eq if len(self.idents) else None,
                bounds=(0, None),
                method="highs",
            )
            if res.status == 3:  # unbounded: can be as large as anything
                ends.append(np.inf)
                continue
            if res.status != 0:
                raise RuntimeError(f"suppression audit: linear program failed ({res.message})")
            ends.append(sign * res.fun)
            duals = res.eqlin.marginals if len(self.idents) else []
            for ident, dual in zip(self.idents, duals, strict=True):
                if abs(dual) > _EPS:
                    binding.add(first_key[ident])
            duals = res.ineqlin.marginals if len(small) else []
            for i, k in enumerate(small):
                if abs(duals[2 * i]) > _EPS or abs(duals[2 * i + 1]) > _EPS:
                    binding.add(k)
        return ends[0], ends[1], binding

    def protected(self, key: Key) -> bool:
        low, high, _ = self.range(key)
        return low <= 1 + _EPS and high >= self.min_cell - 1 - _EPS


def exposed(
    counts: Mapping[Key, Count], min_cell: int, rows: Mapping[Key, np.ndarray] | None = None
) -> list[Key]:
    """Hidden counts (and implied small sets) that the shown counts determine exactly."""
    if not counts:
        return []
    rows = rows if rows is not None else _atoms(counts)
    width = len(next(iter(rows.values())))
    _, base = _shown_rows(counts, rows, width)
    if base.size:
        q, r, _ = scipy.linalg.qr(base.T, mode="economic", pivoting=True)
        diagonal = np.abs(np.diag(r))
        basis = q[:, diagonal > 1e-9 * max(1.0, diagonal.max())].T
    else:
        basis = np.zeros((0, width))
    out = []
    for key, count in counts.items():
        if _secret(count, min_cell):
            v = rows[key]
            scale = max(1.0, float(np.linalg.norm(v)))
            if float(np.linalg.norm(v - basis.T @ (basis @ v))) < 1e-7 * scale:
                out.append(key)
    return out


def narrowed(counts: Mapping[Key, Count], min_cell: int) -> dict[Key, tuple[float, float]]:
    """Sensitive counts whose feasible interval does not contain [1, min_cell - 1]."""
    if not counts:
        return {}
    system = _System(counts, min_cell, _atoms(counts))
    out = {}
    for key, count in counts.items():
        if sensitive(count, min_cell):
            low, high, _ = system.range(key)
            if not (low <= 1 + _EPS and high >= min_cell - 1 - _EPS):
                out[key] = (low, high)
    return out


def _hide(state: dict[Key, Count], ident: frozenset[object], hidden: set[Key]) -> None:
    for key, c in state.items():
        if c.shown and not c.fixed and c.ident == ident:
            state[key] = replace(c, shown=False, label="any")
            hidden.add(key)


def _relabel(state: dict[Key, Count], ident: frozenset[object], relabelled: set[Key]) -> None:
    for key, c in state.items():
        if not c.shown and not c.implied and c.ident == ident and c.label != "any":
            state[key] = replace(c, label="any")
            relabelled.add(key)


def _exact_step(
    state: dict[Key, Count], min_cell: int, hidden: set[Key], rows: Mapping[Key, np.ndarray]
) -> bool:
    """Hide one shown set that makes an exactly recovered secret undetermined; False if none."""
    found = exposed(state, min_cell, rows)
    if not found:
        return False
    target = rows[found[0]]
    width = len(target)
    idents, base = _shown_rows(state, rows, width)
    fixed = {c.ident for c in state.values() if c.shown and c.fixed}
    value = {c.ident: c.value for c in state.values() if c.shown}
    coefficients, *_ = np.linalg.lstsq(base.T, target, rcond=None)
    # Only a shown count every combination uses can break it (a zero coefficient in the
    # minimum-norm one means a combination without it exists).
    used = sorted(
        (i for i, a in zip(idents, coefficients, strict=True) if abs(a) > 1e-9 and i not in fixed),
        key=lambda i: (value[i], sorted(map(str, i))),
    )
    for candidate in used:
        keep = [j for j, i in enumerate(idents) if i != candidate]
        if not _in_span(base[keep], target):
            _hide(state, candidate, hidden)
            return True
    if not used:
        return False
    _hide(state, used[0], hidden)
    return True


def complement(
    counts: Mapping[Key, Count], min_cell: int, *, relabelled: set[Key] | None = None
) -> set[Key]:
    """Shown counts to hide as well, so that no sensitive count is recovered or narrowed.

    First exact recovery (:func:`exposed`): hide the smallest shown set whose hiding makes the
    secret undetermined. Then range narrowing (:func:`narrowed`): for a narrowed count, the
    constraints that bind its interval (the linear programs' non-zero duals) are tried one by
    one, smallest first: hiding a shown count, or showing a ``<m`` count as ``*``; the first
    that protects it is taken, else the smallest binding one is and the search goes on. Each
    step hides or relabels at least one count, so it ends. Keys relabelled from ``<m`` to
    ``*`` are added to ``relabelled``. Counts still exposed (held by ``fixed`` counts only)
    are left: :func:`exposed` and :func:`narrowed` on the result report them.
    """
    state = dict(counts)
    hidden: set[Key] = set()
    relabelled = relabelled if relabelled is not None else set()
    if not state:
        return hidden
    rows = _atoms(state)
    while _exact_step(state, min_cell, hidden, rows):
        pass
    stuck: set[Key] = set()
    # Hiding or relabelling only removes constraints, so a protected count stays protected:
    # after the first full check only the failing ones are checked again.
    pending = [k for k, c in state.items() if sensitive(c, min_cell)]
    for _ in range(10 * len(state) + 10):
        system = _System(state, min_cell, rows)
        failing = [k for k in pending if k not in stuck and not system.protected(k)]
        pending = failing
        if not failing:
            break
        key = failing[0]
        _, _, binding = system.range(key)
        options = sorted(
            (k for k in binding if not state[k].fixed),
            key=lambda k: (k == key, state[k].value, str(k)),
        )
        chosen = None
        for option in options[:6]:
            trial = dict(state)
            if trial[option].shown:
                _hide(trial, trial[option].ident, set())
            else:
                _relabel(trial, trial[option].ident, set())
            if _System(trial, min_cell, rows).protected(key):
                chosen = option
                break
        chosen = chosen if chosen is not None else (options[0] if options else None)
        if chosen is None:
            stuck.add(key)  # bound by fixed counts (or its own label) only
            continue
        if state[chosen].shown:
            _hide(state, state[chosen].ident, hidden)
        else:
            _relabel(state, state[chosen].ident, relabelled)
        while _exact_step(state, min_cell, hidden, rows):
            pass
    return hidden


def final_state(
    counts: Mapping[Key, Count], hidden: set[Key], relabelled: set[Key]
) -> dict[Key, Count]:
    """``counts`` after :func:`complement`: ``hidden`` not shown, ``relabelled`` shown as ``*``."""
    out = {}
    for key, c in counts.items():
        if key in hidden:
            c = replace(c, shown=False, label="any")
        if key in relabelled:
            c = replace(c, label="any")
        out[key] = c
    return out


def integer_ranges(counts: Mapping[Key, Count], min_cell: int) -> dict[Key, tuple[float, float]]:
    """Feasible [low, high] of every sensitive count with whole-number group sizes.

    The exact attacker (:func:`scipy.optimize.milp`): slower than :func:`narrowed`'s linear
    programs and never wider, so an audit uses it to check that the relaxation missed nothing.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    if not counts:
        return {}
    rows = _atoms(counts)
    system = _System(counts, min_cell, rows)
    constraints = []
    if len(system.idents):
        constraints.append(LinearConstraint(system.a_eq, system.b_eq, system.b_eq))
    for k in system.small:
        constraints.append(LinearConstraint(rows[k][None, :], 1.0, min_cell - 1.0))
    out = {}
    for key, count in counts.items():
        if not sensitive(count, min_cell):
            continue
        ends = []
        for sign in (1.0, -1.0):
            res = milp(
                sign * rows[key],
                constraints=constraints,
                integrality=np.ones(system.width),
                bounds=Bounds(0, np.inf),
            )
            ends.append(np.inf if res.status == 3 or res.x is None else sign * res.fun)
        out[key] = (ends[0], ends[1])
    return out
