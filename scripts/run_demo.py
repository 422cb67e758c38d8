"""``make demo``: start the emulator, run examples/quickstart.py against it, stop it.

The emulator runs as a real subprocess on a free loopback port, exactly as a user
would start it (``python -m stigg_async.emulator``), and the quickstart finds it
through the same environment variables a real deployment uses.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from stigg_async.emulator import EmulatorProcess

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    with EmulatorProcess(api_key=f"demo-{secrets.token_hex(8)}") as emulator:
        env = {
            **os.environ,
            "STIGG_API_URL": emulator.url,
            "STIGG_SERVER_API_KEY": emulator.api_key,
        }
        return subprocess.call([sys.executable, str(ROOT / "examples" / "quickstart.py")], env=env)


if __name__ == "__main__":
    sys.exit(main())
