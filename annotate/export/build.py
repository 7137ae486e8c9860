"""Build the gold dataset from a snapshot and write it: Parquet + card, spaCy DocBin, CoNLL.

``export`` writes both configurations under one folder, atomically: everything goes to a
temporary folder beside the target, which replaces the previous export only once complete. It
streams (``annotate.export.stream``): memory does not grow with the snapshot, and a large
snapshot file is read by several processes at once.

``build_dataset`` makes the same ``documents`` and ``tokens`` configurations in memory, as
``DatasetDict`` s (for small inputs: every document and row is held at once).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict

from annotate.document import Document
from annotate.errors import ExportError
from annotate.export.features import documents_features, tokens_features
from annotate.export.gold import select_gold, silver_documents
from annotate.export.report import REPORT_FILE, ExportReport, invalid_spans_error, no_gold_error
from annotate.export.snapshot import read_snapshot
from annotate.export.splits import assign_splits, check_ratios
from annotate.export.stream import write_export, write_report
from annotate.export.target import check_target, finish, staging_folder
from annotate.export.views import AlignmentIssue, document_row, load_tokenizer, token_rows
from annotate.schema import Schema

__all__ = [
    "FORMATS",
    "REPORT_FILE",
    "BuiltDataset",
    "ExportReport",
    "build_dataset",
    "export",
    "read_snapshot",
]

FORMATS = ("hf", "spacy", "conll")
DEFAULT_RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}


@dataclass
class BuiltDataset:
    """The two configurations, per split, and the report of how they were made."""

    configs: dict[str, DatasetDict]
    documents: dict[str, list[Document]]
    report: ExportReport


def build_dataset(
    tasks: Iterable[dict[str, Any]],
    schema: Schema,
    *,
    policy: str = "latest",
    ratios: dict[str, float] | None = None,
    seed: str = "annotate",
    silver: bool = False,
    allow_invalid: bool = False,
    model: str | None = None,
) -> BuiltDataset:
    """Select the gold, check every span, and build both configurations split by article.

    Raises:
        ExportError: invalid spans were found (unless ``allow_invalid``; the message lists them),
            or there is no gold at all.
    """
    selection = select_gold(tasks, schema, policy)
    report = ExportReport(out="", policy=policy, schema_version=schema.version)
    report.problems = [asdict(p) for p in selection.problems]
    if selection.problems and not allow_invalid:
        raise invalid_spans_error(selection.problems)
    gold = selection.documents
    if not gold:
        raise no_gold_error(selection.left_out)
    ratios = ratios or DEFAULT_RATIOS
    split_of = assign_splits(gold, ratios, seed=seed)
    documents: dict[str, list[Document]] = {split: [] for split in ratios}
    for doc in gold:
        documents[split_of[doc.article.id]].append(doc)
    if silver:
        documents["silver"] = silver_documents(selection.unannotated_tasks, schema)
    documents = {split: docs for split, docs in documents.items() if docs}
    meta_keys = sorted({key for docs in documents.values() for doc in docs for key in doc.article.meta})
    tokenizer = load_tokenizer(model)
    configs: dict[str, DatasetDict] = {"documents": DatasetDict(), "tokens": DatasetDict()}
    issues: list[AlignmentIssue] = []
    doc_features, tok_features = documents_features(schema, meta_keys), tokens_features(schema)
    for split, docs in documents.items():
        rows = [document_row(doc, meta_keys) for doc in docs]
        configs["documents"][split] = Dataset.from_list(rows, features=doc_features)
        sentences, found = token_rows(docs, tokenizer)
        issues += found
        configs["tokens"][split] = Dataset.from_list(sentences, features=tok_features)
    report.splits = {split: len(docs) for split, docs in documents.items()}
    report.left_out = dict(selection.left_out)
    report.alignment = [asdict(issue) for issue in issues]
    report.annotators = len(selection.annotators)
    report.silver = len(documents.get("silver", []))
    report.model_versions = sorted(
        {s.model_version for docs in documents.values() for d in docs for s in d.entities if s.model_version}
        | {
            e.trigger.model_version
            for docs in documents.values()
            for d in docs
            for e in d.events
            if e.trigger.model_version
        }
    )
    return BuiltDataset(configs, documents, report)


def export(
    tasks: Iterable[dict[str, Any]],
    out: str | Path,
    schema: Schema,
    *,
    name: str | None = None,
    formats: Iterable[str] = ("hf",),
    quality: dict[str, Any] | None = None,
    measure_quality: bool = False,
    push_to_hub: str | None = None,
    workers: int | None = None,
    **options: Any,
) -> ExportReport:
    """Build the dataset and write it under ``out``, replacing a previous export only on success.

    ``out`` must be new, an empty folder, or an earlier export holding only what it wrote
    (``annotate.export.target``); this is checked before any work starts.

    ``options`` are those of ``build_dataset``. ``workers`` is the number of processes that read a
    large snapshot file (``read_snapshot``) at once; default: one per CPU, at most 4. The card
    quotes ``quality`` (``annotate.quality.report.quality_summary``), or with ``measure_quality``
    the figures of ``tasks`` themselves, counted in the same pass (and the same processes).

    ``license`` (a Hub licence id) goes into the card; it is required with ``push_to_hub``. With
    ``push_to_hub``, the configurations are uploaded with ``datasets``' own
    ``DatasetDict.push_to_hub`` (token from the usual Hugging Face settings), then the card.
    """
    check_hub_license(push_to_hub, options.get("license"))
    formats = list(formats)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ExportError(f"unknown export format(s) {', '.join(unknown)}; use {', '.join(FORMATS)}")
    out = Path(out)
    check_target(out)
    if "ratios" in options:
        check_ratios(options["ratios"] or DEFAULT_RATIOS)
    staging = staging_folder(out)
    try:
        report = write_export(
            tasks,
            staging,
            schema,
            name=name or out.name,
            formats=formats,
            quality=quality,
            measure_quality=measure_quality,
            workers=workers,
            **options,
        )
        report.out = str(out)
        write_report(staging, report)
        finish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if push_to_hub:
        _push_to_hub(out, push_to_hub)
    return report


def check_hub_license(push_to_hub: str | None, license: str | None) -> None:
    """Raise ``ExportError`` when an export is to be pushed to the Hub without its licence."""
    if push_to_hub and not license:
        raise ExportError(
            f"pushing to the Hub ({push_to_hub}) needs the data's licence: pass --license "
            "(a Hub licence id such as cc-by-4.0), so the card states it"
        )


def _push_to_hub(out: Path, repo: str) -> None:
    import datasets
    from huggingface_hub import HfApi

    try:
        for config in ("documents", "tokens"):
            loaded = datasets.load_dataset(str(out), config)
            loaded.push_to_hub(repo, config_name=config)
        HfApi().upload_file(
            path_or_fileobj=str(out / "README.md"),
            path_in_repo="README.md",
            repo_id=repo,
            repo_type="dataset",
        )
    except Exception as error:
        raise ExportError(
            f"the export is written to {out}, but uploading it to {repo!r} failed: {error}"
        ) from None
