"""``annotate serve``: the pre-annotator as a Label Studio ML backend."""

from __future__ import annotations

from typing import Annotated

import typer

from annotate.cli._util import ModelOpt, SchemaOpt, app, err, reports_errors
from annotate.schema import load_schema


@app.command("serve")
@reports_errors
def serve_cli(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.")] = 9090,
    schema: SchemaOpt = None,
    model: ModelOpt = None,
) -> None:
    """Serve predictions to Label Studio (Settings > Model > Connect Model); BASIC_AUTH_USER and
    BASIC_AUTH_PASS in the environment require HTTP Basic authentication."""
    import uvicorn

    from annotate.studio.backend import Backend, basic_auth_from_env

    backend = Backend(load_schema(schema), model, auth=basic_auth_from_env())
    err.print(f"annotate ML backend on http://{host}:{port} (model version {backend.model_version})")
    uvicorn.run(backend.app(), host=host, port=port, log_level="warning")
