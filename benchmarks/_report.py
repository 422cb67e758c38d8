"""The results as a terminal table and as ``docs/benchmarks.md``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks._harness import Row

__all__ = ["markdown", "table"]


def _figure(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def table(rows: Sequence[Row]) -> str:
    header = ("id", "benchmark", "figure", "unit", "target", "")
    lines = [
        (r.id, r.name, _figure(r.value), r.unit, str(r.target or "—"), r.verdict) for r in rows
    ]
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(len(header))]

    def fmt(cols: Sequence[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i == 2 else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cols, widths, strict=True))
        ).rstrip()

    out = [fmt(header), fmt(["-" * w for w in widths])]
    out += [fmt(line) for line in lines]
    met = sum(1 for r in rows if r.met is True)
    missed = [r.id for r in rows if r.met is False]
    out.append(
        f"\ntargets: {met} met, {len(missed)} missed"
        + (f" ({', '.join(missed)})" if missed else "")
    )
    return "\n".join(out)


_DEFINITIONS = """\
## Definitions

All runs talk to the built-in emulator on 127.0.0.1; nothing leaves the machine.
Each figure is a median: of at least 5 repeats, or of timed blocks spread over
them where the row says so. Ratios are taken between figures of the same run, with
the two sides interleaved (alternating which goes first), as the median of the
per-repeat ratios.

- **B1 warm check.** `await stigg.get_entitlement(...)` on a customer already in the
  cache (loaded by `prefetch`; poller off so nothing else runs): a boolean feature,
  a metered feature with `requested_usage=1`, the same with 64 distinct
  `requested_usage` values (more than the 8 answers memoised per feature), and the
  synchronous `peek_entitlement`. The **floor** is the least any awaited check can
  cost: `await f(customer, feature)` where `f` is a coroutine doing one dict lookup
  that returns a frozen object. Timed in blocks of 1,000 calls (ten per loop
  iteration), with the cyclic GC paused per repeat; the figure is the median block.
  The emulator's counters confirm no request was made, and `entitlement_stats.fast_hits`
  that the fast path answered every check. *peek / metered*: the synchronous check
  against the awaited one, both from the same run.
- **B2 network path.** `stigg.fetch_entitlement(...)` (the server-side `entitlement`
  query, with `requested_usage`) and `stigg.report_usage(...)` against a raw
  `aiohttp` POST of the same document text, variables and headers to the same URL
  (one shared `ClientSession`, same pool size, a fresh idempotency key per call on
  both sides), decoding the JSON answer. The emulator runs as a separate process
  so the measured loop runs client code only. *Sequential*: one call at a time,
  µs per call. *Concurrency 50*: 50 workers, µs of wall time per call
  (1/throughput); there the single-threaded emulator is the bottleneck, so the
  ratio says little about client cost. *Overhead*: SDK µs − raw µs per call.
- **B3 stampede.** 1,000 concurrent `get_entitlement` calls for one customer on a
  new client with an empty cache; requests counted by the emulator, and the time
  until every call has its answer. Then 1,000 concurrent `consume` calls for a new
  customer whose limit is 4 (`plan-revvenu-basic`, `feature-02-campaigns`): how
  many were granted (exactly the limit; the repeat furthest from it is shown), the
  requests made, and the time; the usage is then delivered and the emulator's count
  must equal the grants.
- **B4 poller scale.** 10,000 customers with 5 features each, seeded in-process and
  loaded with `prefetch`; one refresh cycle of the poller (batch size 50):
  requests counted by the emulator and wall time (the in-process emulator answers
  on the same loop, so its time is included). Memory: `tracemalloc` diff around
  decoding batch answers and building the snapshots of 2,000 customers, after a
  collection, divided by the entitlements cached.
- **B5 usage pipeline.** 10,000 `track_usage` calls over 100 customers, then
  `flush()`: enqueue cost per item (median of blocks of 100), requests counted by
  the emulator (batch size 500), items per second from the first enqueue until
  `flush()` confirmed delivery (every item verified applied by the emulator).
- **B6 start-up.** `import stigg_async` timed inside a fresh interpreter (median of
  5); public names are imported on first use, so this is the package itself. Then, in
  the same process, `from stigg_async import AsyncStigg` (the modules a first check
  needs), the first `AsyncStigg(...)` construction and `open()`.
- **B7 exact checks.** Usage tracked by this process counts in local checks at once
  (`pending_usage`). Three variants, each on its own customer of
  `plan-revvenu-growth` (unlimited campaigns) loaded by `prefetch`, on
  `feature-02-campaigns`: `track_usage` alone; `track_usage` then
  `await get_entitlement(..., requested_usage=1)` (no memoised answer: the track
  drops it); and `await consume(...)` (granted, tracked). Timed in blocks of 100
  calls (ten per loop iteration); after each round of the three blocks, whose order
  rotates, `flush()` delivers the usage outside the timed region, so a block starts
  with nothing pending and ends with 100 items in flight. *Check after track*: the
  median over rounds of (pair block − `track_usage` block) per call. Every answer's
  `pending_usage` and `current_usage` are verified, `fast_hits` grows by every check
  and consume, no entitlement request is made, and the emulator's usage equals
  every item tracked.
  5); then the first `AsyncStigg(...)` construction and `open()` in that process.
- **B8 stream.** *Propagation*: another client (plain aiohttp) reports usage or grants
  a promotional entitlement over HTTP, one change per customer, 5 ms apart; the
  figure is the time from just before its request until a warm client's local answer
  (`peek_entitlement`) shows the change (seen through the change listener), p50 and
  p99 over `stream_changes` changes per kind. *Stream*: default options (the poller
  at its 300 s safety interval). *Poller*: `streaming=False`, `poll_interval=1`
  (at the default 30 s the latency scales with it). *Warm requests*: requests the
  streaming client made during the changes and a warm check of every customer.
  *Applied*: usage changes made in the in-process emulator one per loop turn; pushes
  the stream source applied per second (emulator publishing included). *Scale*:
  10,000 cached customers, usage pushes at 1,000/s for 5 s: process CPU per wall
  second and resident-memory growth, emulator in-process (its CPU included), poller off.
- **B10 credits.** `get_credit_entitlement` of a prefetched customer with a credit
  grant, warm, requested amounts varied over 50 values; median of blocks of 1,000.
- **B9 shared tier on Redis.** A real `redis-server` on 127.0.0.1 (docs/redis.md).
  Fleet requests: 8 worker processes, each an `AsyncStigg(redis_url=...)` reading
  the same 1,000 customers (emulator in a subprocess, 1 s refresh interval, 5 s
  window), against one process without Redis; a cycle is every customer reloaded
  once, counted by the process that fetched. Warm check: `get_entitlement` of a
  cached boolean with Redis configured, and its ratio to the same client without
  Redis (interleaved). `consume`: sequential calls in one process (one Lua round
  trip each). Burst: 8 processes x 500 concurrent `consume` against a limit of
  1,000, grants counted. Propagation: 200 refresher writes, time until each of 8
  subscribed processes applied it (wall clock, one machine).
"""


def markdown(data: dict[str, Any], rows: Sequence[Row]) -> str:
    m = data["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks`); do not edit by hand. The raw",
        "figures are in `benchmarks/results.json` (and `.bench/`).",
        "",
        f"Measured {data['measured_at']} on:",
        "",
        f"- CPU: {m['cpu']} ({m['cores']} cores, {m['usable_cores']} usable)",
        f"- Python: {m['python']}",
        f"- OS: {m['os']}",
        f"- Packages: {packages}",
        "",
        "| id | benchmark | figure | unit | target | |",
        "|---|---|---:|---|---|---|",
    ]
    for r in rows:
        target = str(r.target) if r.target else "—"
        verdict = {"met": "met", "MISSED": "**missed**"}.get(r.verdict, "—")
        lines.append(
            f"| {r.id} | {r.name} | {_figure(r.value)} | {r.unit} | {target} | {verdict} |"
        )
    notes = [r for r in rows if r.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {r.id}: {r.note}" for r in notes]
    durations = ", ".join(f"{k} {v:g} s" for k, v in data["durations_s"].items())
    lines += ["", f"Run time: {durations}.", "", _DEFINITIONS]
    return "\n".join(lines)
