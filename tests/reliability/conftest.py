"""The reliability suite's options, shared ledger and end-of-session summary.

``--reliability-full`` runs the full counts (``make reliability``); without it the
suite runs reduced counts, as part of ``make test``. Every test reports what it
tried into one :class:`Ledger`; the terminal summary prints the totals, and a
session whose logs, errors or reprs contained the API key fails.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.reliability._support import SECRET_KEY


@dataclass
class Ledger:
    """What the suite tried and what it found."""

    cases: int = 0
    faults: int = 0
    lost: int = 0
    duplicated: int = 0
    texts_checked: int = 0
    secret_leaks: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def audit(self, *objects: object) -> None:
        """Check ``str`` and ``repr`` of each object (errors, clients, statuses) for the key."""
        for obj in objects:
            for text in (str(obj), repr(obj)):
                self.texts_checked += 1
                if SECRET_KEY in text:
                    self.secret_leaks.append(text[:200])


LEDGER = Ledger()


class _Capture(logging.Handler):
    """Every log record of the session, formatted, checked for the key."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records = 0
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        try:
            text = self.format(record)
        except Exception:  # a broken record must not break the suite; still check args
            text = f"{record.msg!r} {record.args!r}"
        LEDGER.texts_checked += 1
        if SECRET_KEY in text:
            LEDGER.secret_leaks.append(f"log record: {text[:200]}")


_CAPTURE = _Capture()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-full",
        action="store_true",
        default=False,
        help="run the reliability suite at full counts (make reliability)",
    )


@pytest.fixture(scope="session")
def full(request: pytest.FixtureRequest) -> bool:
    """True for full counts (flag or STIGG_RELIABILITY_FULL=1)."""
    # getoption with a default: under plain `pytest` from the repository root this
    # conftest is not an initial one, so the option may not be registered.
    flag = bool(request.config.getoption("--reliability-full", default=False))
    return flag or os.environ.get("STIGG_RELIABILITY_FULL") == "1"


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return LEDGER


@pytest.fixture(autouse=True)
def _capture_logs() -> Iterator[None]:
    """Route every log record at DEBUG and above through the key check (R6)."""
    root = logging.getLogger()
    level = root.level
    root.addHandler(_CAPTURE)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(_CAPTURE)
        root.setLevel(level)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not LEDGER.cases and not LEDGER.lines:
        return
    write = terminalreporter.write_line
    terminalreporter.section("stigg_async reliability summary")
    write(f"cases tried:        {LEDGER.cases}")
    write(f"faults injected:    {LEDGER.faults}")
    write(f"items lost:         {LEDGER.lost}")
    write(f"items duplicated:   {LEDGER.duplicated}")
    write(f"log records seen:   {_CAPTURE.records}")
    write(
        f"texts checked (R6): {LEDGER.texts_checked}; API key found in {len(LEDGER.secret_leaks)}"
    )
    for line in LEDGER.lines:
        write(f"  {line}")
    for leak in LEDGER.secret_leaks[:5]:
        write(f"  LEAK: {leak}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    # A leak found outside any test's own assertions (a log record from a background
    # task, say) still fails the run.
    if LEDGER.secret_leaks and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
