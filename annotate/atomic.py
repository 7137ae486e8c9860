"""Atomic file writes: output goes to a temporary file in the same folder, renamed when complete.

An interrupted or failed write leaves the previous file intact and no partial file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_writer(path: str | Path, *, mode: int | None = None) -> Iterator[TextIO]:
    """Open a text handle whose content replaces ``path`` only if the block completes.

    The file gets ``mode`` (default: what ``open`` would give, 0o666 less the umask), set before
    anything is written, so a secret written with ``mode=0o600`` is never readable by others.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below; renamed only on success
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        os.fchmod(handle.fileno(), _default_mode() if mode is None else mode)
        with handle:
            yield handle  # type: ignore[misc]  # a text-mode temporary file is a TextIO
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON to ``path``, atomically."""
    with atomic_writer(path) as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
