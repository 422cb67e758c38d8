"""The emulator in a process of its own, for callers that cannot share its event loop.

The demo runner, and tests that fork or run several processes, need a server that
keeps answering whatever their own process is doing.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["EmulatorProcess", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now.

    Example:
        >>> 0 < free_port() < 65536
        True
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class EmulatorProcess:
    """``python -m stigg_async.emulator`` on a free loopback port, started and stopped.

    Example:
        >>> with EmulatorProcess(api_key="dev-key") as emulator:  # doctest: +SKIP
        ...     print(emulator.url)
        http://127.0.0.1:40513/graphql
    """

    def __init__(
        self,
        *,
        api_key: str,
        catalog: Path | None = None,
        ready_timeout: float = 30.0,
        quiet: bool = False,
    ) -> None:
        self.api_key = api_key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self._catalog = catalog
        self._ready_timeout = ready_timeout
        self._quiet = quiet
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> EmulatorProcess:
        """Start the process and return once it accepts connections."""
        args = [sys.executable, "-m", "stigg_async.emulator", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--api-key", self.api_key]
        if self._catalog is not None:
            args += ["--catalog", str(self._catalog)]
        # This interpreter running our own module with our own arguments: no shell,
        # nothing from outside.
        stdout = subprocess.DEVNULL if self._quiet else None
        proc = subprocess.Popen(args, stdout=stdout)  # noqa: S603
        self._proc = proc
        deadline = time.monotonic() + self._ready_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the emulator exited early with status {proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the emulator did not start listening in time") from None
                time.sleep(0.05)  # polling for the child process to bind its port

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s); idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmulatorProcess(url={self.url!r})"
