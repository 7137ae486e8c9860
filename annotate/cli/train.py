"""``annotate train``: learn a pre-annotator from gold, gate it against the rules, save a model folder."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from annotate.atomic import write_json
from annotate.cli._util import ModelOpt, SchemaOpt, app, err, out, reports_errors
from annotate.cli.studio_sync import InsecureOpt, KeyOpt, UrlOpt
from annotate.errors import EvaluationError
from annotate.quality.evaluate import FORMATS
from annotate.schema import load_schema
from annotate.training.gold import GoldSource, load_gold
from annotate.training.model import check_model_target
from annotate.training.train import DEFAULT_EVAL_SPLIT, LAYERS, TrainReport, train

_MEASURES = (
    "entity",
    "trigger_identification",
    "trigger_classification",
    "argument_identification",
    "argument_classification",
)


def gold_sources(
    gold: list[Path], formats: list[str], snapshots: list[Path], exports: list[Path]
) -> list[GoldSource]:
    """The sources named on the command line (``--format`` once for all ``--gold``, or once each)."""
    if formats and len(formats) not in (1, len(gold)):
        raise EvaluationError(f"give --format once, or once for each --gold ({len(gold)} given)")
    kinds = formats * len(gold) if len(formats) == 1 else formats or ["wikievents"] * len(gold)
    sources = [GoldSource(path, kind) for path, kind in zip(gold, kinds, strict=True)]
    sources += [GoldSource(path, "snapshot") for path in snapshots]
    sources += [GoldSource(path, "export") for path in exports]
    return sources


@app.command("train")
@reports_errors
def train_cli(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write (a spaCy pipeline).")],
    gold: Annotated[
        list[Path], typer.Option("--gold", "-g", help="External gold corpus (repeatable).", exists=True)
    ] = [],  # noqa: B006 - typer needs a literal default
    formats: Annotated[
        list[str], typer.Option("--format", "-f", help=f"Format of --gold: {', '.join(FORMATS)}.")
    ] = [],  # noqa: B006
    snapshots: Annotated[
        list[Path], typer.Option("--from", help="Snapshot from `annotate pull` (repeatable).", exists=True)
    ] = [],  # noqa: B006
    exports: Annotated[
        list[Path], typer.Option("--export", help="Folder from `annotate export` (repeatable).", exists=True)
    ] = [],  # noqa: B006
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Pull this project's gold too.")
    ] = None,
    eval_split: Annotated[
        float,
        typer.Option("--eval-split", min=0.05, max=0.9, help="Share of articles held out for the gate."),
    ] = DEFAULT_EVAL_SPLIT,
    seed: Annotated[
        str, typer.Option("--seed", help="Seed of the held-out choice and the training.")
    ] = "annotate",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the report as JSON.")] = None,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Train entities, triggers and roles on gold; keep each layer only where it beats the rules."""
    check_model_target(out_dir)
    loaded = load_schema(schema)
    sources = gold_sources(gold, formats, snapshots, exports)
    with tempfile.TemporaryDirectory() as scratch:
        if project is not None:
            from annotate.studio.client import Studio
            from annotate.studio.pull import pull

            pulled = Path(scratch) / "snapshot.jsonl"
            with Studio.connect(url, api_key, insecure=insecure) as studio:
                pull(studio, project, pulled)
            sources.append(GoldSource(pulled, "snapshot"))
        if not sources:
            raise EvaluationError("no gold given: pass --gold, --from, --export or --project")
        gold_set = load_gold(sources, loaded)
    report = train(
        gold_set, loaded, out_dir, base_model=model, eval_split=eval_split, seed=seed, on_step=err.print
    )
    print_report(report)
    if json_out is not None:
        write_json(json_out, report.to_dict())


def print_report(report: TrainReport) -> None:
    """The held-out figures of raw spaCy, the rules and the learned model, and the layers kept."""
    table = Table(title=f"held-out articles: {report.eval_articles} (trained on {report.train_articles})")
    table.add_column("F1", no_wrap=True)
    for system in report.figures:
        table.add_column(system, justify="right")
    for measure in _MEASURES:
        cells = [report.figures[system].get(measure, {}).get("f1") for system in report.figures]
        table.add_row(measure, *("" if cell is None else f"{100 * cell:.1f}" for cell in cells))
    out.print(table)
    learned = ", ".join(f"{layer} {report.layers[layer]}" for layer in LAYERS)
    out.print(f"layers: {learned}")
    out.print(f"wrote {report.out} (model version {report.model_version}) in {report.seconds:.0f} s")
