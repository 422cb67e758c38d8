"""Locate the ``.graphql`` files that ship with the package.

In a wheel they sit inside the package (``stigg_async/operations``); in a source
checkout they sit at the repository root (``operations/``), one level up.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["operations_dir", "schema_path"]

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def operations_dir() -> Path:
    """Return the directory holding the operation documents and ``schema.graphql``."""
    for candidate in (_PACKAGE_DIR / "operations", _PACKAGE_DIR.parent / "operations"):
        if (candidate / "schema.graphql").is_file():
            return candidate
    raise FileNotFoundError(
        "stigg_async's operations/ directory is missing; the installation is incomplete"
    )


def schema_path() -> Path:
    """Return the path of the pruned Stigg schema the SDK and the emulator use."""
    return operations_dir() / "schema.graphql"
