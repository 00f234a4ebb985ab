"""Start, wait for and stop the demo's processes on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path
import signal
import socket
import subprocess
import time
from typing import TYPE_CHECKING

from tools.demo import DemoError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STOP_TIMEOUT = 30.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def check_port_free(port: int, what: str) -> None:
    """Fail early, with a useful message, when a port is already taken."""
    with socket.socket() as sock:
        # As servers do, so connections of a previous run in TIME_WAIT don't
        # count; a listening socket still does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise DemoError(
                f"port {port} on {HOST} is in use, so {what} cannot listen there;"
                " is another demo running? Choose another port."
            ) from None


def spawn(
    args: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a process with its output appended to `log`.

    Each child gets its own process group: a Ctrl-C in the terminal then
    reaches only the caller, which stops Home Assistant before the server it
    polls, instead of everything dying at once.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - fixed programs, our arguments
            args,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=None if env is None else {**os.environ, **env},
            process_group=0,
        )


def stop_process(
    process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT
) -> int:
    """Ask a process to stop (SIGTERM), kill it if it takes too long."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll `ready` until it is true; fail if `process` exits or time runs out."""
    see = f"; see {log}" if log is not None else ""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise DemoError(f"{what} exited with status {process.returncode}{see}")
        try:
            if ready():
                return
        except (OSError, DemoError):
            pass
        if time.monotonic() > deadline:
            raise DemoError(f"{what} was not ready within {timeout:.0f} s{see}")
        time.sleep(0.2)
