"""Measured figures live in docs/benchmarks.md (written by ``make bench``), not in prose."""

from __future__ import annotations

import re

from tests.docs.snippets import ROOT, documents

# A number followed by a unit of time per call, memory or throughput: a measurement.
FIGURE = re.compile(r"\d[\d,.]*\s?(µs|ns|KB|MB per|bytes per|items/s|checks/s|calls/s)\b")
# Pages that are generated from the measurements themselves.
GENERATED = {"benchmarks.md", "api.md"}


def test_prose_cites_benchmarks_instead_of_copying_figures() -> None:
    """A copied figure goes stale; README and docs link to docs/benchmarks.md instead."""
    copied = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in documents()
        if path.name not in GENERATED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FIGURE.search(line)
    ]
    assert copied == []


def test_the_figure_pattern_catches_the_figures_that_went_stale() -> None:
    """The guard recognises the kind of sentence that went stale before."""
    assert FIGURE.search("Measured: about 0.6 KB per cached entitlement")
    assert FIGURE.search("(≈15,000 items/s, bounded by the emulator)")
    assert FIGURE.search("costs about 0.9 µs per item")
    assert not FIGURE.search("the 5 MB file-size limit of the basic plan")
