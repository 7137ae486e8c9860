"""annotate: pre-annotate news with entities and events, correct them in Label Studio, export datasets."""

from __future__ import annotations

__version__ = "0.1.0"
