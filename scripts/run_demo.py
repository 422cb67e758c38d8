"""``make demo``: start the emulator, run examples/quickstart.py against it, stop it.

The emulator runs as a real subprocess on a free loopback port, exactly as a user
would start it (``python -m stigg_async.emulator``), and the quickstart finds it
through the same environment variables a real deployment uses.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the emulator exited early with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the emulator did not start listening in time")


def main() -> int:
    port = _free_port()
    api_key = f"demo-{secrets.token_hex(8)}"
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stigg_async.emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--api-key",
            api_key,
        ],
        cwd=ROOT,
    )
    try:
        _wait_until_listening(port, emulator)
        env = {
            **os.environ,
            "STIGG_API_URL": f"http://127.0.0.1:{port}/graphql",
            "STIGG_SERVER_API_KEY": api_key,
        }
        return subprocess.call([sys.executable, str(ROOT / "examples" / "quickstart.py")], env=env)
    finally:
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
            emulator.wait()


if __name__ == "__main__":
    sys.exit(main())
