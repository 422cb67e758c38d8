"""``python -m stigg_async.emulator`` (also the ``stigg-emulator`` console script)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from stigg_async.emulator._catalog import CatalogError
from stigg_async.emulator._emulator import Emulator

__all__ = ["main"]

_KEY_ENV = "STIGG_EMULATOR_API_KEY"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stigg-emulator",
        description=(
            "Run a local Stigg-compatible GraphQL server (in-memory, offline): queries and "
            "mutations on POST /graphql, subscriptions over websocket on GET /graphql "
            "(graphql-transport-ws)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port (default: 8787; 0 = any)")
    parser.add_argument(
        "--api-key",
        default=None,
        help=f"the X-API-KEY clients must send (default: ${_KEY_ENV} or 'test-key')",
    )
    parser.add_argument(
        "--catalog", default=None, help="catalog file (.json, or .yaml with PyYAML)"
    )
    parser.add_argument(
        "--max-aliases", type=int, default=50, help="aliased root fields per request"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for generated ids and faults")
    parser.add_argument("--log-level", default="WARNING", help="logging level (default: WARNING)")
    return parser


async def _serve(emulator: Emulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with emulator:
        print(f"stigg emulator listening on {emulator.url}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    api_key = args.api_key or os.environ.get(_KEY_ENV) or "test-key"
    try:
        emulator = Emulator(
            api_key=api_key,
            catalog=args.catalog,
            host=args.host,
            port=args.port,
            max_aliases=args.max_aliases,
            seed=args.seed,
        )
    except (CatalogError, OSError, ValueError) as error:
        print(f"stigg-emulator: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(emulator))
    except KeyboardInterrupt:
        pass
    except OSError as error:
        print(f"stigg-emulator: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
