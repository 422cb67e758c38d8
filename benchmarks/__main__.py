"""``python -m benchmarks``: run every benchmark, print the table, write JSON and docs.

Options:
    --smoke         tiny counts, to prove every benchmark runs (used by the tests);
                    writes only the JSON, to ``--out-dir``.
    --only B1,B4    run some benchmarks only (the docs are not rewritten).
    --out-dir DIR   where the JSON goes (default ``.bench``).
    --profile-b2    print a cProfile of the SDK side of B2 instead.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import (
    b1_warm,
    b2_network,
    b3_stampede,
    b4_poller,
    b5_usage,
    b6_startup,
    b7_exact,
    b8_stream,
    b9_redis,
    b10_credits,
)
from benchmarks._harness import Config, Row, machine
from benchmarks._report import markdown, table

ROOT = Path(__file__).resolve().parent.parent

BENCHMARKS: dict[str, Callable[[Config], list[Row]]] = {
    "B1": b1_warm.run,
    "B2": b2_network.run,
    "B3": b3_stampede.run,
    "B4": b4_poller.run,
    "B5": b5_usage.run,
    "B6": b6_startup.run,
    "B7": b7_exact.run,
    "B8": b8_stream.run,
    "B9": b9_redis.run,
    "B10": b10_credits.run,
}


def run_all(
    config: Config, only: Sequence[str] | None = None
) -> tuple[list[Row], dict[str, float]]:
    """Run the benchmarks in order; return their rows and seconds per benchmark."""
    rows: list[Row] = []
    durations: dict[str, float] = {}
    for name, bench in BENCHMARKS.items():
        if only and name not in only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        rows += bench(config)
        durations[name] = round(time.perf_counter() - started, 2)
    return rows, durations


def results(config: Config, rows: list[Row], durations: dict[str, float]) -> dict[str, Any]:
    return {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "smoke": config.smoke,
        "config": dict(vars(config).items()),
        "machine": machine(),
        "durations_s": durations,
        "rows": [row.to_json() for row in rows],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated: B1,B2,...")
    parser.add_argument("--out-dir", default=str(ROOT / ".bench"))
    parser.add_argument("--profile-b2", action="store_true")
    args = parser.parse_args(argv)
    if args.profile_b2:
        print(b2_network.profile())
        return 0
    config = Config.smoke_run() if args.smoke else Config()
    only = [name.strip().upper() for name in args.only.split(",") if name.strip()]
    rows, durations = run_all(config, only)
    data = results(config, rows, durations)
    print(table(rows))
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    latest = out_dir / "results.json"
    latest.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    stamp = data["measured_at"].replace(":", "").replace("-", "")
    shutil.copyfile(latest, out_dir / f"results-{stamp}.json")
    print(f"\nwrote {latest}", file=sys.stderr)
    if not config.smoke and not only:
        # A full run is the one the documentation shows; keep a committed copy too.
        shutil.copyfile(latest, ROOT / "benchmarks" / "results.json")
        docs = ROOT / "docs" / "benchmarks.md"
        docs.write_text(markdown(data, rows), encoding="utf-8")
        print(f"wrote {docs}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
