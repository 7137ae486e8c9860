"""What an export did and left out (``export_report.json``), and the errors that stop it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotate.errors import ExportError
from annotate.labelstudio.reader import SpanProblem

REPORT_FILE = "export_report.json"


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


def invalid_spans_error(problems: Sequence[SpanProblem]) -> ExportError:
    """The error for invalid spans in the annotations (the first 20 listed)."""
    listed = "\n  ".join(
        f"task {p.task_id} ({p.doc_id}) region {p.region_id}: {p.what}" for p in problems[:20]
    )
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    return ExportError(
        f"{len(problems)} invalid spans in the annotations:\n  {listed}{more}\n"
        "fix them in Label Studio, or export with --allow-invalid to leave them out (then listed "
        f"in {REPORT_FILE})"
    )


def no_gold_error(left_out: Mapping[str, int]) -> ExportError:
    """The error for a snapshot without a single gold annotation."""
    return ExportError(f"no gold annotation to export (left out: {dict(left_out) or 'nothing'})")
