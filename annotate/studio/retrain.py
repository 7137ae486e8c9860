"""Retrain on a project's gold and re-pre-label the tasks nobody has annotated yet, in one call.

1. pull the project into a temporary snapshot;
2. train on its gold with the promotion gate (``annotate.training.train``), unless the model folder
   already holds a model trained on exactly this gold (same identity): then it is used as it is;
3. if a layer was learned, pre-label the tasks with no annotation, draft or skip with the model and
   push the predictions: they go to those tasks only, under the model's version, made current;
   annotated tasks are never touched.

Every step is idempotent (a second run trains nothing and adds no prediction), and an interrupted
run is finished by running it again (push is resumable).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.export.snapshot import read_snapshot
from annotate.labelstudio.reader import task_article
from annotate.pipeline import build_nlp
from annotate.prelabel import prelabel
from annotate.schema import Schema
from annotate.studio.client import Studio
from annotate.studio.pull import pull
from annotate.studio.push import PushReport, push
from annotate.training.gold import GoldSource, load_gold
from annotate.training.model import model_meta
from annotate.training.train import DEFAULT_EVAL_SPLIT, train


@dataclass
class RetrainReport:
    """What ``retrain`` did."""

    model: str
    model_version: str
    gold_articles: int
    layers: dict[str, str]
    trained: bool  # False when the model folder already held a model of this gold
    unannotated: int
    push: PushReport | None


def retrain(
    studio: Studio,
    title: str,
    schema: Schema,
    out: Path,
    *,
    base_model: str | None = None,
    eval_split: float = DEFAULT_EVAL_SPLIT,
    seed: str = "annotate",
    on_step: Callable[[str], None] | None = None,
) -> RetrainReport:
    """Pull, train (or reuse), gate, re-pre-label the unannotated tasks and push (see the module doc)."""
    step = on_step or (lambda message: None)
    with tempfile.TemporaryDirectory() as scratch:
        snapshot = Path(scratch) / "snapshot.jsonl"
        step(f"pulling project {title!r}")
        pull(studio, title, snapshot)
        gold = load_gold([GoldSource(snapshot, "snapshot")], schema)
        meta = model_meta(out)
        trained = meta.get("gold_identity") != gold.identity
        if trained:
            report = train(
                gold, schema, out, base_model=base_model, eval_split=eval_split, seed=seed, on_step=step
            )
            layers, version = report.layers, report.model_version
        else:
            step(f"{out} was trained on this gold already: using it")
            layers, version = dict(meta["layers"]), str(meta["model_version"])
        articles = [task_article(task) for task in read_snapshot(snapshot) if not _worked_on(task)]
    pushed = None
    if "learned" in layers.values() and articles:
        step(f"pre-labelling {len(articles)} unannotated tasks with {version}")
        tasks = prelabel(articles, schema, nlp=build_nlp(schema, str(out)))
        pushed = push(studio, title, tasks, schema)
    return RetrainReport(str(out), version, len(gold.documents), layers, trained, len(articles), pushed)


def _worked_on(task: dict[str, Any]) -> bool:
    """Whether an annotator touched the task: an annotation (skips included) or a draft."""
    return bool(task.get("annotations") or task.get("drafts"))
