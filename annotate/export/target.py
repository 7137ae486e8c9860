"""The export's output folder: only ever an earlier export of annotate's own is replaced.

An export is written into a staging folder beside the target and swapped in once complete. It
records every file it wrote in a marker file (``MARKER``). The target may be a new path or an
empty folder; an existing folder is replaced only when its marker says annotate wrote it and it
holds nothing else (so a snapshot or any file put there since is never deleted). Anything else
is refused before any work starts, with what to do.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from annotate.atomic import check_output, swap_folder
from annotate.errors import OutputError
from annotate.version import __version__

#: The marker file an export writes last, listing every file it wrote.
MARKER = ".annotate-export.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: The files of an export written before the marker existed.
_LEGACY = re.compile(
    r"README\.md|export_report\.json|(documents|tokens)/[\w-]+\.parquet|spacy/\w+\.spacy|conll/\w+(\.triggers)?\.conll"
)


def folder_name(title: str) -> str:
    """A folder name for a project title: letters, digits, ``.``, ``_``, ``-`` (no path tricks)."""
    name = _UNSAFE.sub("-", title).strip(".-")
    return name or "dataset"


def check_target(out: Path) -> None:
    """Raise ``OutputError`` unless ``out`` is new, an empty folder, or an earlier export that
    holds only the files it wrote; also when the folder beside it cannot be written."""
    check_output(out, folder=True)
    if not out.exists():
        return
    present = _files(out)
    if not present:
        return
    recorded = _recorded(out)
    if recorded is None:
        raise OutputError(
            f"{out} holds files that annotate did not write (no {MARKER}); export to a new or empty "
            "folder with --out, or move those files away yourself"
        )
    foreign = sorted(present - recorded - {MARKER})
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise OutputError(
            f"{out} is an earlier export, but also holds files it did not write ({shown}); move them "
            "away (a snapshot being exported included), or export elsewhere with --out"
        )


def staging_folder(out: Path) -> Path:
    """A new folder beside ``out`` to write the export into, with the mode a new folder gets."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    mode = out.stat().st_mode & 0o777 if out.is_dir() else 0o777 & ~umask
    staging.chmod(mode)
    return staging


def finish(staging: Path, out: Path) -> None:
    """Record the staged files in the marker, then swap the staging folder in for ``out``.

    The earlier export (checked by ``check_target``) is removed only once the new one is in place.
    """
    files = sorted(_files(staging))
    (staging / MARKER).write_text(
        json.dumps({"tool": "annotate", "version": __version__, "files": files}, indent=2) + "\n",
        encoding="utf-8",
    )
    check_target(out)  # nothing was put there while the export ran
    swap_folder(staging, out)


def _files(folder: Path) -> set[str]:
    """Every file under ``folder`` (subfolders searched), as a path relative to it."""
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if not path.is_dir()}


def _recorded(folder: Path) -> set[str] | None:
    """The files the export in ``folder`` wrote, by its marker; None if annotate did not write it.

    An export of annotate 0.1.0 (before the marker) is recognised by its report and layout.
    """
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        present = _files(folder)
        legacy = "export_report.json" in present and all(_LEGACY.fullmatch(name) for name in present)
        return present if legacy else None
    except (OSError, ValueError):
        return None
    files = marker.get("files") if isinstance(marker, dict) and marker.get("tool") == "annotate" else None
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        return None
    return set(files)
