"""Learning curves: how each learned layer improves with the number of annotated articles.

The gold is split once into training and held-out articles (as ``annotate train`` does); the
layers are trained on the first 10, 25, 50, 75 and 100 % of the training articles (in a fixed
order drawn from the seed) and scored on the same held-out articles, without the gate, next to the
rules alone. ``write_curve`` saves the points as JSON and as an SVG plot of F1 per layer against
the number of articles, the rules drawn as dashed lines: if the learned line still climbs at
100 %, annotating more will pay.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from annotate.atomic import atomic_writer, check_output, write_json
from annotate.quality.svgchart import line_chart
from annotate.schema import Schema
from annotate.training.gold import GoldSet
from annotate.training.train import DEFAULT_EVAL_SPLIT, Scoring, fit, split_gold

SHARES = (0.1, 0.25, 0.5, 0.75, 1.0)
#: The measure plotted for each layer.
MEASURES = {
    "entities": "entity",
    "triggers": "trigger_classification",
    "arguments": "argument_classification",
}


@dataclass
class CurvePoint:
    """The held-out figures after training on ``articles`` articles."""

    share: float
    articles: int
    learned: dict[str, dict[str, float]]


@dataclass
class Curve:
    """A learning curve: its points and the rules' figures on the same held-out articles."""

    eval_articles: int
    rules: dict[str, dict[str, float]] = field(default_factory=dict)
    points: list[CurvePoint] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def learning_curve(
    gold: GoldSet,
    schema: Schema,
    *,
    shares: Sequence[float] = SHARES,
    base_model: str | None = None,
    eval_split: float = DEFAULT_EVAL_SPLIT,
    seed: str = "annotate",
    on_step: Any = None,
) -> Curve:
    """Train on growing shares of the training gold; score each on the held-out gold.

    Raises:
        EvaluationError: too little gold to hold out articles and train on the smallest share.
    """
    step = on_step or (lambda message: None)
    train_docs, eval_docs = split_gold(gold.documents, eval_split, seed)
    order = sorted(train_docs, key=lambda d: hashlib.sha256(f"{seed}|{d.article.id}".encode()).hexdigest())
    curve = Curve(len(eval_docs))
    for share in shares:
        size = max(1, round(share * len(order)))
        step(f"training on {size} of {len(order)} articles")
        fitted = fit(
            order[:size], eval_docs, schema, base_model=base_model, gate=False, scoring=Scoring.of(gold)
        )
        curve.rules = fitted.figures["rules"]
        curve.points.append(CurvePoint(share, size, fitted.figures["learned"]))
    return curve


def write_curve(curve: Curve, folder: Path) -> tuple[Path, Path]:
    """Write ``curve.json`` and ``curve.svg`` into ``folder``; their paths."""
    check_output(folder, folder=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "curve.json", curve.to_dict())
    series: dict[str, list[tuple[float, float]]] = {}
    for layer, measure in MEASURES.items():
        points = [(float(p.articles), p.learned[measure]["f1"]) for p in curve.points if measure in p.learned]
        if points:
            series[f"{layer} (learned)"] = points
            series[f"{layer} (rules)"] = [(x, curve.rules.get(measure, {}).get("f1", 0.0)) for x, _ in points]
    svg = line_chart(f"F1 on {curve.eval_articles} held-out articles against the articles trained on", series)
    with atomic_writer(folder / "curve.svg") as handle:
        handle.write(ET.tostring(svg, encoding="unicode"))
    return folder / "curve.json", folder / "curve.svg"
