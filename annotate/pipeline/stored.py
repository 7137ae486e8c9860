"""The schema a component was built with, saved inside a spaCy pipeline folder.

A pipeline folder written by ``nlp.to_disk`` must load on any machine, where the schema file it
was built from may not exist: each annotate component saves its schema as ``schema.yaml`` in its
own subfolder and loads it back in ``from_disk``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Self

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


class SchemaStored:
    """Mixin of components whose only state is their schema: saved by ``to_disk``, used by ``from_disk``.

    The component sets ``self.schema`` in ``configure(schema)``.
    """

    schema: Schema

    def configure(self, schema: Schema) -> None:
        raise NotImplementedError

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the schema inside the pipeline folder."""
        save_schema(path, self.schema)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Self:
        """Use the schema saved by ``to_disk``."""
        schema = stored_schema(path)
        if schema is not None:
            self.configure(schema)
        return self
