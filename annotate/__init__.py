"""annotate: pre-annotate news with entities and events, correct them in Label Studio, export datasets.

The public API, in the order of the loop::

    from annotate import load_schema, read_articles, prelabel

    schema = load_schema("schemas/news.yaml")
    tasks = prelabel(read_articles(["seeds/"]), schema)   # lazily, one Label Studio task per article
"""

from __future__ import annotations

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

__all__ = [
    "AlignmentError",
    "AnnotateError",
    "Argument",
    "Article",
    "ArticleError",
    "Document",
    "EvaluationError",
    "Event",
    "ExportError",
    "ModelError",
    "OffsetMap",
    "ReadReport",
    "Schema",
    "SchemaError",
    "Span",
    "StudioError",
    "__version__",
    "build_nlp",
    "label_config",
    "load_schema",
    "model_version",
    "normalize_text",
    "normalize_with_offsets",
    "prelabel",
    "prelabel_documents",
    "prelabel_files",
    "read_articles",
]
