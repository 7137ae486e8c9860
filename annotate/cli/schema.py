"""``annotate schema ...``: check a schema and show what is generated from it."""

from __future__ import annotations

from annotate.cli._util import SchemaOpt, out, reports_errors, schema_app
from annotate.labelstudio.labelconfig import label_config
from annotate.schema import load_schema


@schema_app.command("validate")
@reports_errors
def schema_validate_cli(schema: SchemaOpt = None) -> None:
    """Check a schema file and print its version and size."""
    loaded = load_schema(schema)
    out.print(
        f"{loaded.path}: schema {loaded.name!r} version {loaded.version}: {len(loaded.entities)} entity "
        f"labels, {len(loaded.events)} event types, {len(loaded.roles)} roles",
    )


@schema_app.command("config")
@reports_errors
def schema_config_cli(schema: SchemaOpt = None) -> None:
    """Print the Label Studio labeling config generated from a schema."""
    print(label_config(load_schema(schema)))
