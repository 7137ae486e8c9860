"""``annotate serve``: the pre-annotator as a Label Studio ML backend, retrained as annotators work."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from annotate.cli._util import ModelOpt, SchemaOpt, app, err, out, reports_errors
from annotate.cli.studio_sync import InsecureOpt, KeyOpt, UrlOpt
from annotate.cli.train import EvalSplitOpt, SeedOpt
from annotate.errors import StudioError
from annotate.schema import Schema, load_schema
from annotate.training.train import DEFAULT_EVAL_SPLIT

if TYPE_CHECKING:
    from annotate.studio.backend import Backend
    from annotate.studio.learner import Learner, Settings
    from annotate.training.store import ModelStore

DEFAULT_MODELS = Path("models/served")


@app.command("serve")
@reports_errors
def serve_cli(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 9090,
    connect: Annotated[
        bool,
        typer.Option("--connect", help="Register this backend on --project once it listens (idempotent)."),
    ] = False,
    project: Annotated[str | None, typer.Option("--project", "-p", help="Project to connect to.")] = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", help="Let annotators ask for predictions while they work.")
    ] = False,
    retrain_every: Annotated[
        int,
        typer.Option(
            "--retrain-every",
            min=0,
            help="Retrain a project after this many new, changed or deleted annotations (0: only on "
            "Start Training).",
        ),
    ] = 10,
    learn: Annotated[
        bool,
        typer.Option(
            "--learn/--no-learn", help="Retrain from the projects' gold (needs the Label Studio key)."
        ),
    ] = True,
    models: Annotated[
        Path,
        typer.Option("--models", help="Folder of the models trained per project (kept across restarts)."),
    ] = DEFAULT_MODELS,
    eval_split: EvalSplitOpt = DEFAULT_EVAL_SPLIT,
    seed: SeedOpt = "annotate",
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Serve predictions to Label Studio (Settings > Model > Connect Model, or --connect) and retrain
    on each project's gold as it grows; BASIC_AUTH_USER and BASIC_AUTH_PASS in the environment
    require HTTP Basic authentication."""
    import uvicorn

    from annotate.studio.backend import Backend
    from annotate.studio.backend_requests import basic_auth_from_env
    from annotate.training.store import ModelStore

    if connect and project is None:
        raise StudioError("--connect needs --project: the project to register the backend on")
    auth = basic_auth_from_env()
    loaded = load_schema(schema)
    store = ModelStore(models)
    backend = Backend(loaded, model, auth=auth, store=store)
    address = f"http://{host}:{port}"
    if learn:
        from annotate.studio.learner import Settings

        settings = Settings(retrain_every, model, eval_split, seed, address, auth)
        backend.learner = _learner(backend, loaded, store, settings, (url, api_key, insecure))
    server = uvicorn.Server(uvicorn.Config(backend.app(), host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="annotate-serve", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise StudioError(
                    f"cannot listen on {host}:{port}; is the port taken? choose another with --port"
                )
            time.sleep(0.1)
        err.print(f"annotate ML backend on {address} (model version {backend.model_version})")
        if connect and project is not None:
            _connect(backend, project, address, interactive, (url, api_key, insecure))
        while thread.is_alive():
            thread.join(0.5)
    finally:
        server.should_exit = True
        thread.join(10)
        if backend.learner is not None:
            backend.learner.close()


def _learner(
    backend: Backend,
    schema: Schema,
    store: ModelStore,
    settings: Settings,
    connection: tuple[str | None, str | None, bool],
) -> Learner | None:
    """The background retrainer, or None (said why) when there is no Label Studio to fetch gold from."""
    from annotate.studio.client import Studio
    from annotate.studio.connection import resolve_connection
    from annotate.studio.learner import Learner

    url, api_key, insecure = connection
    try:
        resolve_connection(url, api_key, insecure=insecure)
    except StudioError as error:
        err.print(f"retraining is off: {error}")
        return None
    learner = Learner(
        schema,
        store,
        lambda: Studio.connect(url, api_key, insecure=insecure),
        backend.swap,
        settings,
        log=err.print,
    )
    learner.versions |= backend.versions_served()
    return learner


def _connect(
    backend: Backend,
    project: str,
    address: str,
    interactive: bool,
    connection: tuple[str | None, str | None, bool],
) -> None:
    from annotate.studio.client import Studio
    from annotate.studio.mlbackends import connect_backend

    url, api_key, insecure = connection
    with Studio.connect(url, api_key, insecure=insecure) as studio:
        project_id = studio.project(project).id
        version = backend.served(project_id).model_version
        done = connect_backend(studio, project, address, version, interactive=interactive, auth=backend.auth)
    state = "connected to" if done.created else "already connected to"
    out.print(f"{state} project {project!r} (backend {done.backend_id}); its model version is now ours")


@app.command("retrieve")
@reports_errors
def retrieve_cli(
    project: Annotated[str, typer.Option("--project", "-p", help="Project whose tasks get predictions.")],
    chunk: Annotated[
        int,
        typer.Option(
            "--chunk", min=1, help="Tasks per backend call; each call must end within ML_TIMEOUT_PREDICT."
        ),
    ] = 50,
    worked_on: Annotated[
        bool, typer.Option("--all", help="Also tasks annotators have annotated, skipped or drafted.")
    ] = False,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Fill a project's tasks with its ML backend's predictions, in chunks (Label Studio's Retrieve
    predictions, for selections too large for one request); resumable."""
    from annotate.cli._util import progress_bar
    from annotate.studio.client import Studio
    from annotate.studio.retrieval import retrieve_predictions

    with Studio.connect(url, api_key, insecure=insecure) as studio, progress_bar("predicting") as advance:
        project_id = studio.project(project).id
        report = retrieve_predictions(
            studio, project_id, chunk=chunk, worked_on=worked_on, on_chunk=advance, on_total=advance.total
        )
    out.print(
        f"{report.selected} tasks: {report.asked} asked for predictions of {report.model_version}, "
        f"{report.had} already had them"
    )
    if report.missing:
        shown = ", ".join(str(i) for i in report.missing[:10])
        err.print(
            f"{len(report.missing)} tasks still have no prediction of {report.model_version} (ids {shown}"
            f"{', ...' if len(report.missing) > 10 else ''}); see the backend's log, then run this again"
        )
        raise typer.Exit(1)
