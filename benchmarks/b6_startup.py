"""B6: start-up: ``import stigg_async`` afresh; importing, building and opening a client.

Each repeat is a new subprocess, so nothing is already imported or cached; the
child times itself with ``perf_counter`` and prints JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchmarks._harness import Config, Row, Target, median

__all__ = ["run"]

_CHILD = """
import asyncio, json, time
started = time.perf_counter()
import stigg_async
imported = time.perf_counter() - started
started = time.perf_counter()
from stigg_async import AsyncStigg
client_imported = time.perf_counter() - started

async def main():
    started = time.perf_counter()
    stigg = stigg_async.AsyncStigg(api_key="bench-key", api_url="http://127.0.0.1:9/graphql")
    constructed = time.perf_counter() - started
    await stigg.open()
    opened = time.perf_counter() - started
    await stigg.aclose()
    return constructed, opened

constructed, opened = asyncio.run(main())
print(json.dumps({
    "import": imported, "client": client_imported, "construct": constructed, "open": opened
}))
"""


def run(config: Config) -> list[Row]:
    samples = []
    for _ in range(config.startup_repeats):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True
        )
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return [
        Row(
            "B6.import",
            "import stigg_async (fresh interpreter)",
            median(s["import"] for s in samples),
            "s",
            Target("<=", 0.25),
            note=f"median of {len(samples)} subprocesses; public names load on first use",
        ),
        Row(
            "B6.import_client",
            "from stigg_async import AsyncStigg (after import stigg_async)",
            median(s["client"] for s in samples),
            "s",
            note="loads what a first check needs: aiohttp, gql, the cache, the facade",
        ),
        Row(
            "B6.construct",
            "AsyncStigg(...) construction (first in process)",
            median(s["construct"] for s in samples) * 1e3,
            "ms",
        ),
        Row(
            "B6.open",
            "AsyncStigg(...) construction + open()",
            median(s["open"] for s in samples) * 1e3,
            "ms",
            note="open() starts the session, poller and flusher; sends nothing",
        ),
    ]
