"""``annotate prelabel``: articles in, Label Studio task file out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotate.articles import MAX_ARTICLE_CHARS
from annotate.cli._util import (
    MaxCharsOpt,
    ModelOpt,
    SchemaOpt,
    app,
    out,
    print_read_report,
    progress_bar,
    reports_errors,
)
from annotate.prelabel import DEFAULT_BATCH_SIZE, prelabel_files
from annotate.schema import load_schema
from annotate.taskshards import shard_format_of


@app.command("prelabel")
@reports_errors
def prelabel_cli(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Article files (.txt, .jsonl, .json, .csv, .parquet) or folders.", exists=True),
    ],
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the tasks: a .json file (one JSON list), or a folder for shards of "
            "10,000 tasks (--format) that `annotate push` reads.",
        ),
    ] = Path("tasks.json"),
    shard_format: Annotated[
        str,
        typer.Option(
            "--format", help="Shard format when --out is a folder: jsonl, or parquet (one row per task)."
        ),
    ] = "jsonl",
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    n_process: Annotated[
        int, typer.Option("--n-process", "-n", min=1, help="Worker processes for spaCy (without --ray).")
    ] = 1,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Articles per spaCy batch (in each Ray actor too).")
    ] = DEFAULT_BATCH_SIZE,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Skip bad articles and report them instead of stopping.")
    ] = False,
    max_chars: MaxCharsOpt = MAX_ARTICLE_CHARS,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Pre-label on the Ray cluster at this address ('auto': the one `ray start` made here).",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Ray actors, each with the pipeline loaded once.")
    ] = 2,
) -> None:
    """Pre-label articles with entities and events and write Label Studio tasks."""
    loaded = load_schema(schema)
    chosen = shard_format_of(shard_format)
    if ray_address is not None:
        from annotate.raylabel import prelabel_on_ray

        with progress_bar("pre-labelling on Ray") as advance:
            count, version, read = prelabel_on_ray(
                paths,
                out_path,
                loaded,
                address=ray_address,
                workers=workers,
                model=model,
                skip_invalid=skip_invalid,
                max_chars=max_chars,
                batch_size=batch_size,
                shard_format=chosen,
                on_task=advance,
            )
        print_read_report(read, "pre-labelled once")
        out.print(
            f"wrote {count} tasks to {out_path} ({len(read.skipped)} skipped, {len(read.duplicates)} "
            f"duplicates) with model {version}, on Ray ({workers} workers)"
        )
        return
    with progress_bar("pre-labelling") as advance:
        report = prelabel_files(
            paths,
            out_path,
            loaded,
            model=model,
            batch_size=batch_size,
            n_process=n_process,
            skip_invalid=skip_invalid,
            max_chars=max_chars,
            shard_format=chosen,
            on_task=advance,
        )
    read = report.read
    print_read_report(read, "pre-labelled once")
    out.print(
        f"wrote {report.tasks} tasks to {report.out} ({len(read.skipped)} skipped, "
        f"{len(read.duplicates)} duplicates) with model {report.model_version}",
    )
