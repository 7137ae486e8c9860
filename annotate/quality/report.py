"""The quality report of a project: pre-annotation vs gold, agreement between annotators, throughput.

``build_report`` reads snapshot tasks and returns one JSON-ready dict; the CLI prints a summary,
writes it as JSON and renders it as a self-contained HTML page (``annotate.quality.html``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from annotate.document import Document
from annotate.export.gold import annotator_id, select_gold
from annotate.labelstudio.reader import prediction_to_document
from annotate.quality import agreement
from annotate.quality.compare import Comparison, compare_by_model_version
from annotate.quality.metrics import PRF
from annotate.schema import Schema


def _prf(prf: PRF) -> dict[str, float]:
    return {
        "precision": round(prf.precision, 4),
        "recall": round(prf.recall, 4),
        "f1": round(prf.f1, 4),
        "tp": prf.tp,
        "fp": prf.fp,
        "fn": prf.fn,
    }


def _table(scores: dict[str, PRF]) -> dict[str, dict[str, float]]:
    return {name: _prf(prf) for name, prf in scores.items()}


def _comparison_section(found: Comparison) -> dict[str, Any]:
    events = _table(found["events"])
    events |= {f"role:{role}": _prf(prf) for role, prf in found["argument_roles"].items()}
    return {
        "entities": _table(found["entities"]),
        "events": events,
        "outcomes": {
            layer: {label: asdict(outcome) for label, outcome in outcomes.items()}
            for layer, outcomes in found["outcomes"].items()
        },
        "confusion": {
            layer: [[pred, gold, count] for (pred, gold), count in sorted(matrix.items())]
            for layer, matrix in found["confusion"].items()
        },
        "accepted_unchanged": {
            layer: {label: [a.accepted, a.total] for label, a in shares.items()}
            for layer, shares in found["accepted_unchanged"].items()
        },
    }


def prediction_vs_gold(tasks: list[dict[str, Any]], gold: list[Document], schema: Schema) -> dict[str, Any]:
    """Compare each model version's predictions with the gold of the same tasks."""
    gold_ids = {doc.article.id for doc in gold}
    predicted: list[Document] = []
    for task in tasks:
        if str((task.get("data") or {}).get("doc_id", "")) in gold_ids:
            for prediction in task.get("predictions") or []:
                predicted.append(prediction_to_document(task, prediction, schema)[0])
    by_version = compare_by_model_version(predicted, gold)
    return {version: _comparison_section(found) for version, found in by_version.items()}


def annotator_agreement(tasks: list[dict[str, Any]], schema: Schema) -> dict[str, Any]:
    """Agreement on the tasks that two or more annotators completed."""
    selection = select_gold(tasks, schema, "per-annotator")
    by_task: dict[str, dict[str, Document]] = defaultdict(dict)
    for document in selection.documents:
        by_task[document.article.id][document.annotator or "unknown"] = document
    shared = {doc_id: docs for doc_id, docs in by_task.items() if len(docs) >= 2}
    annotators = sorted({name for docs in shared.values() for name in docs})
    section: dict[str, Any] = {"tasks": len(shared), "annotators": annotators}
    if not shared:
        return section
    for layer in ("entity", "trigger"):
        tokens = agreement.token_agreement(shared, layer)
        section[layer] = {
            "exact": _table(agreement.pairwise_span_f1(shared, layer, "exact")),
            "overlap": _table(agreement.pairwise_span_f1(shared, layer, "overlap")),
            "kappa": round(tokens["kappa"], 4),
            "alpha": round(tokens["alpha"], 4),
        }
    arguments = agreement.argument_agreement(shared)
    total = arguments.get("ALL", PRF())
    section["argument"] = {
        "f1": round(total.f1, 4),
        "pairs": total.tp + total.fp + total.fn,
        "roles": _table(arguments),
    }
    section["per_annotator"] = dict(agreement.per_annotator(shared))
    return section


def build_report(
    tasks: Iterable[dict[str, Any]], schema: Schema, *, title: str = "annotate quality report"
) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (the shape ``annotate.quality.html`` renders)."""
    tasks = list(tasks)
    gold = select_gold(tasks, schema, "latest")
    lead_times = [
        (annotator_id(a), a.get("lead_time"))
        for task in tasks
        for a in task.get("annotations") or []
        if not a.get("was_cancelled")
    ]
    return {
        "title": title,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_version": schema.version,
        "tasks": len(tasks),
        "gold_tasks": len(gold.documents),
        "left_out": dict(gold.left_out),
        "prediction_vs_gold": prediction_vs_gold(tasks, gold.documents, schema),
        "agreement": annotator_agreement(tasks, schema),
        "throughput": dict(agreement.throughput(lead_times)),
    }


def quality_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of a report, small enough for a dataset card."""
    summary: dict[str, Any] = {"gold_tasks": report.get("gold_tasks", 0)}
    for version, section in (report.get("prediction_vs_gold") or {}).items():
        shares = [section["accepted_unchanged"][layer].get("ALL", [0, 0]) for layer in ("entity", "trigger")]
        accepted, total = sum(a for a, _ in shares), sum(t for _, t in shares)
        summary.setdefault("pre_annotation_vs_gold", {})[version] = {
            "entity_f1": section["entities"].get("ALL", {}).get("f1"),
            "trigger_classification_f1": section["events"]["trigger_classification"]["f1"],
            "argument_classification_f1": section["events"]["argument_classification"]["f1"],
            "spans_accepted_unchanged": f"{accepted}/{total}",
        }
    agreement = report.get("agreement") or {}
    if agreement.get("tasks"):
        summary["agreement"] = {
            "tasks": agreement["tasks"],
            "annotators": len(agreement["annotators"]),
            "entity_f1_exact": agreement["entity"]["exact"]["ALL"]["f1"],
            "entity_kappa": agreement["entity"]["kappa"],
            "entity_alpha": agreement["entity"]["alpha"],
            "trigger_f1_exact": agreement["trigger"]["exact"]["ALL"]["f1"],
            "argument_f1": agreement["argument"]["f1"],
        }
    return summary
