"""Shared fixtures: the shipped schema, one real spaCy pipeline, and small literal articles."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from annotate.pipeline import build_nlp
from annotate.schema import Schema, load_schema

pytest_plugins = ["tests.fixtures.studio"]

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SEED_ARTICLE = SEEDS / "000_4dfab99024a4c301.txt"


@pytest.fixture(scope="session")
def news_schema() -> Schema:
    """The schema shipped inside the package (annotate/schemas/news.yaml)."""
    return load_schema()


@pytest.fixture(scope="session")
def nlp(news_schema: Schema) -> Language:
    """The real pre-annotation pipeline (en_core_web_sm + annotate components), loaded once."""
    return build_nlp(news_schema)
