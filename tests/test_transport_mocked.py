"""Transport error mapping for failures a real server can't easily produce, via aioresponses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from aioresponses import aioresponses

from stigg_async._aioresponses_compat import patch_aioresponses
from stigg_async._errors import (
    StiggConnectionError,
    StiggResponseError,
    StiggServerError,
    StiggTimeoutError,
)
from stigg_async._transport import GraphQLTransport

URL = "http://127.0.0.1:9/graphql"
KEY = "sk-mocked-0123456789"


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    patch_aioresponses()
    with aioresponses() as m:
        yield m


@pytest.fixture
async def transport() -> AsyncIterator[GraphQLTransport]:
    t = GraphQLTransport(api_url=URL, api_key=KEY, timeout=5.0)
    yield t
    await t.close()


async def test_mocked_success_reaches_the_caller(
    mocked: aioresponses, transport: GraphQLTransport
) -> None:
    """With the compatibility patch, aioresponses serves gql's aiohttp transport."""
    mocked.post(URL, payload={"data": {"x": 1}})
    assert await transport.execute_text("query Q { x }", None, "Q") == {"x": 1}


@pytest.mark.parametrize(
    "exc",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientOSError(104, "Connection reset by peer"),
        aiohttp.ClientPayloadError("truncated"),
    ],
)
async def test_aiohttp_failures_map_to_connection_errors(
    mocked: aioresponses, transport: GraphQLTransport, exc: Exception
) -> None:
    """Disconnects, resets and broken payloads are connection errors (transient)."""
    mocked.post(URL, exception=exc)
    with pytest.raises(StiggConnectionError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert not isinstance(info.value, StiggTimeoutError)


@pytest.mark.parametrize("exc", [asyncio.TimeoutError(), aiohttp.ServerTimeoutError("read")])
async def test_timeouts_inside_aiohttp_map_to_timeout_errors(
    mocked: aioresponses, transport: GraphQLTransport, exc: Exception
) -> None:
    """aiohttp's own timeouts arrive wrapped by gql; they still read as timeouts."""
    mocked.post(URL, exception=exc)
    with pytest.raises(StiggTimeoutError):
        await transport.execute_text("query Q { x }", None, "Q")


async def test_html_error_page_keeps_its_status(
    mocked: aioresponses, transport: GraphQLTransport
) -> None:
    """A proxy's HTML 502 page is a server error with status 502, not a parse crash."""
    mocked.post(URL, status=502, body="<html><h1>Bad Gateway</h1></html>", content_type="text/html")
    with pytest.raises(StiggServerError) as info:
        await transport.execute_text("query Q { x }", None, "Q")
    assert info.value.status == 502
    assert "Bad Gateway" in str(info.value)


async def test_json_without_data_or_errors_is_a_response_error(
    mocked: aioresponses, transport: GraphQLTransport
) -> None:
    """A 200 JSON body that is not a GraphQL result is malformed."""
    mocked.post(URL, payload={"unexpected": True})
    with pytest.raises(StiggResponseError):
        await transport.execute_text("query Q { x }", None, "Q")
