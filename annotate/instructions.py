"""The annotator instructions shown in Label Studio, generated from the schema's descriptions."""

from __future__ import annotations

import html
from collections.abc import Iterable

from annotate.schema import Schema


def instructions_html(schema: Schema) -> str:
    """Annotator instructions (HTML) generated from the schema's descriptions."""
    parts = [
        f"<h3>Entities</h3><ul>{_items((label.name, label.description) for label in schema.entities)}</ul>"
    ]
    if schema.events:
        parts.append(f"<h3>Events</h3><ul>{_items((e.name, e.description) for e in schema.events)}</ul>")
        parts.append(
            "<p>Link a trigger to each argument with a relation from the trigger to the entity, "
            "labelled with the role.</p>"
            f"<h3>Roles</h3><ul>{_items((r.name, r.description) for r in schema.roles)}</ul>"
        )
    return "".join(parts)


def _items(pairs: Iterable[tuple[str, str]]) -> str:
    return "".join(f"<li><b>{html.escape(name)}</b>: {html.escape(text)}</li>" for name, text in pairs)
