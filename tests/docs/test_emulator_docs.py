"""docs/emulator.md's pytest recipe works as written in a project of its own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "emulator.md").read_text(encoding="utf-8")


def block(language: str, first_line: str) -> str:
    """The fenced ``language`` block of the doc whose first line is ``first_line``."""
    for match in re.finditer(rf"^```{language}\n(.*?)^```", DOC, re.S | re.M):
        if match.group(1).startswith(first_line):
            return match.group(1)
    raise AssertionError(f"docs/emulator.md has no {language} block starting {first_line!r}")


def test_fixture_recipe_passes_in_a_fresh_project(tmp_path: Path) -> None:
    """The documented pyproject setting, conftest and test pass under a plain pytest run."""
    toml = block("toml", "# pyproject.toml")
    conftest, _, test = block("python", "# conftest.py").partition("# test_something.py")
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_something.py").write_text(test, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_without_auto_mode_the_recipe_does_not_run(tmp_path: Path) -> None:
    """The setting the doc asks for is needed: without it the async test is not run."""
    conftest, _, test = block("python", "# conftest.py").partition("# test_something.py")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_something.py").write_text(test, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "1 passed" not in run.stdout
