"""Generate the Label Studio labeling config from the schema (the only place it is built).

One ``<Text>`` holds the article; two ``<Labels>`` controls on it hold entity labels and event
types; ``<Relations>`` lists the roles that link a trigger to its arguments. Built with
ElementTree, so label names and descriptions are escaped.

What the annotator sees (Label Studio 1.23): a compact block of label buttons that stays at the
top while the article scrolls; entities in cool colours, event triggers in warm colours (one per
event category) and underlined in the text; every label with its own hotkey (entities plain
keys, event types ``shift+`` keys) that none of Label Studio's own shortcuts uses; descriptions
as hover hints; role names on the relation arrows.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from annotate.labelstudio.config import stamp_config
from annotate.schema import Schema

TEXT_NAME = "text"
ENTITY_CONTROL = "entity"
EVENT_CONTROL = "event"
#: The per-region choice of an entity's mention type (``annotate.document.MENTIONS``).
MENTION_CONTROL = "mention"
MENTION_HINTS = {
    "name": "The entity is named: a proper name, or a value such as a date or an amount",
    "nominal": "The entity is referred to by a common noun: 'officials', 'the city', 'drones'",
}
#: Keys of ``task["data"]`` that annotate owns; article metadata never overrides them.
RESERVED_DATA_KEYS = ("text", "doc_id", "text_hash", "schema_version", "source_offsets")

# Entities: saturated cool and neutral colours, no yellow, orange or brown, so that no entity is
# mistaken for an event trigger. Order follows the schema (its most frequent labels first).
ENTITY_COLOURS = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#469990",
    "#800000",
    "#000075",
    "#9a9a9a",
    "#6a5acd",
    "#008080",
    "#c71585",
    "#2e8b57",
    "#2f4f4f",
)
# Event triggers: the warm family, one colour per category (the part of "Conflict:Attack" before
# the colon), so every Justice event has the same colour and the label text tells them apart.
EVENT_COLOURS = ("#f59e0b", "#ea580c", "#eab308", "#c2410c", "#fb923c", "#ca8a04", "#f97316", "#b45309")
TRIGGER_UNDERLINE = "#9a3412"

# Keys Label Studio 1.23 binds in the editor and data manager (the keymap in its frontend bundle,
# web/dist/apps/labelstudio; lower-case as its hotkey library reads them), plus the region list's
# alt+shift+<n> and the audio player's shift+space. A label hotkey must be none of these.
LS_RESERVED_KEYS = frozenset(
    {
        "alt+.",
        "alt+a",
        "alt+d",
        "alt+h",
        "alt+l",
        "alt+left",
        "alt+m",
        "alt+r",
        "alt+right",
        "b",
        "backspace",
        "ctrl+alt+left",
        "ctrl+alt+right",
        "ctrl+alt+space",
        "ctrl+b",
        "ctrl+backspace",
        "ctrl+d",
        "ctrl+down",
        "ctrl+enter",
        "ctrl+h",
        "ctrl+left",
        "ctrl+minus",
        "ctrl+p",
        "ctrl+plus",
        "ctrl+right",
        "ctrl+shift+a",
        "ctrl+shift+z",
        "ctrl+space",
        "ctrl+up",
        "ctrl+z",
        "delete",
        "e",
        "enter",
        "escape",
        "h",
        "k",
        "left",
        "m",
        "o",
        "p",
        "r",
        "right",
        "shift+.",
        "shift+1",
        "shift+2",
        "shift+alt+left",
        "shift+alt+right",
        "shift+ctrl+alt+left",
        "shift+ctrl+alt+right",
        "shift+down",
        "shift+left",
        "shift+r",
        "shift+right",
        "shift+space",
        "shift+up",
        "u",
        "v",
        "w",
        "[",
        "]",
        *(f"alt+shift+{n}" for n in "1234567890"),
    }
)
_LETTERS = "asdfgqtzxcyijlnwerupohkvbm"
# Entities take plain keys (digits first), event types shift+ keys, each in this order; a label
# past the end gets no hotkey of ours (Label Studio then picks a free one itself).
ENTITY_KEYS = tuple(k for k in (*"1234567890", *_LETTERS) if k not in LS_RESERVED_KEYS)
EVENT_KEYS = tuple(k for k in (f"shift+{c}" for c in (*_LETTERS, *"34567890")) if k not in LS_RESERVED_KEYS)

# Label Studio 1.23's DOM: labels are .lsf-label buttons in .lsf-labels, the article is
# .lsf-htx-richtext, a region is a .htx-highlight span whose data-label is "<index>:<label>".
# Label Studio sanitizes <Style> as HTML: no ">" (child combinator), "<" or "&" in these rules.
_STYLE = """
.annotate-labels { position: sticky; top: 0; z-index: 150; padding: 4px 0; margin-bottom: 6px;
  background: var(--color-neutral-background, #fff);
  border-bottom: 1px solid var(--color-neutral-border, #ddd); }
.annotate-layer { display: flex; align-items: flex-start; gap: 6px; }
.annotate-layer :is(h1, h2, h3, h4, h5, h6) { flex: 0 0 54px; margin: 4px 0 0 !important;
  font-size: 11px; line-height: 1.2; font-weight: 600; text-transform: uppercase; opacity: .7; }
.annotate-layer .lsf-labels { margin: 0; }
.annotate-layer .lsf-label { margin: 1px 2px 1px 0; padding: 0 4px; font-size: 12px; line-height: 20px; }
.annotate-layer .lsf-label__hotkey { margin-left: 4px; font-size: 10px; }
.lsf-htx-richtext { line-height: 2.6; white-space: pre-wrap; }
"""
_TRIGGER_STYLE = f"text-decoration: underline 2px {TRIGGER_UNDERLINE}; text-underline-offset: 3px;"


def _css_string(text: str) -> str:
    """``text`` as a quoted CSS string; characters Label Studio's HTML sanitizer would turn into
    entities inside ``<style>`` (and the quote and backslash) as CSS hex escapes."""
    escaped = "".join(f"\\{ord(c):x} " if c in '\\"<>&' else c for c in text)
    return f'"{escaped}"'


def event_colour(event_type: str, categories: list[str]) -> str:
    """The colour of ``event_type``: its category's place in ``categories`` picks a warm tone."""
    category = event_type.partition(":")[0]
    return EVENT_COLOURS[categories.index(category) % len(EVENT_COLOURS)]


def _label(labels: ET.Element, name: str, hint: str, background: str, keys: tuple[str, ...]) -> None:
    attributes = {"value": name, "hint": hint, "background": background}
    if len(labels) < len(keys):
        attributes["hotkey"] = keys[len(labels)]
    ET.SubElement(labels, "Label", attributes)


def _layer(block: ET.Element, title: str, control: str) -> ET.Element:
    """A row of the label block: a small title, then the buttons of one ``<Labels>`` control."""
    layer = ET.SubElement(block, "View", className="annotate-layer")
    ET.SubElement(layer, "Header", value=title)
    return ET.SubElement(layer, "Labels", name=control, toName=TEXT_NAME, showInline="true")


def label_config(schema: Schema) -> str:
    """Return the labeling config XML for ``schema``, stamped with its outline's fingerprint
    (``annotate.labelstudio.config``), so that a later push can tell whether it was edited."""
    view = ET.Element("View")
    style = ET.SubElement(view, "Style")
    style.text = _STYLE
    if schema.events:
        triggers = ",\n".join(
            f".htx-highlight[data-label$={_css_string(':' + e.name)}]" for e in schema.events
        )
        style.text += f"{triggers} {{ {_TRIGGER_STYLE} }}\n"
    block = ET.SubElement(view, "View", className="annotate-labels")
    entities = _layer(block, "Entities", ENTITY_CONTROL)
    for i, label in enumerate(schema.entities):
        _label(entities, label.name, label.description, ENTITY_COLOURS[i % len(ENTITY_COLOURS)], ENTITY_KEYS)
    if schema.events:
        events = _layer(block, "Event triggers", EVENT_CONTROL)
        categories = list(dict.fromkeys(e.name.partition(":")[0] for e in schema.events))
        for event in schema.events:
            _label(events, event.name, event.description, event_colour(event.name, categories), EVENT_KEYS)
    ET.SubElement(view, "Text", name=TEXT_NAME, value=f"${TEXT_NAME}")
    mention = ET.SubElement(
        view,
        "Choices",
        name=MENTION_CONTROL,
        toName=TEXT_NAME,
        perRegion="true",
        choice="single",
        showInline="true",
        visibleWhen="region-selected",
        whenTagName=ENTITY_CONTROL,
    )
    for value, hint in MENTION_HINTS.items():
        ET.SubElement(mention, "Choice", value=value, hint=hint)
    if schema.roles:
        relations = ET.SubElement(view, "Relations")
        for role in schema.roles:
            ET.SubElement(relations, "Relation", value=role.name)
    ET.indent(view)
    return stamp_config(ET.tostring(view, encoding="unicode"))
