"""A server left running in the background on a data dir: find it by its pid file, stop it, report it.

``annotate studio up --background`` leaves Label Studio running; ``PID_FILE`` in the data dir names
its process, which is trusted only if its command line is a Label Studio server (``label-studio
start`` or uWSGI, ``annotate.studio.webworkers``) on that very data dir (a stale file, or a pid
reused by another program, is never signalled).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from annotate.errors import StudioError
from annotate.studio.database import LocalPostgres, load_database
from annotate.studio.webworkers import is_server_of, served_address

PID_FILE = "server.pid"


def server_argv(pid: int, data_dir: Path) -> list[str] | None:
    """The command line of ``pid`` if it is a label-studio server on ``data_dir``, else None."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()  # empty for a zombie
        argv = raw.decode(errors="replace").split("\0")
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return None
        ps = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True)
        argv = ps.stdout.split()
    except OSError:
        return None
    return argv if is_server_of(argv, data_dir) else None


def read_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / PID_FILE).read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None


def signal_group(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def stop_background(data_dir: Path, timeout: float = 30) -> bool:
    """Stop the server started in the background on ``data_dir``, then its local PostgreSQL; False
    if neither was running."""
    data_dir = Path(data_dir)
    stopped = _stop_server(data_dir, timeout)
    database = load_database(data_dir)
    if database is not None and database.local:
        stopped |= LocalPostgres(data_dir, database).stop()
    return stopped


def _stop_server(data_dir: Path, timeout: float) -> bool:
    pid = read_pid(data_dir)
    if pid is None or server_argv(pid, data_dir) is None:  # none, or a stale pid file
        (data_dir / PID_FILE).unlink(missing_ok=True)
        return False
    for signum, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        signal_group(pid, signum)
        deadline = time.monotonic() + wait
        while (alive := server_argv(pid, data_dir) is not None) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not alive:
            break
    else:
        raise StudioError(f"the Label Studio server (pid {pid}) on {data_dir} survived SIGKILL")
    (data_dir / PID_FILE).unlink(missing_ok=True)
    return True


def status(data_dir: Path) -> str | None:
    """The URL of the server running on ``data_dir``, or None if none is."""
    pid = read_pid(Path(data_dir))
    argv = server_argv(pid, Path(data_dir)) if pid is not None else None
    address = served_address(argv) if argv is not None else None
    return None if address is None else f"http://{address[0]}:{address[1]}"
