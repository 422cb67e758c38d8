"""The benchmarks of stigg_async (``python -m benchmarks``; ``make bench``).

B1 warm check, B2 network path vs raw aiohttp, B3 stampede, B4 poller scale,
B5 usage pipeline, B6 start-up. See ``docs/benchmarks.md`` for the definitions and
the latest figures.
"""
