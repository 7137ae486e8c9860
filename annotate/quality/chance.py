"""Chance-corrected agreement on token labels, as counts that add up task by task.

``KappaTable`` is the contingency table of two raters' labels (Cohen's kappa needs nothing
more); ``AlphaCounts`` the disagreement and value marginals of Krippendorff's alpha (nominal).
Both are filled one task (unit) at a time, so agreement over a whole project needs no more memory
than its label set. Tokens are the runs of word characters and single other non-space characters;
a token takes the label of the span overlapping it most (``O`` outside every span).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from annotate.document import Document
from annotate.errors import EvaluationError
from annotate.quality.compare import Layer, layer_spans

#: The label of a token no span covers.
OUTSIDE = "O"

_TOKEN = re.compile(r"\w+|[^\w\s]")


def simple_tokens(text: str) -> list[tuple[int, int]]:
    r"""Return ``(start, end)`` of the runs of ``\w`` and the other non-space characters of ``text``."""
    return [match.span() for match in _TOKEN.finditer(text)]


def token_labels(doc: Document, layer: Layer, tokens: Sequence[tuple[int, int]]) -> list[str]:
    """Label every token with the span that overlaps it most, ``O`` when no span overlaps it.

    Ties go to the span starting first, then the shorter one, then the label in sorted order.
    ``tokens`` are in text order and do not overlap (as ``simple_tokens`` gives them), so each
    span finds the tokens it covers by bisection.
    """
    starts = [start for start, _ in tokens]
    best: dict[int, tuple[int, int, int, str]] = {}
    for s, e, label in layer_spans(doc, layer):
        first = max(bisect_right(starts, s) - 1, 0)
        for i in range(first, bisect_left(starts, e)):
            start, end = tokens[i]
            if s < end and start < e:
                key = (-(min(end, e) - max(start, s)), s, e, label)
                if i not in best or key < best[i]:
                    best[i] = key
    return [best[i][3] if i in best else OUTSIDE for i in range(len(tokens))]


@dataclass
class KappaTable:
    """How often rater A gave label x while rater B gave y, over the items both labelled."""

    cells: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, a: Sequence[str], b: Sequence[str]) -> None:
        """Add items labelled ``a`` by the first rater and ``b`` by the second."""
        if len(a) != len(b):
            raise EvaluationError(f"kappa needs two equally long label lists, got {len(a)} and {len(b)}")
        self.cells.update(zip(a, b, strict=True))

    def kappa(self) -> float:
        """Cohen's kappa, ``(po - pe) / (1 - pe)``; see ``cohens_kappa``.

        Raises:
            EvaluationError: no item.
        """
        n = self.cells.total()
        if not n:
            raise EvaluationError("kappa needs two equally long, non-empty label lists, got 0 and 0")
        observed = Fraction(sum(count for (x, y), count in self.cells.items() if x == y), n)
        count_a: Counter[str] = Counter()
        count_b: Counter[str] = Counter()
        for (x, y), count in self.cells.items():
            count_a[x] += count
            count_b[y] += count
        expected = Fraction(sum(count_a[label] * count_b[label] for label in count_a), n * n)
        if expected == 1:
            return 1.0 if observed == 1 else 0.0
        return float((observed - expected) / (1 - expected))


def cohens_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two raters' nominal labels for the same items: ``(po - pe) / (1 - pe)``.

    ``po`` is the share of items labelled alike, ``pe`` the sum over labels of the product of both
    raters' label shares. Degenerate case: when ``pe`` is 1 (both raters used one and the same
    label throughout) kappa is 1.0 if ``po`` is 1 (always so then), else 0.0.

    Raises:
        EvaluationError: The sequences differ in length or are empty.
    """
    if len(a) != len(b) or not a:
        raise EvaluationError(
            f"kappa needs two equally long, non-empty label lists, got {len(a)} and {len(b)}"
        )
    table = KappaTable()
    table.add(a, b)
    return table.kappa()


@dataclass
class AlphaCounts:
    """Krippendorff's alpha (nominal), unit by unit: the summed disagreement and the marginals."""

    disagreement: Fraction = Fraction(0)
    marginals: Counter[str] = field(default_factory=Counter)

    def add(self, unit: Sequence[str | None], times: int = 1) -> None:
        """Add one unit (``times`` alike units): the values its annotators gave (``None``: missing);
        lone values are skipped."""
        values = [v for v in unit if v is not None]
        m = len(values)
        if m < 2:
            return
        counts = Counter(values)
        if len(counts) > 1:  # a unit all annotators agree on adds no disagreement
            self.disagreement += Fraction(times * (m * m - sum(c * c for c in counts.values())), m - 1)
        for value, count in counts.items():
            self.marginals[value] += count * times

    def alpha(self) -> float:
        """``1 - (n - 1) * Do / De``; see ``krippendorff_alpha``.

        Raises:
            EvaluationError: no unit had two values.
        """
        n = self.marginals.total()
        if not n:
            raise EvaluationError("alpha needs at least one unit with two or more values; none has")
        expected = n * n - sum(c * c for c in self.marginals.values())
        if expected == 0:
            return 1.0
        return float(1 - (n - 1) * self.disagreement / expected)


def krippendorff_alpha(units: Sequence[Sequence[str | None]]) -> float:
    """Krippendorff's alpha for nominal data: ``1 - (n - 1) * Do / De`` from the coincidence matrix.

    Each unit lists the values its annotators gave, ``None`` for a missing value. Units with fewer
    than two values are not pairable and are skipped. With ``o_ck`` the coincidences (every
    ordered pair of values within a unit, weighted ``1 / (m_u - 1)``), ``n_c`` their marginals and
    ``n`` the number of pairable values, ``Do = sum(o_ck, c != k)`` and
    ``De = sum(n_c * n_k, c != k) = n**2 - sum(n_c**2)``. Degenerate case: when ``De`` is 0 (all
    pairable values are the same, so ``Do`` is 0 too) alpha is 1.0.

    Raises:
        EvaluationError: No unit has two values.
    """
    counts = AlphaCounts()
    for unit in units:
        counts.add(unit)
    return counts.alpha()
