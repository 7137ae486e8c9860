"""``annotate report``: how good the pre-annotations were, how much annotators agree, throughput."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from annotate.atomic import check_output, write_json
from annotate.cli._util import SchemaOpt, app, out, reports_errors
from annotate.cli.studio_sync import InsecureOpt, KeyOpt, UrlOpt, snapshot_source
from annotate.export.build import read_snapshot
from annotate.quality.html import write_report_html
from annotate.quality.report import build_report
from annotate.quality.results import QualityReport
from annotate.schema import load_schema


@app.command("report")
@reports_errors
def report_cli(
    project: Annotated[str | None, typer.Option("--project", "-p", help="Pull this project first.")] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option("--from", help="A snapshot written by `annotate pull`.", exists=True, dir_okay=False),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures as JSON here.")] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    schema: SchemaOpt = None,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Report pre-annotation quality per model version, annotator agreement and throughput."""
    for path in (json_out, html_out):
        if path is not None:
            check_output(path)
    loaded = load_schema(schema)
    with snapshot_source(project, snapshot, url, api_key, "report", insecure=insecure) as source:
        title = f"annotate quality report: {project or source.name}"
        report = build_report(read_snapshot(source), loaded, title=title)
    _print_summary(report)
    if json_out is not None:
        write_json(json_out, report.to_dict())
        out.print(f"wrote {json_out}")
    if html_out is not None:
        write_report_html(html_out, report.to_dict())
        out.print(f"wrote {html_out}")


def _print_summary(report: QualityReport) -> None:
    left_out = report.left_out or "none"
    out.print(f"{report.tasks} tasks, {report.gold_tasks} with gold; left out: {left_out}")
    table = Table(title="pre-annotation vs gold (F1)")
    for column in ("model version", "entities", "triggers", "arguments", "accepted unchanged"):
        table.add_column(column, no_wrap=column != "model version")
    for version, quality in report.prediction_vs_gold.items():
        accepted = quality.accepted()
        done, total = accepted.accepted, accepted.total
        table.add_row(
            version,
            f"{quality.entities['ALL'].f1:.3f}" if "ALL" in quality.entities else "-",
            f"{quality.events['trigger_classification'].f1:.3f}",
            f"{quality.events['argument_classification'].f1:.3f}",
            f"{done}/{total}" + (f" ({done / total:.0%})" if total else ""),
        )
    out.print(table)
    agreement = report.agreement
    entity, trigger, argument = agreement.entity, agreement.trigger, agreement.argument
    if entity is not None and trigger is not None and argument is not None:
        out.print(
            f"agreement on {agreement.tasks} tasks ({len(agreement.annotators)} annotators): "
            f"entity F1 {entity.exact['ALL'].f1:.3f} exact / {entity.overlap['ALL'].f1:.3f} overlap, "
            f"kappa {entity.kappa:.3f}, alpha {entity.alpha:.3f}; trigger F1 {trigger.exact['ALL'].f1:.3f}, "
            f"arguments F1 {argument.f1:.3f}"
        )
    else:
        out.print("agreement: no task has two annotators yet")
    for annotator, figures in sorted(report.throughput.items()):
        lead = figures["median_lead_time"]
        median = f"{lead} s" if lead is not None else "unknown"
        out.print(f"annotator {annotator}: {figures['tasks']} tasks, median lead time {median}")
