"""Generate the Label Studio labeling config from the schema (the only place it is built).

One ``<Text>`` holds the article; two ``<Labels>`` controls on it hold entity labels and event
types; ``<Relations>`` lists the roles that link a trigger to its arguments. Built with
ElementTree, so label names and descriptions are escaped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from annotate.schema import Schema

TEXT_NAME = "text"
ENTITY_CONTROL = "entity"
EVENT_CONTROL = "event"

# Entities get saturated, distinct colours; event triggers a separate family of darker tones,
# so an annotator tells the two layers apart at a glance.
_ENTITY_COLOURS = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#bfef45",
    "#fabed4",
    "#469990",
    "#dcbeff",
    "#9a6324",
    "#fffac8",
    "#800000",
    "#aaffc3",
)
_EVENT_COLOURS = ("#ffd700", "#ffb347", "#ff8c69", "#f4a460", "#daa520", "#ffa07a")


def label_config(schema: Schema) -> str:
    """Return the labeling config XML for ``schema``."""
    view = ET.Element("View")
    style = ET.SubElement(view, "Style")
    style.text = ".htx-text { white-space: pre-wrap; line-height: 1.8; }"
    ET.SubElement(view, "Header", value="Entities")
    entities = ET.SubElement(view, "Labels", name=ENTITY_CONTROL, toName=TEXT_NAME, showInline="true")
    for i, label in enumerate(schema.entities):
        ET.SubElement(
            entities, "Label", value=label.name, hint=label.description,
            background=_ENTITY_COLOURS[i % len(_ENTITY_COLOURS)],
        )  # fmt: skip
    if schema.events:
        ET.SubElement(view, "Header", value="Event triggers (link arguments with relations)")
        events = ET.SubElement(view, "Labels", name=EVENT_CONTROL, toName=TEXT_NAME, showInline="true")
        for i, event in enumerate(schema.events):
            ET.SubElement(
                events, "Label", value=event.name, hint=event.description,
                background=_EVENT_COLOURS[i % len(_EVENT_COLOURS)],
            )  # fmt: skip
    ET.SubElement(view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}")
    if schema.roles:
        relations = ET.SubElement(view, "Relations")
        for role in schema.roles:
            ET.SubElement(relations, "Relation", value=role.name)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode")
