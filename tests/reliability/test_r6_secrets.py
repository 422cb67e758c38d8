"""R6: the API key appears in no log record, error or repr, even when a server echoes it.

The suite-wide half of R6 lives in ``conftest.py``: every log record of every
reliability test (root logger, DEBUG) is checked for the key, and so are the errors
and objects the tests pass to ``ledger.audit``. This test adds a hostile server that
puts the key it received into every kind of answer.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import traceback
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from stigg_async._clock import FakeClock
from stigg_async._errors import StiggError
from tests.reliability._support import SECRET_KEY, make_client

MODES = ("status500", "status400", "graphql", "html", "html200", "json401", "drop")


_hits = itertools.count()


async def _echo(request: web.Request) -> web.StreamResponse:
    key = request.headers.get("X-API-KEY", "")
    body = await request.json()
    mode = MODES[next(_hits) % len(MODES)]
    error = {"message": f"bad key {key}", "extensions": {"code": "BadUserInput", "key": key}}
    if mode == "status500":
        return web.Response(status=500, text=f"internal error for key={key}")
    if mode == "status400":
        return web.json_response({"errors": [error]}, status=400)
    if mode == "graphql":
        return web.json_response({"data": None, "errors": [error]})
    if mode == "html":
        return web.Response(status=502, text=f"<html>{key}</html>", content_type="text/html")
    if mode == "html200":
        return web.Response(text=f"<html>{key} {body}</html>", content_type="text/html")
    if mode == "json401":
        return web.json_response({"errors": [error], "echo": key}, status=401)
    assert request.transport is not None
    request.transport.close()
    return web.Response(status=499)


@pytest.fixture
async def echo_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/graphql", _echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        await runner.cleanup()


async def test_r6_echoed_key_never_reaches_errors_logs_or_reprs(
    echo_url: str, ledger, caplog
) -> None:
    """Every answer of the hostile server contains the key; no text the SDK makes does."""
    caplog.set_level(logging.DEBUG)
    clock = FakeClock(auto_advance=True)
    errors: list[StiggError] = []
    async with make_client(echo_url, clock, max_retries=0, usage={"max_attempts": 1}) as stigg:
        calls = [
            lambda: stigg.fetch_entitlement("customer-1", "feature-02-campaigns"),
            lambda: stigg.report_usage(customer_id="customer-1", feature_id="f", value=1),
            lambda: stigg.get_customer("customer-1"),
            lambda: stigg.execute("query { x }"),
        ]
        for i in range(len(MODES) * 2):
            try:
                await calls[i % len(calls)]()
            except StiggError as exc:
                errors.append(exc)
        refreshed = await stigg.refresh_entitlements("customer-1")  # never raises
        stigg.track_usage("customer-1", "feature-02-campaigns", 1)
        await stigg.flush(timeout=5)
        objects: list[object] = [stigg, stigg._transport, stigg.entitlement_status, refreshed]
        objects += [stigg.entitlement_stats, stigg.usage_stats]
    assert len(errors) == len(MODES) * 2
    for exc in errors:
        details = [exc, exc.args, *getattr(exc, "errors", ())]
        details += [json.dumps(getattr(exc, "data", None), default=str)]
        # What a user or an error tracker sees: the formatted chain, and the raw
        # chain too (the transport raises outside gql's exception, so none hangs on).
        details += ["".join(traceback.format_exception(exc))]
        details += [repr(exc.__cause__), repr(exc.__context__)]
        objects += details
    ledger.audit(*objects)
    # Every record, gql's DEBUG body logs included (the transport redacts those).
    ledger.audit(*(r.getMessage() for r in caplog.records))
    ledger.cases += len(errors) + 2
    ledger.lines.append(f"R6 secrets: {len(errors)} errors from a server echoing the key")
    assert ledger.secret_leaks == []
    assert any(r.name == "stigg_async" for r in caplog.records)  # the SDK logged, and was checked


async def test_r6_gql_debug_logs_do_not_repeat_an_echoed_key(echo_url: str, ledger, caplog) -> None:
    """gql's DEBUG logging of bodies: an echoed key is redacted from its records."""
    caplog.set_level(logging.DEBUG)
    async with make_client(echo_url, FakeClock(auto_advance=True), max_retries=0) as stigg:
        for _ in range(len(MODES)):
            with contextlib.suppress(StiggError):
                await stigg.get_customer("customer-1")
    gql_records = [r for r in caplog.records if r.name.startswith("gql")]
    assert gql_records  # gql did log the bodies at DEBUG
    assert [r for r in caplog.records if SECRET_KEY in r.getMessage()] == []
