"""The generated labeling config as an annotator meets it: hotkeys, colours, trigger style."""

from __future__ import annotations

import colorsys
import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from label_studio_sdk.label_interface import LabelInterface

from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL, LS_RESERVED_KEYS, label_config
from annotate.schema import Schema


def _labels(schema: Schema) -> dict[str, dict[str, str]]:
    """Label value -> its attributes, with the name of the control it belongs to."""
    root = ET.fromstring(label_config(schema))
    return {
        label.attrib["value"]: {**label.attrib, "control": labels.attrib["name"]}
        for labels in root.iter("Labels")
        for label in labels.iter("Label")
    }


def _label_studio_keymap() -> set[str]:
    """Every hotkey the installed Label Studio frontend binds, read from its bundle."""
    spec = importlib.util.find_spec("label_studio")
    assert spec is not None and spec.origin is not None, "the label-studio package is not installed"
    bundle = Path(spec.origin).parents[1] / "web" / "dist" / "apps" / "labelstudio"
    source = "".join(path.read_text(encoding="utf-8", errors="replace") for path in bundle.glob("*.js"))
    keys = set(re.findall(r'"[\w-]+:[\w-]+":\{"key":"([^"]+)"', source))  # the editor's keymap
    keys |= set(re.findall(r'element:"[^"]+",label:"[^"]*",key:"([^"]+)"', source))  # the settings list
    if 'addKey("alt+shift+"' in source:  # alt+shift+<n> selects the n-th region
        keys |= {f"alt+shift+{n}" for n in "1234567890"}
    return {key.lower() for key in keys}


def test_label_config_gives_every_label_its_own_hotkey(news_schema: Schema) -> None:
    """All 48 labels get a hotkey, no two share one, entities plain keys and event types shift+ keys."""
    labels = _labels(news_schema)
    hotkeys = [attributes.get("hotkey") for attributes in labels.values()]
    assert len(labels) == len(news_schema.entities) + len(news_schema.events) == 48
    assert None not in hotkeys
    assert len(set(hotkeys)) == len(hotkeys)
    entity_keys = [labels[label.name]["hotkey"] for label in news_schema.entities]
    assert entity_keys[:10] == list("1234567890")  # PERSON 1, NORP 2, ORG 3, GPE 4 ...
    assert all("+" not in key for key in entity_keys)
    assert all(labels[event.name]["hotkey"].startswith("shift+") for event in news_schema.events)


def test_label_config_hotkeys_avoid_label_studio_shortcuts(news_schema: Schema) -> None:
    """No label hotkey is one Label Studio binds itself, checked against its installed frontend."""
    keymap = _label_studio_keymap()
    assert {"ctrl+enter", "backspace", "alt+r", "u", "escape", "shift+1"} <= keymap  # it was read
    assert keymap <= LS_RESERVED_KEYS, f"Label Studio binds keys the list lacks: {keymap - LS_RESERVED_KEYS}"
    hotkeys = {attributes["hotkey"] for attributes in _labels(news_schema).values()}
    assert not hotkeys & LS_RESERVED_KEYS


def _hue_saturation(colour: str) -> tuple[float, float]:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, _, saturation = colorsys.rgb_to_hls(red, green, blue)
    return hue * 360, saturation


def test_label_config_colours_tell_triggers_from_entities(news_schema: Schema) -> None:
    """Event triggers are orange to amber, one colour per category; no entity is orange, amber or yellow."""
    labels = _labels(news_schema)
    for event in news_schema.events:
        hue, saturation = _hue_saturation(labels[event.name]["background"])
        assert 15 <= hue <= 60 and saturation > 0.6, (event.name, hue, saturation)
    for label in news_schema.entities:
        hue, saturation = _hue_saturation(labels[label.name]["background"])
        assert not 10 <= hue <= 70 or saturation < 0.2, (label.name, hue, saturation)
    by_category: dict[str, set[str]] = {}
    for event in news_schema.events:
        by_category.setdefault(event.name.split(":")[0], set()).add(labels[event.name]["background"])
    assert all(len(colours) == 1 for colours in by_category.values())
    assert len({colour for colours in by_category.values() for colour in colours}) == len(by_category) == 8


def test_label_config_underlines_exactly_the_event_triggers(news_schema: Schema) -> None:
    """The trigger rule of the <Style> selects the highlight of every event type and of no entity label."""
    style = ET.fromstring(label_config(news_schema)).findtext("Style") or ""
    selected = set(re.findall(r'\.htx-highlight\[data-label\$=":([^"]+)"\]', style))
    assert selected == {event.name for event in news_schema.events}
    rule = style[style.index(".htx-highlight[") :]
    assert "text-decoration: underline" in rule
    assert not {"<", ">", "&"} & set(style)  # Label Studio sanitizes <Style> as HTML


def test_label_config_stays_valid_for_label_studio(news_schema: Schema) -> None:
    """The config with its style, layout views and hotkeys parses with the SDK into both controls."""
    interface = LabelInterface(label_config(news_schema))
    assert interface.get_control(ENTITY_CONTROL).labels == news_schema.entity_labels
    assert interface.get_control(EVENT_CONTROL).labels == news_schema.event_types
