"""Train a pre-annotator on gold, gate every layer against the rules, and save a spaCy pipeline.

``train`` holds out part of the gold by article (a hash of the id and ``seed``, so the same
articles are held out every time), then on the rest:

1. entities: fine-tunes the base pipeline's recognizer (``annotate.training.ner``);
2. events: trains the trigger and role classifiers (``annotate.training.events``) on the
   training articles as the chosen entity layer analyses them.

The promotion gate scores, on the held-out articles, raw spaCy (the model's own entities mapped
onto the schema), the rules alone and the learned layers: entity P/R/F1, trigger
identification and classification, argument identification and classification. A learned layer
is kept only where its F1 (entities; trigger classification; argument classification) beats
the rules'; otherwise that layer stays the rules', and the model folder says which layers are
learned. The folder is a spaCy pipeline (``spacy.load``-able) with annotate's components inside,
the schema, and in ``meta.json`` under ``annotate``: the gold's identity and sizes, the layers,
the figures; its name carries a hash of its content, so its ``model_version`` names it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language

from annotate.document import Document, Event, names_only
from annotate.errors import EvaluationError
from annotate.pipeline import LearnedEvents, build_nlp
from annotate.prelabel import prelabel_documents
from annotate.quality.metrics import PRF, score_entities, score_events
from annotate.schema import Schema
from annotate.training.events import train_events
from annotate.training.gold import GoldSet
from annotate.training.model import check_model_target, save_model
from annotate.training.ner import NerStats, train_ner

DEFAULT_EVAL_SPLIT = 0.2
LAYERS = ("entities", "triggers", "arguments")
_MEASURES = {
    "entities": "entity",
    "triggers": "trigger_classification",
    "arguments": "argument_classification",
}


@dataclass
class TrainReport:
    """What ``train`` did: sizes, the layers kept, and the held-out figures of each system."""

    out: str
    model_version: str
    gold_identity: str
    train_articles: int
    eval_articles: int
    layers: dict[str, str]
    figures: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    ner: NerStats | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def held_out(documents: Sequence[Document], share: float, seed: str) -> tuple[list[Document], list[Document]]:
    """The training and held-out documents: an article is held out when the hash of ``seed`` and
    its id falls below ``share`` (the same articles every run, whatever else is added)."""
    train_part: list[Document] = []
    eval_part: list[Document] = []
    for document in documents:
        digest = hashlib.sha256(f"{seed}{document.article.id}".encode()).digest()
        (eval_part if int.from_bytes(digest[:8], "big") / 2**64 < share else train_part).append(document)
    return train_part, eval_part


def split_gold(
    documents: Sequence[Document], share: float, seed: str
) -> tuple[list[Document], list[Document]]:
    """``held_out`` that insists on articles on both sides.

    Raises:
        EvaluationError: no article to train on, or none to hold out.
    """
    train_docs, eval_docs = held_out(documents, share, seed)
    if not train_docs or not eval_docs:
        raise EvaluationError(
            f"{len(documents)} gold articles give {len(train_docs)} to train on and {len(eval_docs)} to "
            "hold out; annotate more articles or change --eval-split"
        )
    return train_docs, eval_docs


def train(
    gold: GoldSet,
    schema: Schema,
    out: str | Path,
    *,
    base_model: str | None = None,
    eval_split: float = DEFAULT_EVAL_SPLIT,
    seed: str = "annotate",
    on_step: Any = None,
) -> TrainReport:
    """Train, gate and save a model folder at ``out`` (see the module doc).

    Raises:
        EvaluationError: too little gold (at least one article to train on and one to hold out).
        ModelError: the base pipeline cannot be loaded.
        OutputError: ``out`` cannot be written, or holds something annotate did not write.
    """
    check_model_target(Path(out))
    started = time.monotonic()
    step = on_step or (lambda message: None)
    train_docs, eval_docs = split_gold(gold.documents, eval_split, seed)
    step(f"training on {len(train_docs)} articles, holding out {len(eval_docs)}")
    fitted = fit(train_docs, eval_docs, schema, base_model=base_model, on_step=step, scoring=Scoring.of(gold))
    step("saving " + str(out))
    report = TrainReport(
        str(out),
        "",
        gold.identity,
        len(train_docs),
        len(eval_docs),
        fitted.layers,
        fitted.figures,
        fitted.ner,
    )
    report.seconds = round(time.monotonic() - started, 1)
    report.model_version = save_model(fitted.nlp, schema, Path(out), gold, report.to_dict())
    return report


@dataclass
class Fitted:
    """A trained pipeline, the layers it uses and the held-out figures of each system."""

    nlp: Language
    layers: dict[str, str]
    figures: dict[str, dict[str, dict[str, float]]]
    ner: NerStats


def fit(
    train_docs: Sequence[Document],
    eval_docs: Sequence[Document],
    schema: Schema,
    *,
    base_model: str | None = None,
    gate: bool = True,
    on_step: Any = None,
    scoring: Scoring | None = None,
) -> Fitted:
    """Train every layer on ``train_docs`` and score raw, rules and learned on ``eval_docs``.

    With ``gate`` (the default) a layer is kept only where it beats the rules on ``eval_docs``;
    without, every layer that could be trained is used (the learning curve measures them so).
    """
    step = on_step or (lambda message: None)
    scoring = scoring or Scoring()

    def _figures(nlp: Language, schema: Schema, gold: Sequence[Document], *, events: bool = True) -> Figures:
        return figures_of(nlp, schema, gold, scoring, events=events)

    figures: dict[str, dict[str, dict[str, float]]] = {}
    figures["raw"] = _figures(build_nlp(schema, base_model, fixes=()), schema, eval_docs, events=False)
    figures["rules"] = _figures(build_nlp(schema, base_model), schema, eval_docs)
    step("fine-tuning the entity recognizer")
    learned = build_nlp(schema, base_model)
    ner_stats = train_ner(learned, train_docs, schema)
    entity_scores = _figures(learned, schema, eval_docs, events=False)
    keep = not gate or _beats(entity_scores, figures["rules"], "entities")
    layers = {"entities": "learned" if keep else "rules"}
    if not keep:
        learned = build_nlp(schema, base_model)
    step("training the trigger and role classifiers")
    processed = list(learned.pipe(d.article.text for d in train_docs))
    trigger_model, argument_model = train_events(processed, train_docs, schema)
    component = learned.add_pipe("annotate_learned_events", config={"schema_path": schema.path})
    assert isinstance(component, LearnedEvents)
    component.set_models(trigger_model, argument_model, {"triggers": "learned", "arguments": "rules"})
    with_triggers = _figures(learned, schema, eval_docs)
    keep = trigger_model is not None and (not gate or _beats(with_triggers, figures["rules"], "triggers"))
    layers["triggers"] = "learned" if keep else "rules"
    component.set_models(trigger_model, argument_model, {**layers, "arguments": "learned"})
    with_arguments = _figures(learned, schema, eval_docs)
    baseline = with_triggers if layers["triggers"] == "learned" else figures["rules"]
    keep = argument_model is not None and (not gate or _beats(with_arguments, baseline, "arguments"))
    layers["arguments"] = "learned" if keep else "rules"
    component.set_models(trigger_model, argument_model, layers)
    figures["learned"] = with_arguments if keep else _figures(learned, schema, eval_docs)
    return Fitted(learned, layers, figures, ner_stats)


def _beats(learned: dict[str, dict[str, float]], rules: dict[str, dict[str, float]], layer: str) -> bool:
    measure = _MEASURES[layer]
    return learned.get(measure, {}).get("f1", 0.0) > rules.get(measure, {}).get("f1", 0.0)


@dataclass(frozen=True)
class Scoring:
    """How held-out gold is scored: labels that count as one, and names only or every mention."""

    equivalent: tuple[tuple[str, ...], ...] = ()
    names_only: bool = False

    @classmethod
    def of(cls, gold: GoldSet) -> Scoring:
        return cls(gold.equivalent, gold.names_only)


Figures = dict[str, dict[str, float]]


def figures_of(
    nlp: Language, schema: Schema, gold: Sequence[Document], scoring: Scoring, *, events: bool = True
) -> Figures:
    """Entity and event P/R/F1 of ``nlp`` on ``gold`` (events scored on the types and roles it has)."""
    predicted = list(prelabel_documents([d.article for d in gold], schema, nlp=nlp))
    if scoring.names_only:
        predicted = [names_only(document) for document in predicted]
    labels = {span.label for document in gold for span in document.entities}
    found = {"entity": _prf(score_entities(predicted, gold, labels, scoring.equivalent)["ALL"])}
    if not events:
        return found
    types = {event.type for document in gold for event in document.events}
    roles = {a.role for document in gold for event in document.events for a in event.arguments}
    if types:
        kept = [_keep_roles(document, roles) for document in predicted]
        for measure, prf in score_events(kept, gold, types).items():
            if not measure.startswith("trigger:"):
                found[measure] = _prf(prf)
    return found


def _keep_roles(document: Document, roles: set[str]) -> Document:
    events = [
        Event(e.id, e.type, e.trigger, [a for a in e.arguments if a.role in roles]) for e in document.events
    ]
    return Document(document.article, document.entities, events, document.model_version)


def _prf(prf: PRF) -> dict[str, float]:
    return {"precision": round(prf.precision, 4), "recall": round(prf.recall, 4), "f1": round(prf.f1, 4)}
