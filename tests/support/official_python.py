"""An interpreter with Stigg's official Python client, built on demand under ``.cache/``.

The client (``stigg-api-client-v2``) pins dependency versions this project does not
use (``tenacity<9`` against gql's ``>=9.1.2``), so it gets a virtual environment of
its own, built once and then reused (``make clean`` removes it). ``STIGG_OFFICIAL_PYTHON``
may name an interpreter that already has it. When pip cannot install it (no package
registry), the calling test is skipped, saying so.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = "stigg-api-client-v2==6.25.0"


def _has_official_client(python: Path) -> bool:
    probe = subprocess.run(
        [str(python), "-c", "import stigg.generated"], check=False, capture_output=True, timeout=60
    )
    return probe.returncode == 0


def official_python() -> Path:
    """An interpreter with the official client: the override, the cache, or a new venv."""
    override = os.environ.get("STIGG_OFFICIAL_PYTHON")
    if override:
        return Path(override)
    version = f"py{sys.version_info.major}{sys.version_info.minor}"
    env_dir = ROOT / ".cache" / f"official-python-client-6.25.0-{version}"
    python = env_dir / "bin" / "python"
    env_dir.parent.mkdir(parents=True, exist_ok=True)
    with (env_dir.parent / "official-python-client.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time (parallel test runs)
        if python.exists() and _has_official_client(python):
            return python
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        install = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                OFFICIAL,
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if install.returncode != 0:
            pytest.skip(
                f"cannot install {OFFICIAL} (no package registry?): "
                f"{install.stderr.strip().splitlines()[-1:]}"
            )
    return python
