"""The embedded local Label Studio server: one ``label-studio start`` process per data dir.

The data dir holds the SQLite database, ``credentials.json``, ``server.log`` and ``server.pid``; a
restart on it reuses them. Every start makes the dir private again (700, files 600 at most: the
database holds the admin's token), and the server runs with umask 077, so what it writes later is
private too. Password and token go by environment, never argv (``ps``) or a message.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import stat
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from annotate.atomic import atomic_writer
from annotate.errors import StudioError
from annotate.studio.background import PID_FILE, read_pid, server_argv, signal_group, status, stop_background
from annotate.studio.credentials import (
    CREDENTIALS_FILE,
    Credentials,
    load_credentials,
    save_credentials,
)
from annotate.studio.database import POSTGRES_DIR, Database, LocalPostgres, load_database
from annotate.studio.webworkers import (
    UWSGI_ENVIRONMENT,
    check_web_workers,
    initialise,
    installed,
    uwsgi_argv,
)

DEFAULT_PORT = 8080
DEFAULT_USERNAME = "admin@annotate.local"
LOG_FILE = "server.log"

# Label Studio reads every setting as LABEL_STUDIO_<name>, HEARTEX_<name> or plain <name>; these
# would override what we pass (plain USERNAME and HOST are often set by the shell or CI).
_SCRUBBED = {"DATABASE_NAME"} | {
    prefix + name
    for prefix in ("", "LABEL_STUDIO_", "HEARTEX_")
    for name in ("USERNAME", "PASSWORD", "USER_TOKEN", "PORT", "HOST", "DEBUG", "BASE_DATA_DIR")
}
_QUIET = {  # no calls home, no open signup, log lines written as they come
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    "PYTHONUNBUFFERED": "1",
}
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
# Label Studio 1.23 refuses ML backends and webhooks on reserved addresses, loopback included. The
# local server keeps refusing every one of them except loopback, where `annotate serve` listens:
# its own list of banned subnets is Label Studio's default list without 127.0.0.0/8 and ::1.
_BANNED_BUT_LOOPBACK = (
    "0.0.0.0/8,10.0.0.0/8,100.64.0.0/10,169.254.0.0/16,172.16.0.0/12,192.0.0.0/24,192.0.2.0/24,"
    "192.88.99.0/24,192.168.0.0/16,198.18.0.0/15,198.51.100.0/24,203.0.113.0/24,224.0.0.0/4,"
    "233.252.0.0/24,240.0.0.0/4,255.255.255.255/32,::/128,::ffff:0:0/96,::ffff:0:0:0/96,64:ff9b::/96,"
    "64:ff9b:1::/48,100::/64,2001:0000::/32,2001:20::/28,2001:db8::/32,2002::/16,fc00::/7,fe80::/10,ff00::/8"
)
_LOOPBACK_BACKENDS = {
    "USE_DEFAULT_BANNED_SUBNETS": "false",
    "USER_ADDITIONAL_BANNED_SUBNETS": _BANNED_BUT_LOOPBACK,
}


def make_private(data_dir: Path) -> None:
    """Take every permission of other users off ``data_dir`` and what it holds (mode 700 for
    folders, 600 for files at most): the database holds the admin's token and the annotations.
    A local PostgreSQL's own folder is left to it (it keeps it at 700 and refuses to start
    otherwise); running as root, the postgres user may pass through ``data_dir`` (711) to reach it.

    Raises:
        StudioError: a file there belongs to someone else and cannot be changed.
    """
    postgres = data_dir / POSTGRES_DIR
    paths = [p for p in data_dir.rglob("*") if postgres not in p.parents and p != postgres]
    for path in [data_dir, *paths]:
        try:
            info = path.lstat()
            if not stat.S_ISLNK(info.st_mode) and info.st_mode & 0o077:
                path.chmod(stat.S_IMODE(info.st_mode) & 0o700)
        except FileNotFoundError:  # removed meanwhile (a SQLite journal)
            continue
        except PermissionError:
            raise StudioError(f"cannot make {path} private to this user; check who owns {data_dir}") from None
    if postgres.exists() and os.geteuid() == 0:
        data_dir.chmod(0o711)


def _executable() -> str:
    return installed(
        "label-studio", "the label-studio command is not installed; run pip install 'annotate[server]'"
    )


def _check_port_free(host: str, port: int) -> None:
    # Label Studio silently moves to the next free port if its own is taken (checked on localhost).
    for address in dict.fromkeys((host, "127.0.0.1")):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
            try:
                probe.bind((address, port))
            except OSError:
                raise StudioError(f"port {port} on {address} is taken; choose another with --port") from None


class LocalServer:
    """One ``label-studio start`` process serving the data dir ``data_dir`` on ``host:port``."""

    def __init__(
        self,
        data_dir: Path,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
        database: Database | None = None,
        web_workers: int = 1,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port
        self.host = host
        self.env = dict(env or {})
        self.database = database or load_database(self.data_dir) or Database()
        self.web_workers = web_workers
        self.credentials_path = self.data_dir / CREDENTIALS_FILE
        self.log_path = self.data_dir / LOG_FILE
        self._process: subprocess.Popen[bytes] | None = None
        self._credentials: Credentials | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def credentials(self) -> Credentials:
        """The admin's credentials; available once ``start`` has returned."""
        if self._credentials is None:
            raise StudioError(f"the Label Studio server for {self.data_dir} has not been started")
        return self._credentials

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 300) -> Credentials:
        """Launch the server and wait until it answers; returns the admin's credentials."""
        if self.is_running():
            return self.credentials
        executable = _executable()
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StudioError(
                f"cannot create the data dir {self.data_dir} ({error.strerror}); choose another with --dir"
            ) from None
        make_private(self.data_dir)
        running = read_pid(self.data_dir)
        if running is not None and server_argv(running, self.data_dir) is not None:
            raise StudioError(
                f"a Label Studio server (pid {running}) already runs on {self.data_dir}; "
                "stop it with `annotate studio down`"
            )
        _check_port_free(self.host, self.port)
        check_web_workers(self.web_workers, self.database)
        if self.database.local:
            LocalPostgres(self.data_dir, self.database).start()
        try:
            creds = self._credentials_for_start()
            log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
            self._process = self._launch(executable, creds, log_start)
        except BaseException:
            if self.database.local:
                LocalPostgres(self.data_dir, self.database).stop()
            raise
        try:
            with atomic_writer(self.data_dir / PID_FILE, mode=0o600) as handle:
                handle.write(f"{self._process.pid}\n")
            self._wait_healthy(self._process, timeout, creds, log_start)
        except BaseException:  # also Ctrl-C while waiting: leave nothing running
            self.stop()
            raise
        self._credentials = creds
        return creds

    def _launch(self, executable: str, creds: Credentials, log_start: int) -> subprocess.Popen[bytes]:
        """Start Label Studio (with web workers: `label-studio init`, then uWSGI), logging to the log file."""
        data_dir = str(self.data_dir.resolve())
        environment = {key: value for key, value in os.environ.items() if key not in _SCRUBBED}
        environment |= (
            _QUIET | _LOOPBACK_BACKENDS | {"LABEL_STUDIO_BASE_DATA_DIR": data_dir}
        )  # else settings touch ~/.local first
        environment |= {"LABEL_STUDIO_PASSWORD": creds.password, "LABEL_STUDIO_USER_TOKEN": creds.token}
        environment |= self.database.environment()  # PostgreSQL's password too: by environment only
        environment |= self.env
        options = ["--data-dir", data_dir, "--username", creds.username]
        options += ["--enable-legacy-api-token", "--log-level", "WARNING"]
        argv = [executable, "start", "--no-browser", "--internal-host", self.host, "--port", str(self.port)]
        argv += options
        with os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
            if self.web_workers > 1:  # migrations and the admin first, then uWSGI (webworkers)
                try:
                    initialise(executable, options, cwd=data_dir, environment=environment, log=log)
                except StudioError as error:
                    tail = self._log_tail(creds, log_start)
                    raise StudioError(f"{error}; the end of {self.log_path}:\n{tail}") from None
                argv = uwsgi_argv(self.host, self.port, self.web_workers, data_dir)
                environment |= UWSGI_ENVIRONMENT
            return subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=data_dir,
                start_new_session=True,
                umask=0o077,
            )

    def _credentials_for_start(self) -> Credentials:
        saved = load_credentials(self.credentials_path) if self.credentials_path.exists() else None
        if saved is None and (self.data_dir / "label_studio.sqlite3").exists():
            raise StudioError(
                f"{self.data_dir} holds a Label Studio database but no {CREDENTIALS_FILE}; "
                "restore that file or use a new --dir"
            )
        if saved is None:
            creds = Credentials(self.url, DEFAULT_USERNAME, secrets.token_urlsafe(18), secrets.token_hex(20))
        else:
            creds = Credentials(self.url, saved.username, saved.password, saved.token)
        if creds != saved:  # new, or served on another port than before
            save_credentials(self.credentials_path, creds)
        return creds

    def _wait_healthy(
        self, process: subprocess.Popen[bytes], timeout: float, creds: Credentials, log_start: int
    ) -> None:
        deadline = time.monotonic() + timeout
        while (code := process.poll()) is None and time.monotonic() < deadline:
            with (
                contextlib.suppress(urllib.error.URLError, OSError),
                _NO_PROXY.open(f"{self.url}/health/", timeout=1) as response,
            ):
                if response.status == 200:
                    break
            time.sleep(0.5)
        else:
            problem = f"exited with code {code}" if code is not None else f"did not answer in {timeout:g} s"
            tail = self._log_tail(creds, log_start)
            raise StudioError(f"Label Studio {problem} on {self.url}; the end of {self.log_path}:\n{tail}")
        if f"Port {self.port} is in use" in self._log_tail(creds, log_start, lines=1000):
            raise StudioError(f"port {self.port} was taken while Label Studio started; try another --port")

    def _log_tail(self, creds: Credentials, start: int, lines: int = 20) -> str:
        text = self.log_path.read_bytes()[start:].decode(errors="replace") if self.log_path.exists() else ""
        for secret in (creds.password, creds.token):
            text = text.replace(secret, "***")
        return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    def wait(self, timeout: float | None = None) -> int | None:
        """Block until the server exits (or ``timeout`` passes); its exit code, or None."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self._process.wait(timeout) if self._process is not None else None
        return None

    def stop(self, timeout: float = 30) -> None:
        """Terminate the server's process group (SIGTERM, then SIGKILL) and remove the pid file."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                signal_group(process.pid, signal.SIGKILL)
                process.wait()
        if read_pid(self.data_dir) == process.pid:
            (self.data_dir / PID_FILE).unlink(missing_ok=True)
        self._process = None
        if self.database.local:
            LocalPostgres(self.data_dir, self.database).stop()

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_USERNAME",
    "PID_FILE",
    "LocalServer",
    "make_private",
    "status",
    "stop_background",
]
