"""A regular (non-editable) install works: the wheel carries the schema and pre-labels from anywhere."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from .conftest import REPO, SEEDS


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with annotate installed from a wheel built from this checkout.

    The dependencies (spaCy, the model, datasets ...) come from the test run's own environment
    through a ``.pth`` line, so nothing is downloaded; annotate itself comes only from the wheel.
    """
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(root / "dist"), str(REPO)],
        check=True, cwd=root,
    )  # fmt: skip
    (wheel,) = (root / "dist").glob("annotate-*.whl")
    env_dir = root / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # Installed with this run's pip into the new environment's site-packages (no pip inside it).
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--target", site,
         str(wheel)],
        check=True,
    )  # fmt: skip
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # The console script, as pip would write it for this environment.
    script = env_dir / "bin" / "annotate"
    script.write_text(
        f"#!{python}\nimport sys\nfrom annotate.cli import app\nsys.exit(app())\n", encoding="utf-8"
    )
    script.chmod(0o755)
    return env_dir


def test_wheel_install_prelabels_seeds_from_another_directory(installed: Path, tmp_path: Path) -> None:
    """Installed from the wheel, annotate loads its packaged schema and pre-labels outside the repo."""
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles, ignore=shutil.ignore_patterns("*.py", "*.md"))
    work = tmp_path / "work"
    work.mkdir()
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import annotate; print(annotate.__file__)"],
        check=True, capture_output=True, text=True, cwd=work,
    ).stdout  # fmt: skip
    assert str(installed) in where and str(REPO) not in where
    done = subprocess.run(
        [str(installed / "bin" / "annotate"), "prelabel", str(articles), "--out", "tasks.json"],
        capture_output=True, text=True, cwd=work,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tasks = json.loads((work / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == 7  # the seed article and six Wikinews articles
    assert all(task["predictions"][0]["result"] for task in tasks)


def test_wheel_install_help_names_no_build_path(installed: Path, tmp_path: Path) -> None:
    """`--help` of the installed command shows no path of the machine that built or installed it."""
    shown = subprocess.run(
        [str(installed / "bin" / "annotate"), "prelabel", "--help"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env={"COLUMNS": "200", "PATH": "/usr/bin"},
    ).stdout  # fmt: skip
    assert "--schema" in shown
    assert str(REPO) not in shown and str(installed) not in shown
