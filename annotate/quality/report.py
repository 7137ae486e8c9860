"""The quality report of a project: pre-annotation vs gold, agreement between annotators, throughput.

``build_report`` reads snapshot tasks as a stream and returns one JSON-ready dict; the CLI prints
a summary, writes it as JSON and renders it as a self-contained HTML page
(``annotate.quality.html``). Memory is bounded by what agreement needs, not by the snapshot: a
``ReportAccumulator`` compares each task's predictions with its gold as the task goes by and adds
the counts (every figure is a micro average of counts, so the sum over tasks is the figure over
the whole snapshot), adds each task two or more annotators completed to the agreement counts
(``annotate.quality.agreement.AgreementCounts``), and keeps one id per gold task (to refuse
repeated ids) and one lead time per annotation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from annotate.document import Document
from annotate.errors import EvaluationError
from annotate.export.gold import annotation_order, annotator_id, select_gold
from annotate.labelstudio.reader import prediction_to_document
from annotate.quality.agreement import AgreementCounts
from annotate.quality.compare import Accepted, Comparison, SpanOutcome, compare_by_model_version
from annotate.quality.metrics import PRF
from annotate.quality.results import AgreementSection, QualityReport, VersionQuality
from annotate.quality.throughput import throughput
from annotate.schema import Schema

T = TypeVar("T", PRF, SpanOutcome, Accepted)


def prediction_vs_gold(
    tasks: list[dict[str, Any]], gold: list[Document], schema: Schema
) -> dict[str, VersionQuality]:
    """Compare each model version's predictions with the gold of the same tasks, all in memory."""
    gold_ids = {doc.article.id for doc in gold}
    predicted: list[Document] = []
    for task in tasks:
        if str((task.get("data") or {}).get("doc_id", "")) in gold_ids:
            for prediction in task.get("predictions") or []:
                predicted.append(prediction_to_document(task, prediction, schema)[0])
    by_version = compare_by_model_version(predicted, gold, by_type=False)
    return {version: VersionQuality.of(found) for version, found in by_version.items()}


def _shared_tasks(documents: list[Document]) -> dict[str, dict[str, Document]]:
    """The tasks two or more annotators completed: task id -> annotator -> their document."""
    by_task: dict[str, dict[str, Document]] = defaultdict(dict)
    for document in documents:
        by_task[document.article.id][document.annotator or "unknown"] = document
    return {doc_id: docs for doc_id, docs in by_task.items() if len(docs) >= 2}


def annotator_agreement(tasks: list[dict[str, Any]], schema: Schema) -> AgreementSection:
    """Agreement on the tasks that two or more annotators completed, all in memory."""
    counts = AgreementCounts()
    for doc_id, docs in sorted(_shared_tasks(select_gold(tasks, schema, "per-annotator").documents).items()):
        counts.add(doc_id, docs)
    return AgreementSection.of(counts)


class ReportAccumulator:
    """The report's figures, added task by task (see the module doc)."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.tasks = 0
        self.gold_ids: set[str] = set()
        self.left_out: Counter[str] = Counter()
        self.by_version: dict[str, Comparison] = {}
        self.agreement = AgreementCounts()
        self.lead_times: list[tuple[str, float | None]] = []

    def add(self, task: dict[str, Any]) -> None:
        """Count one snapshot task.

        Raises:
            EvaluationError: a second task with the same document id.
        """
        self.tasks += 1
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict)]
        done = sorted((a for a in annotations if not a.get("was_cancelled")), key=annotation_order)
        self.lead_times += [(annotator_id(a), a.get("lead_time")) for a in done]
        if len({annotator_id(a) for a in done}) >= 2:  # read every annotation once, for both uses
            every = select_gold([task], self.schema, "per-annotator", keep_unannotated=False)
            for doc_id, docs in _shared_tasks(every.documents).items():
                self.agreement.add(doc_id, docs)
            truth = [i for i, a in enumerate(done) if a.get("ground_truth")]
            gold = [every.documents[(truth or [len(done) - 1])[-1]]]  # the "latest" policy's choice
        else:
            latest = select_gold([task], self.schema, "latest", keep_unannotated=False)
            self.left_out.update(latest.left_out)
            gold = latest.documents
        for document in gold:
            self._compare(task, document)

    def _compare(self, task: dict[str, Any], document: Document) -> None:
        if document.article.id in self.gold_ids:
            raise EvaluationError(f"document id {document.article.id!r} is repeated in the snapshot")
        self.gold_ids.add(document.article.id)
        predicted = [
            prediction_to_document(task, prediction, self.schema)[0]
            for prediction in task.get("predictions") or []
            if isinstance(prediction, dict)
        ]
        for version, found in compare_by_model_version(predicted, [document], by_type=False).items():
            known = self.by_version.get(version)
            self.by_version[version] = found if known is None else _added(known, found)

    def merge(self, other: ReportAccumulator) -> None:
        """Add the figures of ``other`` (the tasks after this one's, e.g. another chunk's).

        Raises:
            EvaluationError: a document id counted in both.
        """
        repeated = self.gold_ids & other.gold_ids
        if repeated:
            raise EvaluationError(f"document id {min(repeated)!r} is repeated in the snapshot")
        self.tasks += other.tasks
        self.gold_ids |= other.gold_ids
        self.left_out += other.left_out
        for version, found in other.by_version.items():
            known = self.by_version.get(version)
            self.by_version[version] = found if known is None else _added(known, found)
        self.agreement.merge(other.agreement)
        self.lead_times += other.lead_times

    def report(self, title: str) -> QualityReport:
        """The whole report (``QualityReport.to_dict`` is the shape ``annotate.quality.html`` renders)."""
        return QualityReport(
            title=title,
            generated=datetime.now(UTC).isoformat(timespec="seconds"),
            schema_version=self.schema.version,
            tasks=self.tasks,
            gold_tasks=len(self.gold_ids),
            left_out=dict(self.left_out),
            prediction_vs_gold={v: VersionQuality.of(self.by_version[v]) for v in sorted(self.by_version)},
            agreement=AgreementSection.of(self.agreement),
            throughput=dict(throughput(self.lead_times)),
        )


def build_report(
    tasks: Iterable[dict[str, Any]], schema: Schema, *, title: str = "annotate quality report"
) -> QualityReport:
    """The whole report of ``tasks``, read once as a stream (see the module doc)."""
    accumulator = ReportAccumulator(schema)
    for task in tasks:
        accumulator.add(task)
    return accumulator.report(title)


def _added(a: Comparison, b: Comparison) -> Comparison:
    """The counts of two comparisons added, label by label."""
    return Comparison(
        entities=_sum(a["entities"], b["entities"]),
        events=_sum(a["events"], b["events"]),
        event_types={
            name: _sum(a["event_types"].get(name, {}), b["event_types"].get(name, {}))
            for name in sorted(a["event_types"].keys() | b["event_types"].keys())
        },
        argument_roles=_sum(a["argument_roles"], b["argument_roles"]),
        outcomes={layer: _sum(a["outcomes"][layer], b["outcomes"][layer]) for layer in a["outcomes"]},
        confusion={
            layer: dict(sorted((Counter(a["confusion"][layer]) + Counter(b["confusion"][layer])).items()))
            for layer in a["confusion"]
        },
        accepted_unchanged={
            layer: _sum(a["accepted_unchanged"].get(layer, {}), b["accepted_unchanged"].get(layer, {}))
            for layer in a["accepted_unchanged"].keys() | b["accepted_unchanged"].keys()
        },
    )


def _sum(a: Mapping[str, T], b: Mapping[str, T]) -> dict[str, T]:
    """Label-wise sum of two tables of counts (a label missing on one side counts as zero)."""
    summed = dict(a)
    for label, value in b.items():
        summed[label] = summed[label] + value if label in summed else value
    return summed
