"""`annotate push` and `annotate pull` end to end against the session's real Label Studio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.studio.client import Studio
from annotate.studio.connection import KEY_ENV, URL_ENV
from annotate.studio.server import LocalServer

from .conftest import SEEDS

runner = CliRunner()


@pytest.fixture
def server_env(studio_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """Point LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY at the session's server."""
    monkeypatch.setenv(URL_ENV, studio_server.credentials.url)
    monkeypatch.setenv(KEY_ENV, studio_server.credentials.token)
    return studio_server


def test_cli_push_articles_then_pull(server_env: LocalServer, tmp_path: Path) -> None:
    """Articles pushed directly are pre-labelled on the way; a second push creates nothing; pull gets all."""
    seed_count = 1 + len((SEEDS / "meantime_wikinews.jsonl").read_text(encoding="utf-8").splitlines())
    first = runner.invoke(app, ["push", str(SEEDS), "--project", "cli-push"])
    assert first.exit_code == 0, first.output
    assert f"{seed_count} tasks created" in first.stdout
    assert f"annotate at {server_env.credentials.url}/projects/" in first.stdout
    second = runner.invoke(app, ["push", str(SEEDS), "--project", "cli-push"])
    assert second.exit_code == 0, second.output
    assert f"0 tasks created, 0 predictions added to existing tasks, {seed_count} unchanged" in second.stdout
    snapshot = tmp_path / "snap.jsonl"
    pulled = runner.invoke(app, ["pull", "--project", "cli-push", "--out", str(snapshot)])
    assert pulled.exit_code == 0, pulled.output
    lines = [json.loads(line) for line in snapshot.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == seed_count
    assert all(task["predictions"][0]["result"] for task in lines)
    credentials = server_env.credentials
    for output in (first.output, second.output, pulled.output):
        assert credentials.token not in output
    assert credentials.token not in snapshot.read_text(encoding="utf-8")
    with Studio.connect(credentials.url, credentials.token) as studio:
        project = studio.find_project("cli-push")
        assert project is not None
        studio.delete_project(project.id)


def test_cli_push_bad_token_is_one_line(
    server_env: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A rejected token is one clear line, exit code 1, and the token is not echoed."""
    monkeypatch.setenv(KEY_ENV, "not-the-token-0000")
    result = runner.invoke(app, ["pull", "--project", "x", "--out", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 1
    assert "refused the API key (401)" in result.stderr
    assert "not-the-token-0000" not in result.output
    assert "Traceback" not in result.output


def test_cli_pull_unknown_project(server_env: LocalServer, tmp_path: Path) -> None:
    """Pulling a project that does not exist says so and writes nothing."""
    out = tmp_path / "s.jsonl"
    result = runner.invoke(app, ["pull", "--project", "no-such-project", "--out", str(out)])
    assert result.exit_code == 1
    assert "no project titled 'no-such-project'" in result.stderr
    assert not out.exists()


def test_cli_export_project_pulls_then_exports(server_env: LocalServer, tmp_path: Path) -> None:
    """`annotate export --project` pulls the live project and writes a loadable dataset."""
    seed = SEEDS / "000_4dfab99024a4c301.txt"
    assert runner.invoke(app, ["push", str(seed), "--project", "cli-export"]).exit_code == 0
    credentials = server_env.credentials
    with Studio.connect(credentials.url, credentials.token) as studio:
        project = studio.find_project("cli-export")
        assert project is not None
        [task] = list(studio.tasks(project.id))
        studio.client.annotations.create(id=task["id"], result=task["predictions"][0]["result"])
        out = tmp_path / "dataset"
        result = runner.invoke(app, ["export", "--project", "cli-export", "--out", str(out)])
        studio.delete_project(project.id)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    documents = json.loads((out / "export_report.json").read_text(encoding="utf-8"))
    assert sum(documents["splits"].values()) == 1
    assert (out / "README.md").exists()
