"""The transport says whether a failed request may have landed, and scrubs echoed keys.

Issue 11, findings 1, 2 and 7: a truncated 200 is a lost answer (not a refusal), every
error says whether the request may have been applied, and no attribute of an error
keeps an API key a server echoed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from stigg_async._errors import (
    StiggAuthenticationError,
    StiggConnectionError,
    StiggError,
    StiggGraphQLError,
    StiggHTTPError,
    StiggRateLimitError,
    StiggResponseError,
    StiggServerError,
    StiggTimeoutError,
)
from stigg_async._retry import is_transient
from stigg_async._transport import GraphQLTransport
from tests.support.recording_server import RecordingServer, Reply

KEY = "sk-outcome-secret-55aa01"
QUERY = "query Q { x }"


@pytest.fixture
async def server() -> AsyncIterator[RecordingServer]:
    srv = await RecordingServer().start()
    yield srv
    await srv.stop()


@pytest.fixture
async def transport(server: RecordingServer) -> AsyncIterator[GraphQLTransport]:
    t = GraphQLTransport(api_url=server.url, api_key=KEY, timeout=5.0)
    await t.open()
    yield t
    await t.close()


async def _failure(transport: GraphQLTransport, timeout: float | None = None) -> StiggError:
    with pytest.raises(StiggError) as info:
        await transport.execute_text(QUERY, None, "Q", timeout=timeout)
    return info.value


@pytest.mark.parametrize(
    "text",
    ['{"data": {"x"', '{"data": {"x": 1}', "", "null", '{"neither": 1}', "<html>oops</html>"],
)
async def test_truncated_or_malformed_200_may_have_landed_and_is_retried(
    server: RecordingServer, transport: GraphQLTransport, text: str
) -> None:
    """A 2xx whose body is cut short or not GraphQL JSON is a lost answer, retried as such."""
    server.reply(Reply(text=text))
    err = await _failure(transport)
    assert isinstance(err, StiggResponseError)
    assert err.may_have_landed
    assert is_transient(err)
    assert "may have landed" in str(err)


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (Reply(status=500, body={"errors": [{"message": "boom"}]}), StiggServerError),
        (Reply(status=502, text="bad gateway"), StiggServerError),
        (Reply(drop=True), StiggConnectionError),
    ],
)
async def test_5xx_and_cut_connections_after_sending_may_have_landed(
    server: RecordingServer, transport: GraphQLTransport, reply: Reply, cls: type[StiggError]
) -> None:
    """The server may have applied a request answered with a 5xx or a dropped socket."""
    server.reply(reply)
    err = await _failure(transport)
    assert isinstance(err, cls)
    assert err.may_have_landed


async def test_a_timeout_after_sending_may_have_landed(server: RecordingServer) -> None:
    """A request that was sent and never answered in time may have been applied."""
    server.reply(Reply(hang=True))
    t = GraphQLTransport(api_url=server.url, api_key=KEY, timeout=5.0)
    try:
        err = await _failure(t, timeout=0.05)
        assert isinstance(err, StiggTimeoutError)
        assert err.may_have_landed
    finally:
        await t.close()


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (Reply(status=400, body={"errors": [{"message": "bad"}]}), StiggHTTPError),
        (Reply(status=401, body={"errors": [{"message": "no"}]}), StiggAuthenticationError),
        (Reply(status=429, text="slow down"), StiggRateLimitError),
        (
            Reply(body={"errors": [{"message": "nope", "extensions": {"code": "X"}}]}),
            StiggGraphQLError,
        ),
    ],
)
async def test_refusals_did_not_land(
    server: RecordingServer, transport: GraphQLTransport, reply: Reply, cls: type[StiggError]
) -> None:
    """A 4xx, a 429 or a GraphQL business error means the request was not applied."""
    server.reply(reply)
    err = await _failure(transport)
    assert isinstance(err, cls)
    assert not err.may_have_landed


async def test_a_refused_connection_was_never_sent() -> None:
    """Nothing listening: nothing was sent, so nothing can have landed."""
    t = GraphQLTransport(api_url="http://127.0.0.1:9/graphql", api_key=KEY, timeout=5.0)
    try:
        err = await _failure(t)
        assert isinstance(err, StiggConnectionError)
        assert not err.may_have_landed
    finally:
        await t.close()


async def test_401_message_names_the_variable_and_the_console_once(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """A rejected key says where the key comes from; the server's code is not repeated."""
    body = {
        "errors": [
            {
                "message": "Unauthenticated: Unauthenticated: bad key",
                "extensions": {"code": "Unauthenticated"},
            }
        ]
    }
    server.reply(Reply(status=401, body=body))
    err = await _failure(transport)
    assert isinstance(err, StiggAuthenticationError)
    text = str(err)
    assert text.count("STIGG_SERVER_API_KEY") == 1
    assert "Stigg console" in text
    assert text.count("Unauthenticated") == 1
    assert "bad key" in text


async def test_echoed_key_is_scrubbed_from_every_attribute_of_an_http_error(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """extensions, path and message of every error detail lose the echoed key."""
    body = {
        "errors": [
            {
                "message": f"key {KEY} refused",
                "path": ["customer", KEY, 0],
                "extensions": {"code": "Boom", "echo": {"headers": {"X-API-KEY": KEY}}},
            }
        ]
    }
    server.reply(Reply(status=500, body=body))
    err = await _failure(transport)
    assert isinstance(err, StiggServerError)
    assert KEY not in repr(err.errors)
    assert KEY not in str(vars(err))
    (detail,) = err.errors
    assert detail.code == "Boom"  # what is not secret is kept
    assert detail.extensions["echo"] == {"headers": {"X-API-KEY": "***"}}
    assert detail.path == ("customer", "***", 0)


async def test_echoed_key_is_scrubbed_from_graphql_errors_and_partial_data(
    server: RecordingServer, transport: GraphQLTransport
) -> None:
    """A 200 with errors and partial data: neither errors nor data keep the key."""
    body = {
        "data": {"x": {"apiKey": KEY, "ok": True}, KEY: [KEY]},
        "errors": [{"message": "partial", "path": [KEY], "extensions": {"key": KEY}}],
    }
    server.reply(Reply(body=body))
    err = await _failure(transport)
    assert isinstance(err, StiggGraphQLError)
    for value in (repr(err.errors), repr(err.data), str(err), repr(err), repr(err.args)):
        assert KEY not in value
    assert err.data == {"x": {"apiKey": "***", "ok": True}, "***": ["***"]}
    chain: BaseException | None = err
    while chain is not None:
        assert KEY not in repr(chain.args)
        chain = chain.__cause__ or chain.__context__
