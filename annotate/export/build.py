"""Build the gold dataset from a snapshot and write it: Parquet + card, spaCy DocBin, CoNLL.

``export`` writes both configurations under one folder, atomically: everything goes to a
temporary folder beside the target, which replaces the previous export only once complete. It
streams (``annotate.export.stream``): memory does not grow with the snapshot, and a large
snapshot file is read by several processes at once.

``build_dataset`` gives the same ``documents`` and ``tokens`` configurations in memory, as
``DatasetDict`` s: the same export, written to a temporary folder and read back (one code path).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict

from annotate.errors import ExportError
from annotate.export.card import CONFIGS
from annotate.export.report import REPORT_FILE, ExportReport
from annotate.export.snapshot import read_snapshot
from annotate.export.splits import check_ratios
from annotate.export.stream import write_export, write_report
from annotate.export.target import check_target, finish, staging_folder
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
    report: ExportReport


def build_dataset(
    tasks: Iterable[dict[str, Any]], schema: Schema, *, workers: int | None = 1, **options: Any
) -> BuiltDataset:
    """Both configurations in memory, as ``DatasetDict`` s: the export itself (the same code,
    ``write_export``) written to a temporary folder and read back, so the rows, features, splits
    and report are the ones ``export`` writes. ``options`` are ``export``'s.

    Raises:
        ExportError: as ``export``: invalid spans (unless ``allow_invalid``), no gold at all, ...
    """
    with tempfile.TemporaryDirectory(prefix="annotate-dataset-") as scratch:
        folder = Path(scratch) / "dataset"
        folder.mkdir()
        report = write_export(tasks, folder, schema, name="dataset", workers=workers, **options)
        cache = str(Path(scratch) / "cache")
        configs = {config: _read_back(folder / config, list(report.splits), cache) for config in CONFIGS}
    return BuiltDataset(configs, report)


def _read_back(folder: Path, splits: list[str], cache: str) -> DatasetDict:
    """The Parquet files of one configuration, split by split, held in memory."""
    files = sorted(folder.glob("*.parquet"))
    found = {split: [str(p) for p in files if p.name.startswith(f"{split}-")] for split in splits}
    return DatasetDict(
        {
            split: Dataset.from_parquet(paths, keep_in_memory=True, cache_dir=cache)
            for split, paths in found.items()
            if paths
        }
    )


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
    quotes ``quality`` (``QualityReport.summary()``), or with ``measure_quality``
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
