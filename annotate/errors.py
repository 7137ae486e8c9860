"""Exceptions raised by annotate's library code; only the CLI turns them into exit codes.

The hierarchy::

    * AnnotateError       base class; the one thing ``annotate.cli`` catches
      - SchemaError       (also ValueError) a schema file is malformed or inconsistent
      - ArticleError      (also ValueError) an input article cannot be read
      - ModelError        a spaCy pipeline cannot be loaded or lacks a component
      - AlignmentError    (also ValueError) span offsets do not fit the text
      - StudioError       Label Studio rejected a request or cannot be reached
      - ExportError       an annotation cannot be mapped onto the dataset
      - EvaluationError   (also ValueError) a gold corpus cannot be read or mapped

Every message names the offending value, where it came from (file and line, task id or key)
and what to do about it.
"""

from __future__ import annotations


class AnnotateError(Exception):
    """Base class of every error annotate raises on purpose."""


class SchemaError(AnnotateError, ValueError):
    """Raised when a schema file is missing, malformed or inconsistent."""


class ArticleError(AnnotateError, ValueError):
    """Raised when an input article cannot be read, decoded or is empty."""


class ModelError(AnnotateError):
    """Raised when a spaCy pipeline cannot be loaded or lacks what annotate needs."""


class AlignmentError(AnnotateError, ValueError):
    """Raised when span offsets fall outside the text or do not match the span text."""


class StudioError(AnnotateError):
    """Raised when Label Studio cannot be reached or rejects a request."""


class ExportError(AnnotateError):
    """Raised when annotations cannot be mapped onto the dataset features."""


class EvaluationError(AnnotateError, ValueError):
    """Raised when a gold corpus cannot be read or mapped onto the schema."""
