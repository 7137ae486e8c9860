"""API keys go only to the server they belong to: never through a proxy for loopback, never elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import StudioError
from annotate.studio.connection import KEY_ENV, URL_ENV, is_loopback, resolve_connection, same_server
from annotate.studio.credentials import Credentials, save_credentials
from annotate.studio.server import LocalServer

from .fixtures.network import recorder

LOCAL = Credentials("http://127.0.0.1:8080", "admin@annotate.local", "password-secret", "local-token-secret")


@pytest.fixture
def local_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local server's data dir with its credentials, and no connection settings in the environment."""
    for name in (URL_ENV, KEY_ENV):
        monkeypatch.delenv(name, raising=False)
    save_credentials(tmp_path / "credentials.json", LOCAL)
    return tmp_path


def test_resolve_connection_local_key_only_for_the_local_url(
    local_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only LABEL_STUDIO_URL set to another server, the local key is refused, not sent there."""
    monkeypatch.setenv(URL_ENV, "https://labels.example.org")
    with pytest.raises(
        StudioError, match=f"no API key for https://labels.example.org: set {KEY_ENV}"
    ) as caught:
        resolve_connection(studio_dir=local_dir)
    assert LOCAL.token not in str(caught.value)
    monkeypatch.setenv(URL_ENV, "http://localhost:8080/")  # the local server under another loopback name
    assert resolve_connection(studio_dir=local_dir).api_key == LOCAL.token
    monkeypatch.delenv(URL_ENV)
    assert resolve_connection(studio_dir=local_dir).url == LOCAL.url


def test_resolve_connection_refuses_clear_text_to_another_host(local_dir: Path) -> None:
    """http:// to a host other than loopback needs --insecure; https:// and loopback do not."""
    with pytest.raises(StudioError, match=r"refusing to send the API key in clear to labels\.lan over http"):
        resolve_connection("http://labels.lan:8080", "a-key", studio_dir=local_dir)
    assert resolve_connection("http://labels.lan:8080", "a-key", studio_dir=local_dir, insecure=True).url
    assert resolve_connection("https://labels.lan", "a-key", studio_dir=local_dir).url == "https://labels.lan"
    with pytest.raises(StudioError, match="is not a Label Studio URL"):
        resolve_connection("ftp://labels.lan", "a-key", studio_dir=local_dir)
    with pytest.raises(StudioError, match="holds a user name or password") as caught:
        resolve_connection("https://me:hunter2@labels.lan", "a-key", studio_dir=local_dir)
    assert "hunter2" not in str(caught.value)


def test_loopback_and_same_server() -> None:
    """Loopback names and addresses are one server per port; other hosts and ports are not."""
    assert (
        is_loopback("http://127.0.0.2:1")
        and is_loopback("http://[::1]:8080")
        and is_loopback("http://localhost")
    )
    assert not is_loopback("http://10.0.0.1") and not is_loopback("http://localhost.example.org")
    assert same_server("http://127.0.0.1:8080", "http://localhost:8080/")
    assert not same_server("http://127.0.0.1:8080", "http://127.0.0.1:8081")
    assert not same_server("http://127.0.0.1:8080", "https://127.0.0.1:8080")


def test_cli_pull_never_sends_loopback_traffic_through_a_proxy(
    studio_server: LocalServer, project: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every proxy variable pointing at a recording listener, pull works and it receives nothing."""
    creds = studio_server.credentials
    monkeypatch.setenv(URL_ENV, creds.url)
    monkeypatch.setenv(KEY_ENV, creds.token)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with recorder() as (record, proxy_url):
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy_url)
        runner = CliRunner()
        result = runner.invoke(app, ["push", str(_article(tmp_path)), "--project", project])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["pull", "--project", project, "--out", str(tmp_path / "s.jsonl")])
        assert result.exit_code == 0, result.output
        assert "wrote 1 tasks" in result.stdout
    assert record.received == []


def test_cli_local_key_never_reaches_another_url(
    studio_server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LABEL_STUDIO_URL names another server and no key is set: the local key is not sent to it."""
    monkeypatch.chdir(tmp_path)
    save_credentials(tmp_path / ".annotate" / "studio" / "credentials.json", studio_server.credentials)
    monkeypatch.delenv(KEY_ENV, raising=False)
    with recorder() as (record, other_url):
        monkeypatch.setenv(URL_ENV, other_url)
        result = CliRunner().invoke(
            app, ["pull", "--project", "anything", "--out", str(tmp_path / "s.jsonl")]
        )
    assert result.exit_code == 1
    assert f"no API key for {other_url}" in result.stderr
    assert studio_server.credentials.token not in result.output
    assert record.received == []


def _article(folder: Path) -> Path:
    path = folder / "article.jsonl"
    path.write_text(
        json.dumps({"id": "p1", "text": "Rebels attacked Kabul on Monday."}) + "\n", encoding="utf-8"
    )
    return path
