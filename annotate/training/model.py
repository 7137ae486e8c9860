"""Write a trained pipeline as a model folder: atomically, portable, named by its content.

The folder is what ``nlp.to_disk`` writes (each annotate component with its schema inside, so
the folder loads anywhere), plus the schema at the top (``schema.yaml``, to pass as ``--schema``)
and, in ``meta.json``, an ``annotate`` section: the gold's identity, the sizes, the layers and
the held-out figures. The pipeline's name is ``annotate_<hash>`` where the hash covers every file
but ``meta.json``, so two different models never share a ``model_version``. The folder is written
beside the target and swapped in; an existing folder is replaced only when it is an earlier
model folder of annotate's (or empty).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import srsly
from spacy.language import Language

from annotate.atomic import check_output, swap_folder
from annotate.errors import OutputError
from annotate.pipeline import model_version
from annotate.pipeline.stored import SCHEMA_FILE
from annotate.schema import Schema
from annotate.training.gold import GoldSet
from annotate.version import __version__

#: The key of annotate's section in a model folder's ``meta.json``.
META_KEY = "annotate"
_COMPONENTS = ("annotate_entities", "annotate_events", "annotate_learned_events")


def model_meta(path: Path) -> dict[str, Any]:
    """annotate's section of the model folder's ``meta.json`` (empty when it is not one of ours)."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    section = meta.get(META_KEY) if isinstance(meta, dict) else None
    return section if isinstance(section, dict) else {}


def is_model_folder(path: Path) -> bool:
    """Whether ``path`` is a model folder annotate wrote."""
    return bool(model_meta(path))


def check_model_target(out: Path) -> None:
    """Raise ``OutputError`` unless ``out`` is new, empty, or an earlier model folder of annotate's."""
    check_output(out, folder=True)
    if out.is_dir() and any(out.iterdir()) and not is_model_folder(out):
        raise OutputError(
            f"{out} holds files that are not an annotate model; train into a new or empty folder with --out"
        )


def save_model(nlp: Language, schema: Schema, out: Path, gold: GoldSet, report: dict[str, Any]) -> str:
    """Write ``nlp`` to ``out`` (see the module doc); its ``model_version``."""
    check_model_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        nlp.to_disk(staging)
        (staging / SCHEMA_FILE).write_bytes(Path(schema.path).read_bytes())
        _portable_config(staging / "config.cfg")
        digest = _content_hash(staging)
        meta = srsly.read_json(staging / "meta.json")
        meta.update(name=f"annotate_{digest}", version="1.0.0")
        meta[META_KEY] = {
            **report,
            "annotate_version": __version__,
            "schema_version": schema.version,
            "gold_sources": gold.sources,
            "gold_left_out": gold.left_out,
        }
        srsly.write_json(staging / "meta.json", meta)
        nlp.meta.update(name=meta["name"], version=meta["version"])
        meta[META_KEY]["model_version"] = version = model_version(nlp, schema)
        srsly.write_json(staging / "meta.json", meta)
        swap_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return version


def _portable_config(path: Path) -> None:
    """Drop the schema paths of the build machine from the config: components load theirs."""
    lines = []
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line
        if line.startswith("schema_path") and any(f".{name}]" in section for name in _COMPONENTS):
            line = "schema_path = null"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "meta.json"):
        digest.update(file.relative_to(folder).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]
