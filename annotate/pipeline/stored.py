"""The schema a component was built with, saved inside a spaCy pipeline folder.

A pipeline folder written by ``nlp.to_disk`` must load on any machine, where the schema file it
was built from may not exist: each annotate component saves its schema as ``schema.yaml`` in its
own subfolder and loads it back in ``from_disk``.
"""

from __future__ import annotations

from pathlib import Path

from annotate.schema import Schema, load_schema

SCHEMA_FILE = "schema.yaml"


def save_schema(folder: str | Path, schema: Schema) -> None:
    """Copy the schema's file into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SCHEMA_FILE).write_bytes(Path(schema.path).read_bytes())


def stored_schema(folder: str | Path) -> Schema | None:
    """The schema saved in ``folder``, if any."""
    path = Path(folder) / SCHEMA_FILE
    return load_schema(path) if path.is_file() else None
