"""The label schema: the single source of truth for entity labels, event types and roles.

``load_schema`` reads and validates a schema file (the default, ``news.yaml``, ships inside the
package as ``annotate/schemas/news.yaml``; ``schemas/news.yaml`` at the top of the repository
links to it); everything else that names a label (the
Label Studio config in ``annotate.labelstudio.labelconfig``, the spaCy patterns in ``annotate.pipeline``,
the dataset features) is generated from the ``Schema`` returned here.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from annotate.errors import SchemaError

#: The schema shipped with the package (package data, found wherever annotate is installed).
DEFAULT_SCHEMA = Path(str(files("annotate") / "schemas" / "news.yaml"))

TriggerPos = Literal["VERB", "NOUN", "ADJ", "PROPN"]
#: Syntactic cues that say where a role's filler sits relative to the trigger (see
#: ``annotate.pipeline.arguments``); ``prep:<word>`` names a preposition attached to the trigger.
CUES = ("subject", "object", "passive_subject", "agent", "possessor", "modifier", "sentence")
_CUE_RE = re.compile(r"^(?:" + "|".join(CUES) + r"|prep:[a-z]+)$")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_:.\-]*$")

Name = Annotated[str, Field(min_length=1, max_length=64)]
TokenPattern = list[dict[str, Any]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntityLabel(_Model):
    """An entity label annotators apply and event arguments point to."""

    name: Name = Field(description="Label name, as shown in Label Studio and stored in datasets")
    description: str = Field(description="One-line definition shown to annotators as a hint")
    spacy: list[str] = Field(default=[], description="OntoNotes labels of the spaCy NER mapped here")
    patterns: list[str | TokenPattern] = Field(
        default=[],
        description="Gazetteer: phrases (matched on lemmas, case-insensitive) or spaCy token patterns",
    )
    only_as_argument: bool = Field(
        default=False, description="Pre-annotate this label only where it fills an event role"
    )
    nominals: list[str] = Field(
        default=[],
        description="Lemmas of common nouns ('soldier') whose head word may fill an event role as this label",
    )


class Role(_Model):
    """An argument role, shared by the event types that list it."""

    name: Name = Field(description="Role name, used as a Label Studio relation label")
    description: str = Field(description="One-line definition shown to annotators")
    cues: list[str] = Field(default=[], description="Where the filler sits relative to the trigger")

    @field_validator("cues")
    @classmethod
    def _known_cues(cls, cues: list[str]) -> list[str]:
        for cue in cues:
            if not _CUE_RE.match(cue):
                raise ValueError(f"unknown cue {cue!r}; use one of {', '.join(CUES)} or prep:<word>")
        return cues


class Trigger(_Model):
    """A trigger word of an event type: a lemma (or lemma phrase) and the parts of speech it takes."""

    lemma: Name = Field(description="Lower-case lemma; several words for a phrase ('step down')")
    pos: list[TriggerPos] = Field(default=["VERB", "NOUN"], description="Parts of speech of the head")
    weight: float = Field(default=1.0, gt=0, le=1, description="Confidence that the word evokes the type")
    requires: list[str] = Field(default=[], description="Roles that must be filled for the trigger to count")


class EventType(_Model):
    """An ACE-style event subtype (``Type:Subtype``) with its roles and trigger words."""

    name: Name = Field(description="ACE Type:Subtype, e.g. Conflict:Attack")
    description: str = Field(description="One-line definition shown to annotators as a hint")
    roles: dict[str, list[str]] = Field(description="Role name -> entity labels that may fill it")
    triggers: list[Trigger | str] = Field(default=[], description="Trigger words; a string is a lemma")

    @cached_property
    def trigger_words(self) -> tuple[Trigger, ...]:
        """Triggers with the string shorthand expanded."""
        return tuple(Trigger(lemma=t) if isinstance(t, str) else t for t in self.triggers)


class Schema(_Model):
    """A whole annotation schema: entity labels, argument roles and event types."""

    name: Name = Field(description="Schema name, used in model versions and project titles")
    description: str = Field(default="", description="What the schema is for")
    entities: list[EntityLabel] = Field(min_length=1, description="Entity labels, in a fixed order")
    roles: list[Role] = Field(default=[], description="Argument roles, in a fixed order")
    events: list[EventType] = Field(default=[], description="Event types, in a fixed order")
    path: str = Field(default="", exclude=True, description="File the schema was read from")

    @cached_property
    def version(self) -> str:
        """Content hash of the schema: changes whenever any label, role or trigger changes."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]

    @cached_property
    def entity_labels(self) -> list[str]:
        """Entity label names in schema order (ClassLabel order: never reorder, only append)."""
        return [label.name for label in self.entities]

    @cached_property
    def event_types(self) -> list[str]:
        """Event type names in schema order."""
        return [event.name for event in self.events]

    @cached_property
    def role_names(self) -> list[str]:
        """Role names in schema order."""
        return [role.name for role in self.roles]

    def event(self, name: str) -> EventType:
        """Return the event type called ``name``."""
        for event in self.events:
            if event.name == name:
                return event
        raise KeyError(name)

    def role(self, name: str) -> Role:
        """Return the role called ``name``."""
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(name)

    @cached_property
    def nominal_labels(self) -> dict[str, str]:
        """Lemma of a common noun -> the entity label it has when it fills an event role."""
        return {lemma.lower(): label.name for label in self.entities for lemma in label.nominals}

    @cached_property
    def spacy_label_map(self) -> dict[str, str]:
        """OntoNotes label of the spaCy NER -> schema entity label."""
        return {onto: label.name for label in self.entities for onto in label.spacy}


def load_schema(path: str | Path | None = None) -> Schema:
    """Read, validate and return the schema at ``path`` (default: the packaged ``news.yaml``).

    Raises:
        SchemaError: the file is missing, is not YAML, has unknown or missing keys, or its
            labels are inconsistent; the message names the file and the key.
    """
    path = Path(path) if path is not None else DEFAULT_SCHEMA
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"{path}: schema file not found; pass an existing file with --schema") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise SchemaError(f"{path}: cannot read the schema: {err}") from None
    if not isinstance(raw, dict):
        raise SchemaError(f"{path}: a schema is a YAML mapping with keys name, entities, roles, events")
    return schema_from_dict(raw, source=str(path))


def schema_from_dict(raw: dict[str, Any], source: str = "<dict>") -> Schema:
    """Validate a schema given as a mapping (``source`` names it in error messages)."""
    try:
        schema = Schema.model_validate({**raw, "path": source})
    except ValidationError as err:
        lines = [f"[{' -> '.join(str(p) for p in e['loc'])}] {e['msg']}" for e in err.errors()]
        raise SchemaError(f"{source}: invalid schema:\n  " + "\n  ".join(lines)) from None
    problems = _consistency_problems(schema)
    if problems:
        raise SchemaError(f"{source}: inconsistent schema:\n  " + "\n  ".join(problems))
    return schema


def _duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]


def _consistency_problems(schema: Schema) -> list[str]:
    problems: list[str] = []
    for key, names in (
        ("entities", schema.entity_labels),
        ("roles", schema.role_names),
        ("events", schema.event_types),
    ):
        problems += [f"[{key}] duplicate name {name!r}" for name in _duplicates(names)]
        problems += [
            f"[{key}] name {name!r} may hold only letters, digits and _ : . -"
            for name in names
            if not _NAME_RE.match(name)
        ]
    nominals = [n.lower() for label in schema.entities for n in label.nominals]
    problems += [f"[entities] nominal {n!r} is listed under two labels" for n in _duplicates(nominals)]
    onto = [o for label in schema.entities for o in label.spacy]
    problems += [f"[entities] spaCy label {o!r} is mapped to two labels" for o in _duplicates(onto)]
    entity_labels, role_names = set(schema.entity_labels), set(schema.role_names)
    for i, event in enumerate(schema.events):
        where = f"[events -> {i} ({event.name}) -> roles"
        for role, labels in event.roles.items():
            if role not in role_names:
                problems.append(f"{where} -> {role}] unknown role; declare it under roles:")
            problems += [
                f"{where} -> {role}] unknown entity label {label!r}; known: {sorted(entity_labels)}"
                for label in labels
                if label not in entity_labels
            ]
            if not labels:
                problems.append(f"{where} -> {role}] lists no entity label")
        for j, trigger in enumerate(event.trigger_words):
            problems += [
                f"[events -> {i} ({event.name}) -> triggers -> {j}] requires role {role!r} "
                "that the event type does not have"
                for role in trigger.requires
                if role not in event.roles
            ]
    return problems
