"""The export in two passes over the tasks, in bounded memory, into a (staging) folder.

Pass 1 (``annotate.export.parallel``, ``annotate.export.stage``) selects the gold of every task
and spills the rows of both configurations to disk, keeping in memory only what the splits and
the report need: per document its id and shingle signature, plus the problems, counts and
alignment issues. The checks that stop an export run next, in this order: invalid spans (unless
``allow_invalid``), no gold at all, a repeated document id, unreadable silver predictions,
metadata keys, rows that cannot be built. Pass 2 (``annotate.export.writer``) deals the spilled
rows to their splits and writes Parquet, DocBin and CoNLL files, counting for the card.

``build_dataset`` (in ``annotate.export.build``) is this export read back into memory.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from annotate.atomic import write_json
from annotate.errors import ExportError
from annotate.export.card import CardFacts, card_text
from annotate.export.features import documents_features, tokens_features
from annotate.export.formats import Conll, DocBins
from annotate.export.gold import POLICIES, unreadable_predictions_error
from annotate.export.parallel import stage_all
from annotate.export.report import REPORT_FILE, ExportReport, invalid_spans_error, no_gold_error
from annotate.export.splits import (
    DEFAULT_RATIOS,
    Signature,
    assign_signed_splits,
    check_ratios,
    check_unique,
)
from annotate.export.stage import StagedChunk, StageOptions, spill_schema, stage_tokenizer
from annotate.export.writer import write_configs
from annotate.quality.report import ReportAccumulator
from annotate.schema import Schema

SILVER = "silver"


def write_export(
    tasks: Iterable[dict[str, Any]],
    folder: Path,
    schema: Schema,
    *,
    name: str,
    formats: Sequence[str] = ("hf",),
    quality: Mapping[str, Any] | None = None,
    measure_quality: bool = False,
    policy: str = "latest",
    ratios: Mapping[str, float] | None = None,
    seed: str = "annotate",
    silver: bool = False,
    allow_invalid: bool = False,
    model: str | None = None,
    workers: int | None = None,
    names_only: bool = False,
    license: str | None = None,
) -> ExportReport:
    """Export ``tasks`` into the empty ``folder`` (see the module doc); ``report.out`` is left to set.

    The card quotes ``quality`` (the headline figures of a quality report), or with
    ``measure_quality`` the figures of these tasks, counted in the same pass as the rows.

    Raises:
        ExportError: see the module doc; also an unknown policy, bad ratios or a malformed snapshot.
    """
    if policy not in POLICIES:
        raise ExportError(f"unknown gold policy {policy!r}; use one of {', '.join(POLICIES)}")
    ratios = dict(ratios or DEFAULT_RATIOS)
    check_ratios(ratios)
    spill = folder / ".spill"
    spill.mkdir()
    spill_schemas = {
        "documents": spill_schema("documents", documents_features(schema, [])),
        "tokens": spill_schema("tokens", tokens_features(schema)),
    }
    options = StageOptions(schema, policy, silver, model, spill, spill_schemas, names_only, measure_quality)
    measured = ReportAccumulator(schema)
    chunks = []
    for chunk in stage_all(tasks, options, workers):
        if chunk.quality is not None:  # added as they come: one chunk's counts held at a time
            measured.merge(chunk.quality)
            chunk.quality = None
        chunks.append(chunk)
    report = ExportReport(out="", policy=policy, schema_version=schema.version)
    problems = [problem for chunk in chunks for problem in chunk.problems]
    report.problems = [asdict(p) for p in problems]
    left_out: Counter[str] = Counter()
    for chunk in chunks:
        left_out.update(chunk.left_out)
    if problems and not allow_invalid:
        raise invalid_spans_error(problems)
    ids = [doc_id for chunk in chunks for doc_id in chunk.ids]
    if not ids:
        raise no_gold_error(left_out)
    check_unique(ids, [source for chunk in chunks for source in chunk.sources])
    if measure_quality and quality is None:
        quality = measured.report(name).summary()
    del measured
    signatures: dict[
        str, Signature
    ] = {}  # one per article: its annotators' documents (per-annotator) share a split
    for chunk in chunks:
        signatures.update(dict(zip(chunk.ids, chunk.signatures, strict=True)))
        chunk.signatures.clear()
        chunk.sources.clear()
    split_of = assign_signed_splits(list(signatures), list(signatures.values()), ratios, seed)
    del ids, signatures
    silver_problems = [problem for chunk in chunks for problem in chunk.silver_problems]
    if silver_problems:
        raise unreadable_predictions_error(silver_problems)
    splits, codes = _plan(chunks, split_of, [*ratios, SILVER] if silver else list(ratios))
    meta_keys = sorted({key for chunk in chunks for key in chunk.meta_keys})
    features = {"documents": documents_features(schema, meta_keys), "tokens": tokens_features(schema)}
    _raise_row_error(chunks, codes)

    sinks: list[DocBins | Conll] = []
    if "spacy" in formats:
        sinks.append(DocBins(folder / "spacy", stage_tokenizer(model), schema, names_only=names_only))
    if "conll" in formats:
        sinks.append(Conll(folder / "conll", schema))
    out = folder if "hf" in formats else spill / "unused"  # counted for the card all the same
    stats = write_configs(spill, codes, splits, features, out, sinks)
    for sink in sinks:
        sink.close(splits)
    shutil.rmtree(spill)

    report.splits = dict(stats.rows["documents"])
    report.left_out = dict(left_out)
    issues = [
        (int(codes[chunk.number][document]), chunk.number, document, issue)
        for chunk in chunks
        for document, issue in chunk.issues
    ]
    report.alignment = [asdict(issue) for *_, issue in sorted(issues, key=lambda item: item[:3])]
    report.annotators = len(set().union(*(chunk.annotators for chunk in chunks)))
    report.silver = report.splits.get(SILVER, 0)
    report.model_versions = sorted(set().union(*(chunk.model_versions for chunk in chunks)))
    facts = CardFacts(
        name=name,
        policy=policy,
        schema=schema,
        annotators=report.annotators,
        model_versions=report.model_versions,
        left_out=left_out,
        problems=len(report.problems),
        alignment_issues=len(report.alignment),
        silver=bool(report.silver),
        quality=quality,
        license=license,
    )
    (folder / "README.md").write_text(card_text(stats, facts), encoding="utf-8")
    return report


def write_report(folder: Path, report: ExportReport) -> None:
    """Write ``export_report.json`` into ``folder``."""
    write_json(folder / REPORT_FILE, asdict(report))


def _plan(
    chunks: Sequence[StagedChunk], split_of: Mapping[str, str], names: list[str]
) -> tuple[list[str], list[npt.NDArray[np.int16]]]:
    """The splits that get documents (in the order of ``names``) and, per chunk, the index among
    them of the split of every document (silver ones, numbered after the gold, last)."""
    codes = [
        np.array(
            [names.index(split_of[doc_id]) for doc_id in chunk.ids] + [len(names) - 1] * chunk.silver,
            dtype=np.int64,
        )
        for chunk in chunks
    ]
    used = np.zeros(len(names), dtype=bool)
    for chunk_codes in codes:
        used[chunk_codes] = True
    renumber = np.cumsum(used) - 1  # index in names -> index among the splits used
    splits = [name for name, is_used in zip(names, used.tolist(), strict=True) if is_used]
    return splits, [renumber[chunk_codes].astype(np.int16) for chunk_codes in codes]


def _raise_row_error(chunks: Sequence[StagedChunk], codes: Sequence[npt.NDArray[np.int16]]) -> None:
    """Raise the error of the first document without a row, in split order, then task order."""
    errors = [
        (int(codes[chunk.number][document]), chunk.number, document, message)
        for chunk in chunks
        for document, message in chunk.errors
    ]
    if errors:
        raise ExportError(min(errors)[3])
