"""``annotate evaluate``: score the pre-annotator against a gold corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from annotate.atomic import check_output, write_json
from annotate.cli._util import ModelOpt, SchemaOpt, app, out, reports_errors
from annotate.pipeline.entities import ALL_FIXES, DEFAULT_FIXES
from annotate.quality.evaluate import FORMATS, Evaluation, evaluate
from annotate.quality.metrics import PRF
from annotate.schema import load_schema


@app.command("evaluate")
@reports_errors
def evaluate_cli(
    gold: Annotated[
        Path,
        typer.Option(
            "--gold", "-g", help="Gold corpus: a file, or an `annotate export` folder.", exists=True
        ),
    ],
    corpus_format: Annotated[
        str, typer.Option("--format", "-f", help=f"Gold corpus format: {', '.join(FORMATS)}.")
    ] = "wikievents",
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    fixes: Annotated[
        str,
        typer.Option(
            "--fixes", help=f"Comma-separated entity fixes to apply ('' for none): {','.join(ALL_FIXES)}."
        ),
    ] = ",".join(DEFAULT_FIXES),
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON to this file.")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Label mapping file for a corpus whose labels differ.", exists=True),
    ] = None,
) -> None:
    """Score the pre-annotator against a gold corpus, next to a keyword baseline."""
    chosen = [fix for fix in fixes.split(",") if fix]
    if json_out is not None:
        check_output(json_out)
    report = evaluate(gold, corpus_format, load_schema(schema), model=model, fixes=chosen, mapping=mapping)
    _print_evaluation(report)
    if json_out is not None:
        write_json(json_out, report.to_dict())
        out.print(f"wrote {json_out}")


def _print_evaluation(report: Evaluation) -> None:
    table = Table(title=f"{report.corpus}: {report.documents} documents, {report.model_version}")
    for column in ("measure", "P", "R", "F1", "gold", "baseline P", "baseline R", "baseline F1"):
        table.add_column(column, justify="left" if column == "measure" else "right", no_wrap=True)
    rows: list[tuple[str, PRF, PRF | None]] = [
        (f"entity {n}", prf, None) for n, prf in report.entities.items()
    ]
    rows += [
        (name, prf, report.baseline_events.get(name))
        for name, prf in report.events.items()
        if not name.startswith("trigger:")
    ]
    for name, prf, base in rows:
        baseline = [_fmt(base.precision), _fmt(base.recall), _fmt(base.f1)] if base else ["", "", ""]
        table.add_row(
            name, _fmt(prf.precision), _fmt(prf.recall), _fmt(prf.f1), str(prf.tp + prf.fn), *baseline
        )
    out.print(table)


def _fmt(value: float) -> str:
    return f"{100 * value:.1f}"
