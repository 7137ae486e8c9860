"""The quality report as typed objects: what ``build_report`` returns, ``to_dict`` the JSON shape.

``QualityReport.to_dict`` gives the JSON that ``annotate report --json`` writes and that
``annotate.quality.html`` renders (the HTML page also renders such a file read back, so it reads
plain mappings); code that uses a report reads these attributes instead of string paths.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from annotate.quality.agreement import AgreementCounts, AnnotatorAgreement
from annotate.quality.compare import LAYERS, Accepted, Comparison, SpanOutcome
from annotate.quality.metrics import PRF
from annotate.quality.throughput import Throughput


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 (rounded to 4 places) with the counts they come from."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    @classmethod
    def of(cls, prf: PRF) -> Scores:
        return cls(round(prf.precision, 4), round(prf.recall, 4), round(prf.f1, 4), prf.tp, prf.fp, prf.fn)


def _table(scores: dict[str, PRF]) -> dict[str, Scores]:
    return {name: Scores.of(prf) for name, prf in scores.items()}


@dataclass
class VersionQuality:
    """One model version's predictions against the gold of the tasks it predicted."""

    entities: dict[str, Scores]  # per label, ALL, SPAN
    events: dict[str, Scores]  # the four measures, trigger:<type>, role:<role>
    outcomes: dict[str, dict[str, SpanOutcome]]  # layer -> label -> what happened to its spans
    confusion: dict[str, list[tuple[str, str, int]]]  # layer -> (predicted, gold, count)
    accepted_unchanged: dict[str, dict[str, Accepted]]  # layer -> label -> spans accepted as predicted

    @classmethod
    def of(cls, found: Comparison) -> VersionQuality:
        events = _table(found["events"]) | {
            f"role:{r}": Scores.of(p) for r, p in found["argument_roles"].items()
        }
        return cls(
            entities=_table(found["entities"]),
            events=events,
            outcomes=found["outcomes"],
            confusion={
                layer: [(pred, gold, count) for (pred, gold), count in sorted(matrix.items())]
                for layer, matrix in found["confusion"].items()
            },
            accepted_unchanged=found["accepted_unchanged"],
        )

    def accepted(self) -> Accepted:
        """Entity and trigger spans accepted unchanged, out of all predicted."""
        shares = [self.accepted_unchanged.get(layer, {}).get("ALL", Accepted()) for layer in LAYERS]
        return sum(shares, Accepted())

    def to_dict(self) -> dict[str, Any]:
        return {
            "entities": {k: asdict(v) for k, v in self.entities.items()},
            "events": {k: asdict(v) for k, v in self.events.items()},
            "outcomes": {
                layer: {label: asdict(o) for label, o in by_label.items()}
                for layer, by_label in self.outcomes.items()
            },
            "confusion": {layer: [list(cell) for cell in cells] for layer, cells in self.confusion.items()},
            "accepted_unchanged": {
                layer: {label: [a.accepted, a.total] for label, a in by_label.items()}
                for layer, by_label in self.accepted_unchanged.items()
            },
        }


@dataclass
class LayerAgreement:
    """Agreement between annotators on one layer's spans."""

    exact: dict[str, Scores]
    overlap: dict[str, Scores]
    kappa: float
    alpha: float


@dataclass
class ArgumentAgreement:
    """Agreement on arguments of the triggers annotators marked alike."""

    f1: float
    pairs: int
    roles: dict[str, Scores]


@dataclass
class AgreementSection:
    """Agreement on the tasks two or more annotators completed (figures only when there are some)."""

    tasks: int
    annotators: list[str]
    entity: LayerAgreement | None = None
    trigger: LayerAgreement | None = None
    argument: ArgumentAgreement | None = None
    per_annotator: dict[str, AnnotatorAgreement] = field(default_factory=dict)

    @classmethod
    def of(cls, counts: AgreementCounts) -> AgreementSection:
        section = cls(counts.tasks, sorted(counts.annotator_tasks))
        if not counts.tasks:
            return section
        layers = {}
        for layer in LAYERS:
            tokens = counts.token_agreement(layer)
            layers[layer] = LayerAgreement(
                _table(counts.span_f1(layer, "exact")),
                _table(counts.span_f1(layer, "overlap")),
                round(tokens["kappa"], 4),
                round(tokens["alpha"], 4),
            )
        section.entity, section.trigger = layers["entity"], layers["trigger"]
        arguments = counts.argument_agreement()
        total = arguments.get("ALL", PRF())
        section.argument = ArgumentAgreement(
            round(total.f1, 4), total.tp + total.fp + total.fn, _table(arguments)
        )
        section.per_annotator = counts.per_annotator()
        return section

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"tasks": self.tasks, "annotators": self.annotators}
        if self.entity is None or self.trigger is None or self.argument is None:
            return found
        return found | {
            "entity": asdict(self.entity),
            "trigger": asdict(self.trigger),
            "argument": asdict(self.argument),
            "per_annotator": dict(self.per_annotator),
        }


@dataclass
class QualityReport:
    """A project's quality: pre-annotation vs gold per model version, agreement, throughput."""

    title: str
    generated: str
    schema_version: str
    tasks: int
    gold_tasks: int
    left_out: dict[str, int]
    prediction_vs_gold: dict[str, VersionQuality]
    agreement: AgreementSection
    throughput: dict[str, Throughput]

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (``annotate report --json``, ``annotate.quality.html``)."""
        return {
            "title": self.title,
            "generated": self.generated,
            "schema_version": self.schema_version,
            "tasks": self.tasks,
            "gold_tasks": self.gold_tasks,
            "left_out": self.left_out,
            "prediction_vs_gold": {v: q.to_dict() for v, q in self.prediction_vs_gold.items()},
            "agreement": self.agreement.to_dict(),
            "throughput": dict(self.throughput),
        }

    def summary(self) -> dict[str, Any]:
        """The headline figures, small enough for a dataset card."""
        found: dict[str, Any] = {"gold_tasks": self.gold_tasks}
        for version, quality in self.prediction_vs_gold.items():
            accepted = quality.accepted()
            found.setdefault("pre_annotation_vs_gold", {})[version] = {
                "entity_f1": quality.entities["ALL"].f1 if "ALL" in quality.entities else None,
                "trigger_classification_f1": quality.events["trigger_classification"].f1,
                "argument_classification_f1": quality.events["argument_classification"].f1,
                "spans_accepted_unchanged": f"{accepted.accepted}/{accepted.total}",
            }
        agreement = self.agreement
        if agreement.entity and agreement.trigger and agreement.argument:
            found["agreement"] = {
                "tasks": agreement.tasks,
                "annotators": len(agreement.annotators),
                "entity_f1_exact": agreement.entity.exact["ALL"].f1,
                "entity_kappa": agreement.entity.kappa,
                "entity_alpha": agreement.entity.alpha,
                "trigger_f1_exact": agreement.trigger.exact["ALL"].f1,
                "argument_f1": agreement.argument.f1,
            }
        return found
