"""``annotate serve``: the pre-annotator as a Label Studio ML backend."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import typer

from annotate.cli._util import ModelOpt, SchemaOpt, app, err, out, reports_errors
from annotate.cli.studio_sync import InsecureOpt, KeyOpt, UrlOpt
from annotate.errors import StudioError
from annotate.schema import load_schema


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
    schema: SchemaOpt = None,
    model: ModelOpt = None,
    url: UrlOpt = None,
    api_key: KeyOpt = None,
    insecure: InsecureOpt = False,
) -> None:
    """Serve predictions to Label Studio (Settings > Model > Connect Model, or --connect); BASIC_AUTH_USER
    and BASIC_AUTH_PASS in the environment require HTTP Basic authentication."""
    import uvicorn

    from annotate.studio.backend import Backend, basic_auth_from_env

    if connect and project is None:
        raise StudioError("--connect needs --project: the project to register the backend on")
    auth = basic_auth_from_env()
    backend = Backend(load_schema(schema), model, auth=auth)
    server = uvicorn.Server(uvicorn.Config(backend.app(), host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="annotate-serve", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise StudioError(
                f"cannot listen on {host}:{port}; is the port taken? choose another with --port"
            )
        time.sleep(0.1)
    address = f"http://{host}:{port}"
    err.print(f"annotate ML backend on {address} (model version {backend.model_version})")
    if connect and project is not None:
        from annotate.studio.client import Studio
        from annotate.studio.mlbackends import connect_backend

        with Studio.connect(url, api_key, insecure=insecure) as studio:
            done = connect_backend(
                studio, project, address, backend.model_version, interactive=interactive, auth=auth
            )
        state = "connected to" if done.created else "already connected to"
        out.print(f"{state} project {project!r} (backend {done.backend_id}); its model version is now ours")
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        server.should_exit = True
        thread.join(10)
        raise
