"""Atomic file writes: output goes to a temporary file in the same folder, renamed when complete.

An interrupted or failed write leaves the previous file intact and no partial file behind.
``check_output`` finds, before any work starts, the reasons a path could not be written.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from annotate.errors import OutputError

#: Errors that can only come from writing (a full or read-only disk, a quota, a size limit).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG})


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def output_error(path: str | Path, error: OSError) -> OutputError:
    """The error for ``path`` that could not be written because of ``error``."""
    advice = {
        errno.ENOSPC: "free some space or write elsewhere",
        errno.EDQUOT: "free some space or write elsewhere",
        errno.EROFS: "the disk is read-only: write elsewhere",
        errno.EACCES: "no permission: write elsewhere or change the folder's permissions",
        errno.EPERM: "no permission: write elsewhere or change the folder's permissions",
    }.get(error.errno or 0, "write elsewhere")
    return OutputError(f"cannot write {path}: {error.strerror or error}; {advice}")


def check_output(
    path: str | Path, *, folder: bool = False, ours: Callable[[Path], bool] | None = None, what: str = ""
) -> None:
    """Raise ``OutputError`` now if ``path`` cannot be written later (nothing is created).

    A file path must not be a folder (``folder=True``: a folder path must not be a file), must not
    lie under a file, and its nearest existing folder must let a file be created in it (tried for
    real, so a read-only disk is found even by root). With ``ours``, an existing file is replaced
    only if ``ours(path)`` says annotate wrote it (``what`` names the kind of file, for the message).
    """
    path = Path(path)
    if ours is not None and path.is_file() and not ours(path):
        raise OutputError(
            f"{path} exists and is not {what or 'a file annotate wrote'}; annotate does not overwrite it: "
            "give another output path, or move the file away yourself"
        )
    if folder and path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file; give a folder for the output")
    if not folder and path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name for the output")
    ancestor = path.parent if not (folder and path.is_dir()) else path
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot write {path}: {ancestor} is a file, not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=ancestor, prefix=".annotate-probe-"):
            pass
    except OSError as error:
        raise output_error(path, error) from None


@contextmanager
def atomic_writer(path: str | Path, *, mode: int | None = None) -> Iterator[TextIO]:
    """Open a text handle whose content replaces ``path`` only if the block completes.

    The file gets ``mode`` (default: what ``open`` would give, 0o666 less the umask), set before
    anything is written, so a secret written with ``mode=0o600`` is never readable by others.

    Raises:
        OutputError: the file cannot be created or written (no permission, a read-only or full
            disk); the temporary file is removed.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below; renamed only on success
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        )
    except OSError as error:
        raise output_error(path, error) from None
    try:
        os.fchmod(handle.fileno(), _default_mode() if mode is None else mode)
        with handle:
            yield handle  # type: ignore[misc]  # a text-mode temporary file is a TextIO
        os.replace(handle.name, path)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        if error.errno in _WRITE_ERRNOS or isinstance(error, IsADirectoryError):
            raise output_error(path, error) from None
        raise
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def swap_folder(staging: Path, out: Path) -> None:
    """Put the finished folder ``staging`` in place of ``out`` (which the caller checked it may
    replace); the old folder is removed only after the swap, so a failure leaves one of the two."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.replaced-{uuid.uuid4().hex[:12]}")
        out.rename(old)
    staging.rename(out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON to ``path``, atomically."""
    with atomic_writer(path) as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
