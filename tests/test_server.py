"""The local Label Studio server, real processes end to end: start, auth, secrets, restart, stop."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import StudioError
from annotate.studio.credentials import Credentials, load_credentials, save_credentials
from annotate.studio.server import DEFAULT_USERNAME, PID_FILE, LocalServer, status, stop_background

from .fixtures.studio import free_port

_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never via a proxy


def _api(server: LocalServer, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the server's REST API with the admin's legacy token; the decoded JSON answer."""
    request = urllib.request.Request(
        server.url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Token {server.credentials.token}", "Content-Type": "application/json"},
    )
    with _HTTP.open(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A second server with its own data dir and port, for the restart and background tests."""
    server = LocalServer(tmp_path_factory.mktemp("own-studio"), port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_server_health_and_legacy_token_auth(studio_server: LocalServer) -> None:
    """/health answers and the saved legacy token authenticates as the admin."""
    with _HTTP.open(f"{studio_server.url}/health", timeout=5) as response:
        assert response.status == 200
    assert _api(studio_server, "/api/current-user/whoami")["email"] == DEFAULT_USERNAME
    assert studio_server.credentials.url == studio_server.url


def test_server_secrets_only_in_credentials_file(studio_server: LocalServer) -> None:
    """Credentials are mode 600 and the password and token appear in no log, pid file or argv."""
    creds = studio_server.credentials
    path = studio_server.data_dir / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credentials(path) == creds
    argv = Path(f"/proc/{studio_server.pid}/cmdline").read_bytes().decode()
    for name in ("server.log", PID_FILE):
        text = (studio_server.data_dir / name).read_text(encoding="utf-8")
        assert creds.token not in text and creds.password not in text, name
    assert "label-studio" in argv and creds.token not in argv and creds.password not in argv
    assert creds.token not in repr(creds) and creds.password not in repr(creds)


def test_server_port_taken_is_a_clear_error(studio_server: LocalServer, tmp_path: Path) -> None:
    """A second server on a port in use fails naming the port, and starts no process."""
    second = LocalServer(tmp_path / "studio", port=studio_server.port)
    with pytest.raises(StudioError, match=rf"port {studio_server.port} on 127\.0\.0\.1 is taken.*--port"):
        second.start()
    assert second.pid is None and not second.is_running()
    assert not (tmp_path / "studio" / PID_FILE).exists()
    assert not (tmp_path / "studio" / "credentials.json").exists()


def test_server_restart_keeps_credentials_and_data(own_server: LocalServer) -> None:
    """Stopping and starting on the same data dir reuses the credentials and keeps projects."""
    own_server.start()
    before = own_server.credentials
    project = _api(own_server, "/api/projects", {"title": "survives a restart"})
    own_server.stop()
    assert not own_server.is_running() and not (own_server.data_dir / PID_FILE).exists()
    assert own_server.start() == before
    assert _api(own_server, f"/api/projects/{project['id']}")["title"] == "survives a restart"


def test_server_data_dir_made_private_on_every_start(own_server: LocalServer) -> None:
    """A data dir opened to others (755, database 644) is private again after a start: 700 and 600."""
    own_server.stop()
    database = own_server.data_dir / "label_studio.sqlite3"
    own_server.data_dir.chmod(0o755)
    database.chmod(0o644)
    own_server.start()
    assert stat.S_IMODE(own_server.data_dir.stat().st_mode) == 0o700
    _api(own_server, "/api/projects", {"title": "written after the start"})
    for path in own_server.data_dir.rglob("*"):
        if not path.is_symlink():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_server_second_server_on_same_dir_refused(own_server: LocalServer) -> None:
    """A second server on a data dir already served is refused before it starts a process."""
    own_server.start()
    second = LocalServer(own_server.data_dir, port=free_port())
    with pytest.raises(StudioError, match=r"already runs on .*annotate studio down"):
        second.start()
    assert second.pid is None


def test_stop_background_stops_and_status_follows(own_server: LocalServer) -> None:
    """status gives the URL while the server runs; stop_background stops it, then reports nothing."""
    own_server.start()
    assert status(own_server.data_dir) == own_server.url
    assert stop_background(own_server.data_dir) is True
    own_server.stop()  # reaps the stopped child process
    assert status(own_server.data_dir) is None
    assert stop_background(own_server.data_dir) is False
    assert not (own_server.data_dir / PID_FILE).exists()


def test_cli_studio_up_background_status_down(own_server: LocalServer) -> None:
    """`annotate studio up -b` leaves a server running that `status` shows and `down` stops."""
    own_server.stop()
    where = ["--dir", str(own_server.data_dir)]

    def annotate(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "annotate", "studio", *args, *where]
        return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)

    try:
        up = annotate("up", "--background", "--port", str(own_server.port))
        assert up.returncode == 0, up.stderr
        assert f"running at {own_server.url}" in up.stdout and "(mode 600)" in up.stdout
        assert own_server.credentials.password not in up.stdout + up.stderr
        assert f"running at {own_server.url}" in annotate("status").stdout
    finally:
        down = annotate("down")
    assert down.returncode == 0 and "stopped the Label Studio server" in down.stdout
    assert status(own_server.data_dir) is None
    assert "no Label Studio server was running" in annotate("down").stdout


def test_load_credentials_refuses_readable_file(tmp_path: Path) -> None:
    """A credentials file others can read is refused with the chmod fix, without leaking secrets."""
    path = tmp_path / "credentials.json"
    creds = Credentials("http://127.0.0.1:1", DEFAULT_USERNAME, "pass-w0rd-secret", "token-secret-123456")
    save_credentials(path, creds)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_credentials(path) == creds
    path.chmod(0o644)
    with pytest.raises(StudioError, match=f"run chmod 600 {re.escape(str(path))}") as caught:
        load_credentials(path)
    assert "secret" not in str(caught.value)
    path.chmod(0o600)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StudioError, match=f"{re.escape(str(path))}: unreadable credentials"):
        load_credentials(path)
