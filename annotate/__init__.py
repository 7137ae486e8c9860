"""annotate: pre-annotate news with entities and events, correct them in Label Studio, export datasets.

The public API, in the order of the loop (schema → articles → prelabel → Label Studio → export →
quality → training)::

    from annotate import Studio, export_dataset, load_schema, prelabel, pull, push
    from annotate import read_articles, read_snapshot

    schema = load_schema()                                # the schema shipped with the package
    tasks = prelabel(read_articles(["seeds/"]), schema)   # lazily, one Label Studio task per article
    with Studio.connect() as studio:                      # URL and key from the environment
        push(studio, "news", tasks, schema)
        pull(studio, "news", "snapshot.jsonl")
    export_dataset(read_snapshot("snapshot.jsonl"), "exports/news", schema, measure_quality=True)

The network (``Studio``, ``push``, ``pull``, ``retrieve_predictions``), the export and the training
are imported on first use, so ``import annotate`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from annotate.articles import ReadReport, read_articles
from annotate.document import Argument, Article, Document, Event, Span
from annotate.errors import (
    AlignmentError,
    AnnotateError,
    ArticleError,
    EvaluationError,
    ExportError,
    ModelError,
    SchemaError,
    StudioError,
)
from annotate.labelstudio.labelconfig import label_config
from annotate.offsets import OffsetMap, normalize_text, normalize_with_offsets
from annotate.pipeline import build_nlp, model_version
from annotate.prelabel import prelabel, prelabel_documents, prelabel_files
from annotate.schema import Schema, load_schema
from annotate.version import __version__

if TYPE_CHECKING:
    from annotate.export.build import BuiltDataset, build_dataset
    from annotate.export.build import export as export_dataset
    from annotate.export.report import ExportReport
    from annotate.export.snapshot import read_snapshot
    from annotate.quality.report import build_report
    from annotate.studio.client import Studio
    from annotate.studio.pull import pull
    from annotate.studio.push import push
    from annotate.studio.retrieval import retrieve_predictions
    from annotate.training.gold import GoldSource, load_gold
    from annotate.training.train import train

#: Names imported from their modules (``module`` or ``module:name``) on first use: the network,
#: datasets and training stacks.
_LAZY = {
    "BuiltDataset": "annotate.export.build",
    "ExportReport": "annotate.export.report",
    "GoldSource": "annotate.training.gold",
    "Studio": "annotate.studio.client",
    "build_dataset": "annotate.export.build",
    "build_report": "annotate.quality.report",
    "export_dataset": "annotate.export.build:export",  # ``annotate.export`` is the package
    "load_gold": "annotate.training.gold",
    "pull": "annotate.studio.pull",
    "push": "annotate.studio.push",
    "read_snapshot": "annotate.export.snapshot",
    "retrieve_predictions": "annotate.studio.retrieval",
    "train": "annotate.training.train",
}


def __getattr__(name: str) -> Any:
    """Import a name of ``_LAZY`` from its module when it is first asked for."""
    if name in _LAZY:
        module, _, attribute = _LAZY[name].partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'annotate' has no attribute {name!r}")


__all__ = [
    "AlignmentError",
    "AnnotateError",
    "Argument",
    "Article",
    "ArticleError",
    "BuiltDataset",
    "Document",
    "EvaluationError",
    "Event",
    "ExportError",
    "ExportReport",
    "GoldSource",
    "ModelError",
    "OffsetMap",
    "ReadReport",
    "Schema",
    "SchemaError",
    "Span",
    "Studio",
    "StudioError",
    "__version__",
    "build_dataset",
    "build_nlp",
    "build_report",
    "export_dataset",
    "label_config",
    "load_gold",
    "load_schema",
    "model_version",
    "normalize_text",
    "normalize_with_offsets",
    "prelabel",
    "prelabel_documents",
    "prelabel_files",
    "pull",
    "push",
    "read_articles",
    "read_snapshot",
    "retrieve_predictions",
    "train",
]
