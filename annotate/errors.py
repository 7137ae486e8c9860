"""Exceptions raised by annotate's library code; only the CLI turns them into exit codes.

The hierarchy::

    * AnnotateError       base class; the one thing ``annotate.cli`` catches
      - SchemaError       (also ValueError) a schema file is malformed or inconsistent
      - ArticleError      (also ValueError) an input article cannot be read
      - ModelError        a spaCy pipeline cannot be loaded or lacks a component
      - AlignmentError    (also ValueError) span offsets do not fit the text
      - StudioError       Label Studio rejected a request or cannot be reached
        - UncertainWriteError  a write's answer was lost: it may have been carried out
      - ConfigError       (also ValueError) a labeling config cannot be read or does not match
      - ExportError       an annotation cannot be mapped onto the dataset
      - EvaluationError   (also ValueError) a gold corpus cannot be read or mapped
      - OutputError       (also OSError) an output file or folder cannot be written

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
    """Raised when Label Studio cannot be reached or rejects a request (``status``: its HTTP status)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UncertainWriteError(StudioError):
    """Raised when the answer to a write was lost (connection dropped, timeout, server error): the
    server may have carried it out, so re-read before sending it again."""


class ConfigError(AnnotateError, ValueError):
    """Raised when a labeling config is malformed or differs from the one the schema gives."""


class ExportError(AnnotateError):
    """Raised when annotations cannot be mapped onto the dataset features."""


class EvaluationError(AnnotateError, ValueError):
    """Raised when a gold corpus cannot be read or mapped onto the schema."""


class OutputError(AnnotateError, OSError):
    """Raised when an output file or folder cannot be written: a folder where a file is wanted, a
    path under a file, no permission, a read-only or full disk."""
