"""Schema loading, validation errors and what is generated from the schema."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from label_studio_sdk.label_interface import LabelInterface

from annotate.errors import SchemaError
from annotate.labelstudio.labelconfig import ENTITY_CONTROL, EVENT_CONTROL, TEXT_NAME, label_config
from annotate.schema import Schema, load_schema


def _minimal() -> dict[str, Any]:
    return {
        "name": "mini",
        "entities": [
            {"name": "PERSON", "description": "people", "spacy": ["PERSON"]},
            {"name": "GPE", "description": "countries & cities <x>", "spacy": ["GPE"]},
        ],
        "roles": [{"name": "Victim", "description": "who died", "cues": ["object", "prep:of"]}],
        "events": [
            {
                "name": "Life:Die",
                "description": "someone dies",
                "roles": {"Victim": ["PERSON"]},
                "triggers": ["kill", {"lemma": "dead", "pos": ["ADJ"]}],
            }
        ],
    }


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_load_schema_news_has_the_required_labels(news_schema: Schema) -> None:
    """The shipped schema has the entity labels event arguments need and all 33 ACE subtypes."""
    required = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "WEAPON", "VEHICLE", "DATE", "TIME", "MONEY"}
    assert required <= set(news_schema.entity_labels)
    assert len(news_schema.events) == 33
    assert {"Conflict:Attack", "Life:Die", "Justice:Sentence", "Personnel:End-Position"} <= set(
        news_schema.event_types
    )
    assert all(e.description for e in news_schema.entities)
    assert all("Time" in event.roles for event in news_schema.events)


def test_load_schema_version_changes_with_content(tmp_path: Path) -> None:
    """The version is a content hash: same content, same version; any edit, a new one."""
    data = _minimal()
    first = load_schema(_write(tmp_path, data)).version
    assert load_schema(_write(tmp_path, data)).version == first
    data["entities"][1]["description"] = "other"
    assert load_schema(_write(tmp_path, data)).version != first


def test_load_schema_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    """A misspelt key is rejected with the file and the path to the key."""
    data = _minimal()
    data["entities"][0]["colour"] = "red"
    path = _write(tmp_path, data)
    with pytest.raises(SchemaError, match=r"schema\.yaml: invalid schema:\n  \[entities -> 0 -> colour\]"):
        load_schema(path)


def test_load_schema_duplicate_label(tmp_path: Path) -> None:
    """Two labels with one name are rejected."""
    data = _minimal()
    data["entities"].append({"name": "GPE", "description": "again"})
    with pytest.raises(SchemaError, match=r"\[entities\] duplicate name 'GPE'"):
        load_schema(_write(tmp_path, data))


def test_load_schema_role_pointing_to_unknown_label(tmp_path: Path) -> None:
    """A role that accepts a label the schema does not define is rejected, naming the event and role."""
    data = _minimal()
    data["events"][0]["roles"]["Victim"] = ["PERSON", "ANIMAL"]
    with pytest.raises(SchemaError, match=r"Life:Die\) -> roles -> Victim\] unknown entity label 'ANIMAL'"):
        load_schema(_write(tmp_path, data))


def test_load_schema_undeclared_role_and_bad_cue(tmp_path: Path) -> None:
    """Event roles must be declared under roles, and cues come from a fixed vocabulary."""
    data = _minimal()
    data["events"][0]["roles"]["Killer"] = ["PERSON"]
    with pytest.raises(SchemaError, match=r"roles -> Killer\] unknown role"):
        load_schema(_write(tmp_path, data))
    data = _minimal()
    data["roles"][0]["cues"] = ["behind"]
    with pytest.raises(SchemaError, match=r"unknown cue 'behind'"):
        load_schema(_write(tmp_path, data))


def test_load_schema_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    """A missing file or broken YAML is a SchemaError naming the file."""
    with pytest.raises(SchemaError, match=r"nope\.yaml: schema file not found"):
        load_schema(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad\.yaml: cannot read the schema"):
        load_schema(bad)


def test_label_config_lists_exactly_the_schema_labels(news_schema: Schema) -> None:
    """The generated config parses with the SDK and lists exactly the schema's labels and roles."""
    config = label_config(news_schema)
    interface = LabelInterface(config)
    assert interface.get_control(ENTITY_CONTROL).labels == news_schema.entity_labels
    assert interface.get_control(EVENT_CONTROL).labels == news_schema.event_types
    assert interface.get_object(TEXT_NAME).value == f"${TEXT_NAME}"
    roles = [r.get("value") for r in ET.fromstring(config).iter("Relation")]
    assert roles == news_schema.role_names


def test_label_config_escapes_names_and_hints(tmp_path: Path) -> None:
    """Descriptions with XML characters survive as attribute text, not markup."""
    schema = load_schema(_write(tmp_path, _minimal()))
    root = ET.fromstring(label_config(schema))
    hints = {label.get("value"): label.get("hint") for label in root.iter("Label")}
    assert hints["GPE"] == "countries & cities <x>"
