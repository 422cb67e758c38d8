"""What every benchmark shares: rows, targets, timing helpers, the machine, the output.

A benchmark returns :class:`Row` objects; the runner prints them as one table and
writes them as JSON and as ``docs/benchmarks.md``. Figures are medians over repeats
(or over timed blocks spread across repeats); ratios are taken between figures
measured in the same run, interleaved, so drift of the machine affects both sides.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

__all__ = [
    "Config",
    "QuietGC",
    "Row",
    "Target",
    "machine",
    "median",
]


@dataclass(frozen=True)
class Target:
    """A goal for a figure: ``op`` is ``"<="``, ``">="`` or ``"=="`` (exact counts)."""

    op: str
    value: float

    def met(self, figure: float) -> bool:
        if self.op == "==":
            return figure == self.value
        return figure <= self.value if self.op == "<=" else figure >= self.value

    def __str__(self) -> str:
        sign = {"<=": "≤", ">=": "≥"}.get(self.op, "=")
        return f"{sign} {self.value:g}"


@dataclass
class Row:
    """One line of the results table."""

    id: str
    name: str
    value: float
    unit: str
    target: Target | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value)

    @property
    def verdict(self) -> str:
        met = self.met
        return "—" if met is None else ("met" if met else "MISSED")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = (
            None if self.target is None else {"op": self.target.op, "value": self.target.value}
        )
        data["met"] = self.met
        return data


@dataclass(frozen=True)
class Config:
    """Sizes of one run. ``smoke`` shrinks everything to prove the code paths work."""

    smoke: bool = False
    repeats: int = 5
    warm_calls: int = 200_000  # B1 calls per repeat
    net_calls: int = 2_000  # B2 sequential calls per repeat and side
    net_concurrent_calls: int = 2_000  # B2 calls per repeat and side at concurrency 50
    concurrency: int = 50
    stampede: int = 1_000  # B3 concurrent cold checks
    poll_customers: int = 10_000  # B4
    usage_items: int = 10_000  # B5
    startup_repeats: int = 5  # B6
    exact_calls: int = 5_000  # B7 calls per repeat and variant (usage delivered between blocks)
    stream_changes: int = 100  # B8 changes per kind (usage, entitlements) and mode
    stream_burst: int = 5_000  # B8 usage pushes for the throughput figure
    stream_customers: int = 10_000  # B8 cached customers at scale
    push_rate: int = 1_000  # B8 pushes per second at scale
    push_seconds: float = 5.0  # B8 seconds of pushes at scale

    @classmethod
    def smoke_run(cls) -> Config:
        return cls(
            smoke=True,
            repeats=2,
            warm_calls=2_000,
            net_calls=20,
            net_concurrent_calls=40,
            concurrency=10,
            stampede=50,
            poll_customers=120,
            usage_items=600,
            startup_repeats=1,
            exact_calls=200,
            stream_changes=5,
            stream_burst=100,
            stream_customers=200,
            push_rate=200,
            push_seconds=0.3,
        )


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


class QuietGC:
    """Collect, then keep the cyclic GC off while a timed block runs (restored after).

    A collection landing inside one repeat and not another adds noise that says
    nothing about the code measured; the memory benchmark keeps GC on.
    """

    def __enter__(self) -> None:
        gc.collect()
        self._was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._was:
            gc.enable()


def per_call_us(total_seconds: float, calls: int) -> float:
    return total_seconds / calls * 1e6


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": platform.platform(),
        "packages": {
            name: _version(name)
            for name in ("stigg-async", "aiohttp", "gql", "pydantic", "graphql-core", "tenacity")
        },
    }
