"""The command line end to end: real files in, real task files and messages out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from annotate.cli import app

from .conftest import REPO, SEED_ARTICLE

runner = CliRunner()


def test_cli_prelabel_seeds_writes_tasks(tmp_path: Path) -> None:
    """`annotate prelabel seeds/` writes one task per seed article and lists the non-article file."""
    out = tmp_path / "tasks.json"
    result = runner.invoke(app, ["prelabel", str(REPO / "seeds"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    tasks = json.loads(out.read_text(encoding="utf-8"))
    seed_lines = (REPO / "seeds" / "meantime_wikinews.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(tasks) == 1 + len(seed_lines)
    assert {t["data"]["doc_id"] for t in tasks} >= {"8dc24e3563c3f5f6", "meantime-58383"}
    assert all(t["predictions"][0]["result"] for t in tasks)
    assert f"wrote {len(tasks)} tasks" in result.stdout
    assert "ATTRIBUTION.md: not an article file" in result.stderr


def test_cli_prelabel_bad_line_is_one_clear_error(tmp_path: Path) -> None:
    """A malformed JSON line stops the run with file:line, no traceback, and no output file."""
    source = tmp_path / "news.jsonl"
    source.write_text('{"text": "Troops attacked the town."}\n{"text": \n', encoding="utf-8")
    out = tmp_path / "tasks.json"
    result = runner.invoke(app, ["prelabel", str(source), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{source}:2: malformed JSON" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left behind


def test_cli_prelabel_skip_invalid_reports_and_continues(tmp_path: Path) -> None:
    """With --skip-invalid, bad and duplicate articles are reported and the rest are written."""
    source = tmp_path / "news.jsonl"
    records = [
        {"text": "Troops attacked the town."},
        {"title": "no text"},
        {"text": "Troops attacked the town."},
    ]
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    out = tmp_path / "tasks.json"
    result = runner.invoke(app, ["prelabel", str(source), "--out", str(out), "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 1
    assert f"skipped {source}:2: no 'text' field" in result.stderr
    assert f"duplicate {source}:3: same text as {source}:1" in result.stderr


def test_cli_failed_run_keeps_previous_output(tmp_path: Path) -> None:
    """A run that fails leaves the previous task file untouched (atomic write)."""
    out = tmp_path / "tasks.json"
    assert runner.invoke(app, ["prelabel", str(SEED_ARTICLE), "--out", str(out)]).exit_code == 0
    before = out.read_bytes()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    result = runner.invoke(app, ["prelabel", str(SEED_ARTICLE), str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert "bad.txt: line 1: bytes are not UTF-8" in result.stderr
    assert out.read_bytes() == before


def test_cli_schema_validate_reports_bad_schema(tmp_path: Path) -> None:
    """`annotate schema validate` names the file and key of a broken schema."""
    bad = tmp_path / "s.yaml"
    bad.write_text("name: x\nentities: []\nextra: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["schema", "validate", "--schema", str(bad)])
    assert result.exit_code == 1
    assert "s.yaml: invalid schema" in result.stderr
    assert "[extra]" in result.stderr
    good = runner.invoke(app, ["schema", "validate"])
    assert good.exit_code == 0
    assert "33 event types" in good.stdout


def test_cli_schema_config_prints_labeling_config() -> None:
    """`annotate schema config` prints the generated XML."""
    result = runner.invoke(app, ["schema", "config"])
    assert result.exit_code == 0
    assert result.stdout.startswith("<View>")
    assert '<Label value="Conflict:Attack"' in result.stdout


def test_cli_console_script_runs(tmp_path: Path) -> None:
    """The installed `annotate` entry point runs as a real process (python -m annotate)."""
    out = tmp_path / "t.json"
    proc = subprocess.run(
        [sys.executable, "-m", "annotate", "prelabel", str(SEED_ARTICLE), "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "wrote 1 tasks" in proc.stdout
