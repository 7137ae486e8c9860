"""``annotate train``: learn a pre-annotator from gold, gate it against the rules, save a model folder."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from annotate.atomic import check_output, write_json
from annotate.cli._util import ModelOpt, SchemaOpt, app, err, out, reports_errors
from annotate.cli.studio_sync import InsecureOpt, KeyOpt, UrlOpt
from annotate.errors import EvaluationError
from annotate.quality.evaluate import FORMATS
from annotate.schema import Schema, load_schema
from annotate.training.curve import MEASURES, learning_curve, write_curve
from annotate.training.gold import GoldSet, GoldSource, load_gold
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


GoldOpt = Annotated[
    list[Path], typer.Option("--gold", "-g", help="External gold corpus (repeatable).", exists=True)
]
FormatOpt = Annotated[
    list[str], typer.Option("--format", "-f", help=f"Format of --gold: {', '.join(FORMATS)}.")
]
SnapshotOpt = Annotated[
    list[Path], typer.Option("--from", help="Snapshot from `annotate pull` (repeatable).", exists=True)
]
ExportOpt = Annotated[
    list[Path], typer.Option("--export", help="Folder from `annotate export` (repeatable).", exists=True)
]
ProjectOpt = Annotated[str | None, typer.Option("--project", "-p", help="Pull this project's gold too.")]
EvalSplitOpt = Annotated[
    float, typer.Option("--eval-split", min=0.05, max=0.9, help="Share of articles held out for scoring.")
]
SeedOpt = Annotated[str, typer.Option("--seed", help="Seed of the held-out choice and the training.")]


def gathered_gold(
    schema: Schema,
    sources: list[GoldSource],
    project: str | None,
    connection: tuple[str | None, str | None, bool],
) -> GoldSet:
    """The gold of ``sources``, and of ``project`` pulled first when given."""
    with tempfile.TemporaryDirectory() as scratch:
        if project is not None:
            from annotate.studio.client import Studio  # the network only when a project is named
            from annotate.studio.pull import pull

            url, api_key, insecure = connection
            pulled = Path(scratch) / "snapshot.jsonl"
            with Studio.connect(url, api_key, insecure=insecure) as studio:
                pull(studio, project, pulled)
            sources = [*sources, GoldSource(pulled, "snapshot")]
        if not sources:
            raise EvaluationError("no gold given: pass --gold, --from, --export or --project")
        return load_gold(sources, schema)


@app.command("train")
@reports_errors
def train_cli(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Model folder to write (a spaCy pipeline).")],
    gold: GoldOpt = [],  # noqa: B006 - typer needs a literal default
    formats: FormatOpt = [],  # noqa: B006
    snapshots: SnapshotOpt = [],  # noqa: B006
    exports: ExportOpt = [],  # noqa: B006
    project: ProjectOpt = None,
    eval_split: EvalSplitOpt = DEFAULT_EVAL_SPLIT,
    seed: SeedOpt = "annotate",
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
    gold_set = gathered_gold(loaded, sources, project, (url, api_key, insecure))
    report = train(
        gold_set, loaded, out_dir, base_model=model, eval_split=eval_split, seed=seed, on_step=err.print
    )
    print_report(report)
    if json_out is not None:
        write_json(json_out, report.to_dict())


@app.command("learning-curve")
@reports_errors
def learning_curve_cli(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for curve.json and curve.svg.")],
    gold: GoldOpt = [],  # noqa: B006
    formats: FormatOpt = [],  # noqa: B006
    snapshots: SnapshotOpt = [],  # noqa: B006
    exports: ExportOpt = [],  # noqa: B006
    project: ProjectOpt = None,
    eval_split: EvalSplitOpt = DEFAULT_EVAL_SPLIT,
    seed: SeedOpt = "annotate",
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """F1 of each learned layer after 10, 25, 50, 75 and 100 % of the training gold, beside the rules."""
    check_output(out_dir, folder=True)
    loaded = load_schema(schema)
    sources = gold_sources(gold, formats, snapshots, exports)
    gold_set = gathered_gold(loaded, sources, project, (url, api_key, insecure))
    curve = learning_curve(
        gold_set, loaded, base_model=model, eval_split=eval_split, seed=seed, on_step=err.print
    )
    table = Table(title=f"F1 on {curve.eval_articles} held-out articles")
    table.add_column("articles", justify="right")
    for layer in MEASURES:
        table.add_column(layer, justify="right")
    table.add_row("rules", *(f"{100 * curve.rules.get(m, {}).get('f1', 0.0):.1f}" for m in MEASURES.values()))
    for point in curve.points:
        cells = (f"{100 * point.learned.get(m, {}).get('f1', 0.0):.1f}" for m in MEASURES.values())
        table.add_row(str(point.articles), *cells)
    out.print(table)
    written = write_curve(curve, out_dir)
    out.print(f"wrote {written[0]} and {written[1]}")


@app.command("retrain")
@reports_errors
def retrain_cli(
    project: Annotated[str, typer.Option("--project", "-p", help="Title of the Label Studio project.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Model folder (default: models/<project>).")
    ] = None,
    eval_split: EvalSplitOpt = DEFAULT_EVAL_SPLIT,
    seed: SeedOpt = "annotate",
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Pull, train on the gold, gate, then pre-label the tasks nobody annotated and push (idempotent)."""
    from annotate.export.target import folder_name
    from annotate.studio.client import Studio
    from annotate.studio.retrain import retrain

    target = out_dir or Path("models") / folder_name(project)
    check_model_target(target)
    loaded = load_schema(schema)
    with Studio.connect(url, api_key, insecure=insecure) as studio:
        report = retrain(
            studio,
            project,
            loaded,
            target,
            base_model=model,
            eval_split=eval_split,
            seed=seed,
            on_step=err.print,
        )
    learned = ", ".join(f"{layer} {state}" for layer, state in report.layers.items())
    out.print(
        f"model {report.model} ({report.model_version}): {learned}; gold {report.gold_articles} articles"
    )
    if report.push is None:
        out.print("no layer beat the rules, or no task is left unannotated: no prediction pushed")
    else:
        out.print(
            f"{report.unannotated} unannotated tasks: {report.push.predictions_added} predictions added, "
            f"{report.push.unchanged} already had them; current model version {report.model_version}"
        )


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
