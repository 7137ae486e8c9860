"""``annotate export``: the corrected gold as a Hugging Face dataset (and DocBin / CoNLL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from annotate.cli._util import ModelOpt, SchemaOpt, app, err, out, reports_errors
from annotate.cli.studio_sync import InsecureOpt, KeyOpt, UrlOpt, snapshot_source
from annotate.errors import ExportError
from annotate.export.build import FORMATS, REPORT_FILE, check_hub_license, export, read_snapshot
from annotate.export.gold import POLICIES
from annotate.export.silver import with_silver_tasks
from annotate.export.target import check_target, folder_name
from annotate.schema import load_schema


def _ratios(text: str) -> dict[str, float]:
    try:
        pairs = [part.split("=", 1) for part in text.split(",") if part]
        return {name.strip(): float(value) for name, value in pairs}
    except ValueError:
        raise ExportError(f"--splits {text!r}: write it as train=0.8,validation=0.1,test=0.1") from None


def _quality_file(path: Path) -> dict[str, object]:
    try:
        figures = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExportError(
            f"{path}: not a quality report ({error}); write one with `annotate report --json`"
        ) from None
    if not isinstance(figures, dict):
        raise ExportError(
            f"{path}: a quality report is a JSON object; write one with `annotate report --json`"
        )
    return figures


@app.command("export")
@reports_errors
def export_cli(
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Pull this project first and export it.")
    ] = None,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--from", help="Export a snapshot written by `annotate pull`.", exists=True, dir_okay=False
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Output folder: new, empty, or an earlier annotate export (default: exports/<project>).",
        ),
    ] = None,
    policy: Annotated[
        str, typer.Option("--policy", help=f"Gold selection: {', '.join(POLICIES)}.")
    ] = "latest",
    formats: Annotated[
        list[str],
        typer.Option("--format", "-f", help=f"Formats to write (repeatable): {', '.join(FORMATS)}."),
    ] = ["hf"],  # noqa: B006 - typer needs a literal default
    splits: Annotated[
        str, typer.Option("--splits", help="Split ratios, by article.")
    ] = "train=0.8,validation=0.1,test=0.1",
    seed: Annotated[
        str, typer.Option("--seed", help="Seed of the split hash; change it to reshuffle.")
    ] = "annotate",
    silver: Annotated[
        bool, typer.Option("--silver", help="Add unannotated tasks' predictions as a 'silver' split.")
    ] = False,
    allow_invalid: Annotated[
        bool,
        typer.Option(
            "--allow-invalid", help="Leave invalid spans out (listed in the report) instead of failing."
        ),
    ] = False,
    quality: Annotated[
        Path | None,
        typer.Option("--quality", help="A quality report (JSON) to quote in the dataset card.", exists=True),
    ] = None,
    no_quality: Annotated[
        bool,
        typer.Option(
            "--no-quality",
            help="Do not count quality figures for the card (they are counted in the export's own pass, "
            "in bounded memory, but cost time); the card then says they were not measured.",
        ),
    ] = False,
    names_only: Annotated[
        bool,
        typer.Option(
            "--names-only",
            help="Tag name mentions only in the name-level views (tokens ner_tags, CoNLL, DocBin); the "
            "documents config keeps every entity with its mention type.",
        ),
    ] = False,
    silver_from: Annotated[
        list[Path],
        typer.Option(
            "--silver-from",
            exists=True,
            help="Task file or folder of task shards whose predictions become the silver split (e.g. "
            "what push --sample left out); "
            "articles that are also in the project are left out of it.",
        ),
    ] = [],  # noqa: B006 - typer needs a literal default
    license: Annotated[
        str | None,
        typer.Option(
            "--license",
            help="Licence of the data, as a Hub licence id (cc-by-4.0, ...); needed to push to the Hub.",
        ),
    ] = None,
    push_to_hub: Annotated[
        str | None, typer.Option("--push-to-hub", help="Also upload to this Hub dataset repo.")
    ] = None,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Export the gold annotations: documents and tokens configurations, split by article, with a card."""
    name = project or (snapshot.stem if snapshot else "dataset")
    target = out_dir or Path("exports") / folder_name(name)
    check_target(target)  # before the pull and the quality figures
    check_hub_license(push_to_hub, license)
    loaded = load_schema(schema)
    figures = _quality_file(quality) if quality else None
    if no_quality and figures is None:
        figures = {"not_measured": "exported with --no-quality; see `annotate report --from SNAPSHOT`"}
    with snapshot_source(project, snapshot, url, api_key, "export", insecure=insecure) as source:
        pulled = read_snapshot(source)
        tasks = with_silver_tasks(pulled, silver_from) if silver_from else pulled
        report = export(
            tasks,
            target,
            loaded,
            name=name,
            formats=formats,
            quality=figures,
            measure_quality=figures is None,  # the card quotes the figures of the same snapshot
            policy=policy,
            ratios=_ratios(splits),
            seed=seed,
            silver=silver or bool(silver_from),
            allow_invalid=allow_invalid,
            model=model,
            push_to_hub=push_to_hub,
            names_only=names_only,
            license=license,
        )
    for reason, count in report.left_out.items():
        err.print(f"left out {count} tasks: {reason}")
    if report.problems:
        err.print(f"left out {len(report.problems)} invalid spans (listed in {target / REPORT_FILE})")
    if report.alignment:
        err.print(
            f"{len(report.alignment)} spans snapped or dropped in the token view "
            f"(listed in {target / REPORT_FILE})"
        )
    sizes = ", ".join(f"{split} {count}" for split, count in report.splits.items())
    out.print(f"wrote {target} ({sizes} articles; policy {report.policy}; {report.annotators} annotators)")
    out.print(f'load it with: datasets.load_dataset("{target}", "documents") or "tokens"')
