"""AsyncStigg construction and life cycle: configuration, secrets, closing, loops."""

from __future__ import annotations

import asyncio
import logging

import pytest

from stigg_async import AsyncStigg
from stigg_async._errors import (
    StiggClientStateError,
    StiggConfigurationError,
    StiggValidationError,
)
from stigg_async._retry import RetryPolicy
from tests.support.facade import API_KEY, make_client
from tests.support.recording_server import RecordingServer

LOCAL = "http://127.0.0.1:9/graphql"


def test_missing_api_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No argument and no environment variable: a configuration error naming the variable."""
    monkeypatch.delenv("STIGG_SERVER_API_KEY", raising=False)
    with pytest.raises(StiggConfigurationError, match="STIGG_SERVER_API_KEY"):
        AsyncStigg(api_url=LOCAL)


@pytest.mark.parametrize("key", ["", "   "])
def test_blank_api_key_is_refused(key: str) -> None:
    """An empty key is as good as none."""
    with pytest.raises(StiggConfigurationError):
        AsyncStigg(api_key=key, api_url=LOCAL)


def test_environment_supplies_key_and_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """STIGG_SERVER_API_KEY and STIGG_API_URL are the fallbacks."""
    monkeypatch.setenv("STIGG_SERVER_API_KEY", API_KEY)
    monkeypatch.setenv("STIGG_API_URL", "http://127.0.0.1:8787/graphql")
    client = AsyncStigg()
    assert client.api_url == "http://127.0.0.1:8787/graphql"


def test_default_url_is_stiggs_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a URL anywhere, the client targets Stigg's public endpoint."""
    monkeypatch.delenv("STIGG_API_URL", raising=False)
    assert AsyncStigg(api_key=API_KEY).api_url == "https://api.stigg.io/graphql"


def test_plain_http_to_a_remote_host_is_refused() -> None:
    """The key must not travel unencrypted."""
    with pytest.raises(StiggConfigurationError, match="http://"):
        AsyncStigg(api_key=API_KEY, api_url="http://api.stigg.io/graphql")


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), True])
def test_nonsense_timeouts_are_refused(timeout: float) -> None:
    """Timeouts must be positive finite numbers."""
    with pytest.raises(StiggConfigurationError):
        AsyncStigg(api_key=API_KEY, api_url=LOCAL, timeout=timeout)


def test_max_retries_overrides_the_policy() -> None:
    """max_retries wins over the policy's own value; the rest of the policy stays."""
    client = AsyncStigg(
        api_key=API_KEY,
        api_url=LOCAL,
        max_retries=7,
        retry=RetryPolicy(max_retries=1, deadline=5.0),
    )
    assert client._retry.max_retries == 7
    assert client._retry.deadline == 5.0
    with pytest.raises(StiggValidationError):
        AsyncStigg(api_key=API_KEY, api_url=LOCAL, max_retries=-1)


def test_repr_hides_the_api_key() -> None:
    """Neither repr nor str of the client shows the key."""
    client = AsyncStigg(api_key=API_KEY, api_url=LOCAL)
    assert API_KEY not in repr(client)
    assert API_KEY not in str(client)
    assert "***" in repr(client)


async def test_aclose_is_idempotent_and_closed_clients_refuse_calls() -> None:
    """Closing twice is fine; calls after closing raise a client-state error."""
    server = await RecordingServer().start()
    try:
        client, _ = make_client(server.url)
        async with client:
            pass
        await client.aclose()
        assert client.is_closed
        with pytest.raises(StiggClientStateError):
            await client.get_customer("c")
        assert server.received == []
    finally:
        await server.stop()


async def test_closing_an_unopened_client_is_harmless() -> None:
    """aclose() on a client that never opened does nothing and leaves no session."""
    client = AsyncStigg(api_key=API_KEY, api_url=LOCAL)
    await client.aclose()
    assert client.is_closed


def test_use_from_another_event_loop_is_reported() -> None:
    """A client opened in one loop refuses to run in another, with an explanation."""
    client = AsyncStigg(api_key=API_KEY, api_url=LOCAL)

    async def open_it() -> None:
        await client.open()

    loop_a = asyncio.new_event_loop()
    loop_b = asyncio.new_event_loop()
    try:
        loop_a.run_until_complete(open_it())
        with pytest.raises(StiggClientStateError, match="event loop"):
            loop_b.run_until_complete(client.get_customer("c"))
    finally:
        loop_a.run_until_complete(client.aclose())
        loop_a.close()
        loop_b.close()


def test_use_after_fork_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client created before a fork refuses to run in the child."""
    import stigg_async._fork as fork_module

    client = AsyncStigg(api_key=API_KEY, api_url=LOCAL)
    monkeypatch.setattr(fork_module, "_generation", fork_module._generation + 1)

    async def call() -> None:
        await client.get_customer("c")

    with pytest.raises(StiggClientStateError, match="fork"):
        asyncio.run(call())


async def test_no_log_record_contains_the_key(caplog: pytest.LogCaptureFixture) -> None:
    """Retries and failures log without the key."""
    from tests.support.recording_server import Reply

    server = await RecordingServer().start()
    try:
        server.default = Reply(status=500, text=f"oops {API_KEY}")
        client, _ = make_client(server.url, max_retries=2)
        with caplog.at_level(logging.DEBUG):
            async with client:
                with pytest.raises(Exception) as info:
                    await client.get_customer("c")
        assert API_KEY not in str(info.value)
        assert caplog.records
        assert all(API_KEY not in r.getMessage() for r in caplog.records)
    finally:
        await server.stop()


async def test_usage_tracked_before_opening_is_delivered_on_close() -> None:
    """track_usage on a never-opened client is not lost: aclose() delivers it."""
    from stigg_async.testing import Emulator

    async with Emulator(api_key=API_KEY) as emu:
        emu.state.provision_customer("customer-early")
        emu.state.provision_subscription("customer-early", "plan-revvenu-basic")
        client = AsyncStigg(api_key=API_KEY, api_url=emu.url)
        assert client.track_usage("customer-early", "feature-02-campaigns", 2)
        report = await client.aclose()
        assert report is not None
        assert report.flushed
        assert emu.state.usage_total("customer-early", "feature-02-campaigns") == 2
        assert await client.aclose() is report
