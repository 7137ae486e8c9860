"""Build the gold dataset from a snapshot and write it: Parquet + card, spaCy DocBin, CoNLL.

``build_dataset`` turns snapshot tasks into a ``documents`` and a ``tokens`` ``DatasetDict``;
``export`` writes them under one folder, atomically: everything goes to a temporary folder beside
the target, which replaces the previous export only once complete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import datasets
from datasets import Dataset, DatasetDict

from annotate.atomic import write_json
from annotate.document import Document
from annotate.errors import ExportError
from annotate.export.card import CardFacts, card_text
from annotate.export.features import documents_features, tokens_features
from annotate.export.gold import select_gold, silver_documents
from annotate.export.splits import assign_splits
from annotate.export.views import AlignmentIssue, document_row, load_tokenizer, token_rows
from annotate.schema import Schema

FORMATS = ("hf", "spacy", "conll")
REPORT_FILE = "export_report.json"
DEFAULT_RATIOS = {"train": 0.8, "validation": 0.1, "test": 0.1}


@dataclass
class ExportReport:
    """What an export did, and everything it left out (written as ``export_report.json``)."""

    out: str
    policy: str
    splits: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    alignment: list[dict[str, Any]] = field(default_factory=list)
    annotators: int = 0
    silver: int = 0
    schema_version: str = ""
    model_versions: list[str] = field(default_factory=list)


@dataclass
class BuiltDataset:
    """The two configurations, per split, and the report of how they were made."""

    configs: dict[str, DatasetDict]
    documents: dict[str, list[Document]]
    report: ExportReport


def read_snapshot(path: str | Path) -> Iterator[dict[str, Any]]:
    """Stream the tasks of a snapshot written by ``annotate pull``."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise ExportError(
            f"{path}: cannot read the snapshot ({error.strerror}); write one with `annotate pull`"
        ) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as error:
                    raise ExportError(
                        f"{path}:{number}: malformed JSON ({error.msg}); pull the snapshot again"
                    ) from None


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
        listed = "\n  ".join(
            f"task {p.task_id} ({p.doc_id}) region {p.region_id}: {p.what}" for p in selection.problems[:20]
        )
        more = f"\n  ... and {len(selection.problems) - 20} more" if len(selection.problems) > 20 else ""
        raise ExportError(
            f"{len(selection.problems)} invalid spans in the annotations:\n  {listed}{more}\n"
            "fix them in Label Studio, or export with --allow-invalid to leave them out (then listed "
            f"in {REPORT_FILE})"
        )
    gold = selection.documents
    if not gold:
        raise ExportError(f"no gold annotation to export (left out: {dict(selection.left_out) or 'nothing'})")
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
    push_to_hub: str | None = None,
    **options: Any,
) -> ExportReport:
    """Build the dataset and write it under ``out``, replacing a previous export only on success.

    With ``push_to_hub``, the configurations are uploaded with ``datasets``' own
    ``DatasetDict.push_to_hub`` (token from the usual Hugging Face settings), then the card.
    """
    formats = list(formats)
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ExportError(f"unknown export format(s) {', '.join(unknown)}; use {', '.join(FORMATS)}")
    built = build_dataset(tasks, schema, **options)
    out = Path(out)
    built.report.out = str(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        datasets.disable_progress_bars()
        if "hf" in formats:
            for config, dataset in built.configs.items():
                for split, part in dataset.items():
                    (staging / config).mkdir(exist_ok=True)
                    part.to_parquet(str(staging / config / f"{split}-00000-of-00001.parquet"))
        facts = CardFacts(
            name=name or out.name, policy=built.report.policy, schema=schema,
            annotators=built.report.annotators, model_versions=built.report.model_versions,
            left_out=Counter(built.report.left_out), problems=len(built.report.problems),
            alignment_issues=len(built.report.alignment), silver=bool(built.report.silver), quality=quality,
        )  # fmt: skip
        (staging / "README.md").write_text(card_text(built.configs, facts), encoding="utf-8")
        if "spacy" in formats or "conll" in formats:
            from annotate.export.formats import write_conll, write_docbins

            if "spacy" in formats:
                write_docbins(built.documents, staging / "spacy", load_tokenizer(options.get("model")))
            if "conll" in formats:
                write_conll(built.configs["tokens"], staging / "conll")
        write_json(staging / REPORT_FILE, asdict(built.report))
        _replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if push_to_hub:
        _push_to_hub(built, out, push_to_hub)
    return built.report


def _push_to_hub(built: BuiltDataset, out: Path, repo: str) -> None:
    from huggingface_hub import HfApi

    try:
        for config, dataset in built.configs.items():
            dataset.push_to_hub(repo, config_name=config)
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


def _replace(staging: Path, out: Path) -> None:
    """Swap the finished folder in; the old export is removed only after the swap."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
