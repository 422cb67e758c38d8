"""A tiny run of every benchmark: each produces its rows (figures are not judged here)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import main

EXPECTED = {
    "B1.floor", "B1.boolean", "B1.metered", "B1.metered_varied", "B1.peek",
    "B1.metered_ratio", "B1.boolean_ratio", "B1.peek_ratio",
    "B3.requests", "B3.time", "B3.consume_granted", "B3.consume_requests", "B3.consume_time",
    "B4.requests", "B4.cycle", "B4.memory",
    "B5.enqueue", "B5.requests", "B5.throughput", "B6.import", "B6.import_client", "B6.construct",
    "B6.open", "B7.track", "B7.track_check", "B7.check_after_track", "B7.consume",
    "B8.usage.stream.p50", "B8.usage.stream.p99", "B8.usage.poller.p50", "B8.usage.poller.p99",
    "B8.entitlement.stream.p50", "B8.entitlement.stream.p99",
    "B8.entitlement.poller.p50", "B8.entitlement.poller.p99",
    "B8.warm_requests", "B8.applied", "B8.scale_cpu", "B8.scale_memory",
    "B9.fleet_requests", "B9.warm_check", "B9.warm_ratio",
    "B9.consume", "B9.burst", "B9.propagation_p50", "B9.propagation_p99",
    "B10.credit_check",
}  # fmt: skip
B2_KINDS = ("entitlement", "report_usage")
B2_FIGURES = ("sdk", "raw", "ratio", "overhead")


def test_smoke_run_produces_every_row(tmp_path: Path) -> None:
    """`python -m benchmarks --smoke` writes JSON with every benchmark's rows."""
    assert main(["--smoke", "--out-dir", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    ids = {row["id"] for row in data["rows"]}
    assert ids >= EXPECTED
    for kind in B2_KINDS:
        for figure in B2_FIGURES:
            assert {i for i in ids if i.startswith(f"B2.{kind}.") and i.endswith(f".{figure}")}
    assert all(isinstance(row["value"], float) for row in data["rows"])
    assert data["machine"]["cpu"]
    assert data["machine"]["python"]
    # The smoke run must not overwrite the documented figures.
    assert data["smoke"] is True
